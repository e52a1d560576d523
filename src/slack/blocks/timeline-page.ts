import type { TimelineEvent } from '../../domain/cases/case';
import { timelineLabel } from '../../domain/cases/timeline-words';
import { safeText } from '../../domain/text/mrkdwn';
import { fitMessage, LIMITS, type KnownBlock, type RenderedMessage } from './block-types';
import { renderActor } from './timeline-message';

/**
 * Events per page: a full page of the longest lines (~270 characters each) stays inside
 * Cordon's message text budget (MESSAGE_TEXT_BUDGET), so no event is ever cut from a page.
 */
export const TIMELINE_PAGE_SIZE = 25;
const PER_SECTION = 5;

function line(e: TimelineEvent): string {
  return `\`${e.at.slice(0, 19).replace('T', ' ')} UTC\` ${renderActor(e.actor)} · _${timelineLabel(e.kind)}_ · ${safeText(e.text, 160)}`;
}

/** One page of a case's timeline for `/ir timeline [page]`: every event with UTC date, time and actor. */
export function renderTimelinePage(caseId: string, events: TimelineEvent[], page: number): RenderedMessage {
  const pages = Math.max(1, Math.ceil(events.length / TIMELINE_PAGE_SIZE));
  const p = Math.min(Math.max(1, page), pages);
  const slice = events.slice((p - 1) * TIMELINE_PAGE_SIZE, p * TIMELINE_PAGE_SIZE);
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: `*Timeline of ${caseId}* · page ${p} of ${pages} · ${events.length} events` } }];
  for (let i = 0; i < slice.length; i += PER_SECTION) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: slice.slice(i, i + PER_SECTION).map(line).join('\n').slice(0, LIMITS.sectionText) } });
  }
  const more = p < pages;
  if (more) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `More: \`/ir timeline ${p + 1}\`` }] });
  return fitMessage({ text: `Timeline of ${caseId}, page ${p} of ${pages}`, blocks }, more ? 1 : 0);
}

/** The resolution checklist posted on `/ir resolve`. */
export function renderResolutionChecklist(caseId: string, summary: string | undefined): RenderedMessage {
  const items = [
    'Containment verified (every action applied, nothing partially applied)',
    'No new findings since containment',
    'Credentials rotated (access keys, role sessions, secrets the resources held)',
    'Access restored for legitimate workloads (revert what is no longer needed)',
    'Tags updated on the affected resources',
  ];
  return {
    text: `Case ${caseId} resolved`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `:white_check_mark: *Case ${caseId} resolved*${summary ? `\n${safeText(summary, 1000)}` : ''}` } },
      { type: 'section', text: { type: 'mrkdwn', text: `*Before closing, check:*\n${items.map((i) => `☐ ${i}`).join('\n')}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: '`/ir close` when the checklist is done.' }] },
    ],
  };
}
