import type { TimelineEvent } from '../../../../src/domain/cases/case';
import { TIMELINE_LABEL, timelineLabel } from '../../../../src/domain/cases/timeline-words';
import { renderTimelineEvent } from '../../../../src/slack/blocks/timeline-message';

// Issue 16 point 8: people read "Case opened", not `case.opened`.

describe('timeline event names as people read them', () => {
  it.each(Object.entries(TIMELINE_LABEL))('%s reads as words', (kind, label) => {
    expect(label).toMatch(/^[A-Z][a-z]+( [a-z]+)*$/);
    expect(label).not.toBe(kind);
  });

  it('a kind this version does not know shows as stored rather than vanishing', () => {
    expect(timelineLabel('case.reopened')).toBe('case.reopened');
    expect(timelineLabel('constructor')).toBe('constructor');
  });

  it('a timeline line in the channel names the event in words', () => {
    const e: TimelineEvent = { id: 1, caseId: 'IR-20261122-0A1B', at: '2026-11-22T03:00:00.000Z', kind: 'case.opened', actor: 'cordon', text: 'Case opened (Medium)' };
    const context = JSON.stringify(renderTimelineEvent(e).blocks[1]);
    expect(context).toContain('· Case opened');
    expect(context).not.toContain('case.opened');
  });
});
