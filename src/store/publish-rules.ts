import type { Case, StoredFinding } from '../domain/cases/case';
import { lastAskedAt } from '../domain/findings/principal-check';

/** A case Slack has not fully caught up with: channel, invites, card, pin or index line. Both stores index on it. */
export function caseNeedsPublish(c: Case): boolean {
  // A merged case still has one thing to do in Slack: its channel, pointer posted, is archived.
  if (c.mergedInto) return !!c.channelId && !c.channelArchivedAt;
  if (c.status === 'closed') return false;
  return !c.channelId || !c.invitedAt || !c.cardTs || !c.cardPinned || c.cardDirty || !c.indexTs;
}

/** A cased finding whose card is missing or stale. */
export function findingNeedsPublish(f: StoredFinding): boolean {
  return f.disposition === 'cased' && (!f.cardTs || f.cardDirty);
}

/**
 * For a cased finding whose principal check is pending: when it was last asked for (`''`:
 * never), which both stores index on so the clock's sweep finds checks whose request may be
 * lost without reading every finding. Undefined for every other finding.
 */
export function pendingCheckAskedAt(f: StoredFinding): string | undefined {
  return f.disposition === 'cased' && f.principalCheck?.status === 'pending' ? lastAskedAt(f.principalCheck) : undefined;
}

/** Events that are recorded only (their Slack post is another message) count as posted. */
export const SILENT_TS = 'silent';

/**
 * A finding moved into case `caseId` by a merge: its card is posted again in that case's
 * channel (the old one is in the merged channel, soon archived). Pure; bumps the version.
 */
export function movedFinding(f: StoredFinding, caseId: string): StoredFinding {
  const next: StoredFinding = { ...f, caseId, version: f.version + 1 };
  if (f.disposition === 'cased') {
    delete next.cardTs;
    delete next.cardAt;
    next.cardDirty = false;
  }
  return next;
}
