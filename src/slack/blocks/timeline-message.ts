import type { TimelineEvent } from '../../domain/cases/case';
import { safeText } from '../../domain/text/mrkdwn';
import type { RenderedMessage } from './block-types';

/** How an actor id shows: Slack users as mentions of themselves (ids are Slack's, not a finding's). */
export function renderActor(actor: string): string {
  return /^[UW][A-Z0-9]+$/.test(actor) ? `<@${actor}>` : safeText(actor, 80);
}

/** One timeline event posted in the case channel. */
export function renderTimelineEvent(e: TimelineEvent): RenderedMessage {
  const time = `${e.at.slice(0, 19).replace('T', ' ')} UTC`;
  const prefix = e.trustedPrefix ? `${e.trustedPrefix} ` : '';
  const body = `${prefix}${safeText(e.text, 2500)}`;
  return {
    text: `${prefix}${safeText(e.text, 500)}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: body } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${time} · ${renderActor(e.actor)} · ${e.kind}` }] },
    ],
  };
}
