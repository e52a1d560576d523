import type { TimelineEvent } from '../../domain/cases/case';
import { timelineLabel } from '../../domain/cases/timeline-words';
import { safeText } from '../../domain/text/mrkdwn';
import type { RenderedMessage } from './block-types';

/** How an actor id shows: Slack users as mentions of themselves (ids are Slack's, not a finding's). */
export function renderActor(actor: string): string {
  return /^[UW][A-Z0-9]+$/.test(actor) ? `<@${actor}>` : safeText(actor, 80);
}

/**
 * The mention an event carries, as mrkdwn. Group ids are the config's (validated `S…`),
 * never a finding's. Events stored before the domain kept ids carry the rendered markup in
 * `trustedPrefix`; it is still honoured so an event queued across an upgrade keeps its mention.
 */
function mentionPrefix(e: TimelineEvent & { trustedPrefix?: string }): string {
  if (e.mentionGroup) return `<!subteam^${e.mentionGroup}> `;
  return e.trustedPrefix ? `${e.trustedPrefix} ` : '';
}

/** One timeline event posted in the case channel. */
export function renderTimelineEvent(e: TimelineEvent): RenderedMessage {
  const time = `${e.at.slice(0, 19).replace('T', ' ')} UTC`;
  const prefix = mentionPrefix(e);
  const body = `${prefix}${safeText(e.text, 2500)}`;
  return {
    text: `${prefix}${safeText(e.text, 500)}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: body } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${time} · ${renderActor(e.actor)} · ${timelineLabel(e.kind)}` }] },
    ],
  };
}
