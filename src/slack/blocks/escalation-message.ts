import type { Case } from '../../domain/cases/case';
import { BAND_LABEL } from '../../domain/triage/bands';
import { formatDuration } from '../../domain/duration';
import { safeText } from '../../domain/text/mrkdwn';
import { ActionId } from '../ids';
import { cappedList, type KnownBlock, type RenderedMessage } from './block-types';
import { MAX_LISTED } from './case-card';
import { renderActor } from './timeline-message';
import { slackDate } from './slack-date';

/** Who the first bridge message is for (the config's contacts, never a finding's text). */
export interface BridgePeople {
  /** `<@U…>` and `<!subteam^S…>` mentions of the escalation contacts: being added to a channel notifies nobody. */
  mentions: string;
  /** `escalation.ackWithin`: the summary says by when someone must acknowledge. */
  ackWithinMs: number;
  /** Contacts who are not in the (private) case channel, so its link will not open for them. */
  notInCaseChannel: string[];
}

/** The bridge channel's summary: what, where, the bridge URL and the Acknowledge button until someone owns it. */
export function renderBridgeMessage(c: Case, bridgeUrl: string | undefined, people?: BridgePeople): RenderedMessage {
  const acked = c.acknowledgedAt && c.acknowledgedBy;
  const due = people && c.escalatedAt ? new Date(Date.parse(c.escalatedAt) + people.ackWithinMs).toISOString() : undefined;
  const missing = people?.notInCaseChannel.length
    ? ` (private: ${people.notInCaseChannel.slice(0, 20).map((u) => `<@${u}>`).join(' ')}${people.notInCaseChannel.length > 20 ? ` and ${people.notInCaseChannel.length - 20} more` : ''} ${people.notInCaseChannel.length === 1 ? 'is' : 'are'} not in it; ask in here to be added)`
    : '';
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Escalated: case ${c.id}`.slice(0, 150) } },
    ...(people?.mentions && !acked ? [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: `${people.mentions} :rotating_light: you are paged for this case${c.escalatedBy ? ` by ${renderActor(c.escalatedBy === 'cordon' ? 'Cordon (Critical severity)' : c.escalatedBy)}` : ''}.` } }] : []),
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: [
          `*${safeText(c.title, 500)}*`,
          `${BAND_LABEL[c.band]} (${c.severity}) · ${c.status} · accounts ${cappedList(c.accounts.map((a) => safeText(a, 20)), MAX_LISTED)}`,
          c.channelId ? `Case channel: <#${c.channelId}>${missing}` : '',
          due && !acked ? `Acknowledge by ${slackDate(due)} (within ${formatDuration(people?.ackWithinMs ?? 0)} of escalation)` : '',
          c.escalationReason ? `Reason: ${safeText(c.escalationReason, 500)}` : '',
          bridgeUrl ? `Bridge: ${safeText(bridgeUrl, 500)}` : '',
        ]
          .filter(Boolean)
          .join('\n'),
      },
    },
  ];
  if (acked) {
    const took = c.escalatedAt ? ` after ${formatDuration(Date.parse(c.acknowledgedAt as string) - Date.parse(c.escalatedAt))}` : '';
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `:white_check_mark: Acknowledged by ${renderActor(c.acknowledgedBy as string)}${took}` }] });
  } else {
    blocks.push({
      type: 'actions',
      block_id: `ack:${c.id}`,
      elements: [{ type: 'button', action_id: ActionId.ACKNOWLEDGE, style: 'primary', text: { type: 'plain_text', text: 'Acknowledge' }, value: c.id }],
    });
  }
  // The text is what the notification shows: the mentions go first so the page reaches them.
  const paged = people?.mentions && !acked ? `${people.mentions} ` : '';
  return { text: `${paged}Escalated: case ${c.id} ${safeText(c.title, 200)}${acked ? ' (acknowledged)' : ''}`, blocks };
}

/** The answer to whoever asked to escalate (`/ir escalate` or an Escalate button), the first time and every later time. */
export function escalationAnswer(r: { case: Case; already: boolean }): string {
  if (!r.already) return `Escalating ${r.case.id}: the bridge channel is being opened and the escalation contacts paged; you will be added to it.`;
  const by = r.case.escalatedBy ? ` by ${renderActor(r.case.escalatedBy)}` : '';
  const where = r.case.bridgeChannelId ? `: the bridge is <#${r.case.bridgeChannelId}>` : '; the bridge channel is being opened';
  return `Case ${r.case.id} is already escalated${by}${where}.`;
}
