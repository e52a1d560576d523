import type { TimelineEvent } from '../../../../src/domain/cases/case';
import { blockViolation } from '../../../../src/sandbox/slack';
import { renderTimelinePage, TIMELINE_PAGE_SIZE } from '../../../../src/slack/blocks/timeline-page';

const KINDS: TimelineEvent['kind'][] = ['case.opened', 'finding.added', 'note', 'action.requested', 'action.applied', 'case.escalated', 'case.acknowledged', 'action.reverted', 'case.resolved', 'case.closed'];

function events(n: number): TimelineEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    caseId: 'IR-20261122-ABCD',
    at: new Date(Date.UTC(2026, 10, 22, 2, 0, i)).toISOString(),
    kind: KINDS[i % KINDS.length]!,
    actor: i % 2 ? 'U0ALICE' : 'cordon',
    text: `event ${i} <!channel> ${'x'.repeat(400)}`,
  }));
}

describe('renderTimelinePage', () => {
  it('pages 120 events within every Block Kit limit, each with UTC date, time, actor and kind', () => {
    const all = events(120);
    const pages = Math.ceil(120 / TIMELINE_PAGE_SIZE);
    const seen = new Set<number>();
    for (let p = 1; p <= pages; p++) {
      const msg = renderTimelinePage('IR-20261122-ABCD', all, p);
      expect(blockViolation(msg.blocks)).toBeUndefined();
      const text = JSON.stringify(msg.blocks);
      for (const e of all) if (text.includes(`event ${e.id - 1} `)) seen.add(e.id);
      expect(text).toContain(`page ${p} of ${pages}`);
    }
    expect(seen.size).toBe(120);
    const first = JSON.stringify(renderTimelinePage('IR-20261122-ABCD', all, 1).blocks);
    expect(first).toContain('`2026-11-22 02:00:01 UTC` <@U0ALICE> · _finding.added_');
    expect(first).not.toContain('<!channel>');
    for (const k of KINDS) expect(JSON.stringify(all.map((e) => e.kind))).toContain(k);
  });
});
