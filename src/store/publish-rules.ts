import type { Case, StoredFinding } from '../domain/cases/case';

/** A case Slack has not fully caught up with: channel, invites, card, pin or index line. Both stores index on it. */
export function caseNeedsPublish(c: Case): boolean {
  if (c.status === 'closed') return false;
  return !c.channelId || !c.invitedAt || !c.cardTs || !c.cardPinned || c.cardDirty || !c.indexTs;
}

/** A cased finding whose card is missing or stale. */
export function findingNeedsPublish(f: StoredFinding): boolean {
  return f.disposition === 'cased' && (!f.cardTs || f.cardDirty);
}

/** Events that are recorded only (their Slack post is another message) count as posted. */
export const SILENT_TS = 'silent';
