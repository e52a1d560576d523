import type { Case, StoredFinding } from '../../domain/cases/case';
import { findingTactic } from '../../domain/findings/finding';
import { BAND_LABEL } from '../../domain/triage/bands';
import { safeText } from '../../domain/text/mrkdwn';
import { cappedList, fitMessage, type KnownBlock, type RenderedMessage } from './block-types';
import { correlatedResources } from '../../domain/triage/correlation';
import { renderSequenceBlocks } from './sequence-blocks';
import { BAND_EMOJI, resourceList } from './finding-card';
import { ActionId } from '../ids';

/** Unique resources across a case's findings, in first-seen order. */
export function caseResources(findings: StoredFinding[]): { kind: string; id: string }[] {
  const seen = new Map<string, { kind: string; id: string }>();
  // Launched resources and a sequence's resources count too: they are the story's.
  for (const sf of findings) for (const r of correlatedResources(sf.finding)) seen.set(`${r.kind}:${r.id}`, { kind: r.kind, id: r.id });
  return [...seen.values()];
}

/** Accounts or regions named on a card before "…and N more". */
export const MAX_LISTED = 12;

/** The pinned card at the top of a case channel. */
export function renderCaseCard(c: Case, findings: StoredFinding[]): RenderedMessage {
  const tactics = [...new Set(findings.map((f) => findingTactic(f.finding.type)))];
  const band = BAND_LABEL[c.band];
  return fitMessage({
    text: `Case ${c.id}: ${safeText(c.title, 200)} (${band}, ${c.status})`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: `Case ${c.id}`.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: `${BAND_EMOJI[c.band]} *${safeText(c.title, 500)}*` } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*Severity*\n${band} (${c.severity})` },
          { type: 'mrkdwn', text: `*Status*\n${c.status}` },
          // A case can span hundreds of accounts: the card names the first few and counts the rest.
          { type: 'mrkdwn', text: `*Accounts*\n${cappedList(c.accounts.map((a) => safeText(a, 20)), MAX_LISTED)}` },
          { type: 'mrkdwn', text: `*Regions*\n${cappedList(c.regions.map((r) => safeText(r, 30)), MAX_LISTED)}` },
          { type: 'mrkdwn', text: `*Tactics*\n${safeText(tactics.join(', '), 500)}` },
          { type: 'mrkdwn', text: `*Findings*\n${findings.length}` },
          { type: 'mrkdwn', text: `*Resources*\n${resourceList(caseResources(findings), 8)}` },
          { type: 'mrkdwn', text: `*Opened*\n${c.createdAt.slice(0, 19).replace('T', ' ')} UTC` },
        ],
      },
      ...sequenceSummary(findings),
      caseActions(c),
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Use `/ir help` in this channel for the commands.' }] },
    ],
  });
}

/**
 * What people reach for on the pinned card: the same calls as `/ir escalate`, `/ir report`
 * and `/ir timeline`. The value is the case id only; each click reloads the case.
 */
function caseActions(c: Case): KnownBlock {
  const button = (action_id: string, text: string) => ({ type: 'button' as const, action_id, text: { type: 'plain_text' as const, text }, value: c.id });
  // Escalating a finished case pages people for nothing: the button goes once it is resolved.
  // Once escalated it stays: a click then answers with the bridge, as `/ir escalate` does.
  const live = c.status === 'open' || c.status === 'contained';
  return {
    type: 'actions',
    elements: [...(live ? [button(ActionId.CASE_ESCALATE, 'Escalate')] : []), button(ActionId.CASE_REPORT, 'Report'), button(ActionId.CASE_TIMELINE, 'Timeline')],
  };
}

/** The case's (first) attack sequence, with how many of its signals are findings of this case. */
function sequenceSummary(findings: StoredFinding[]): KnownBlock[] {
  const seq = findings.find((sf) => sf.finding.sequence)?.finding.sequence;
  if (!seq) return [];
  const ids = new Set(findings.map((sf) => sf.id));
  return renderSequenceBlocks(seq, seq.signals.filter((s) => s.findingId && ids.has(s.findingId)).length);
}

/** The case's one line in the triage channel. */
export function renderIndexLine(c: Case, findingCount: number): RenderedMessage {
  // A merged case's line says where the story went instead of a count that is now zero.
  const state = c.mergedInto ? `merged into *${safeText(c.mergedInto, 40)}*` : `${findingCount} finding${findingCount === 1 ? '' : 's'} · ${c.status}`;
  const line = `${BAND_EMOJI[c.band]} *${c.id}* ${safeText(c.title, 300)} · ${BAND_LABEL[c.band]} · ${state}${c.channelId ? ` · <#${c.channelId}>` : ''}`;
  return { text: `${c.id}: ${safeText(c.title, 200)}`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: line } }] };
}
