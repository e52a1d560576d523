import type { Case } from '../../domain/cases/case';
import { BAND_LABEL } from '../../domain/triage/bands';
import { formatDuration } from '../../domain/duration';
import { safeText } from '../../domain/text/mrkdwn';
import { ActionId } from '../ids';
import { cappedList, type KnownBlock, type RenderedMessage } from './block-types';
import { MAX_LISTED } from './case-card';
import { renderActor } from './timeline-message';

/** The bridge channel's summary: what, where, the bridge URL and the Acknowledge button until someone owns it. */
export function renderBridgeMessage(c: Case, bridgeUrl: string | undefined): RenderedMessage {
  const acked = c.acknowledgedAt && c.acknowledgedBy;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Escalated: case ${c.id}`.slice(0, 150) } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: [
          `*${safeText(c.title, 500)}*`,
          `${BAND_LABEL[c.band]} (${c.severity}) · ${c.status} · accounts ${cappedList(c.accounts.map((a) => safeText(a, 20)), MAX_LISTED)}`,
          c.channelId ? `Case channel: <#${c.channelId}>` : '',
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
  return { text: `Escalated: case ${c.id} ${safeText(c.title, 200)}${acked ? ' (acknowledged)' : ''}`, blocks };
}
