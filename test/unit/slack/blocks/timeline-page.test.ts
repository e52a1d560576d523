import type { TimelineEvent, TimelineKind } from '../../../../src/domain/cases/case';
import { blockViolation } from '../../../../sandbox/slack';
import { renderTimelinePage, TIMELINE_PAGE_SIZE } from '../../../../src/slack/blocks/timeline-page';
import { TIMELINE_LABEL } from '../../../../src/domain/cases/timeline-words';

// A Record, so a new kind that this test does not show fails to compile.
const ALL_KINDS: Record<TimelineKind, true> = {
  'case.opened': true,
  'finding.added': true,
  'finding.severity_raised': true,
  'channel.created': true,
  'escalation.requested': true,
  note: true,
  'action.requested': true,
  'action.approved': true,
  'action.rejected': true,
  'action.applied': true,
  'action.failed': true,
  'action.reverted': true,
  'case.escalated': true,
  'case.acknowledged': true,
  'case.resolved': true,
  'case.closed': true,
  'case.merged': true,
  'case.merged_into': true,
  'finding.split': true,
  'finding.linked': true,
  'report.published': true,
};
const KINDS = Object.keys(ALL_KINDS) as TimelineKind[];

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
    expect(first).toContain('`2026-11-22 02:00:01 UTC` <@U0ALICE> · _Finding added_');
    expect(first).not.toContain('<!channel>');
    // Every event, of every kind, on its page with its own UTC date and time, actor and kind.
    for (const e of all) {
      const page = JSON.stringify(renderTimelinePage('IR-20261122-ABCD', all, Math.ceil(e.id / TIMELINE_PAGE_SIZE)).blocks);
      const stamp = `${e.at.slice(0, 10)} ${e.at.slice(11, 19)} UTC`;
      expect(page).toContain(`\`${stamp}\` ${e.actor === 'cordon' ? 'cordon' : `<@${e.actor}>`} · _${TIMELINE_LABEL[e.kind]}_`);
      // Internal names stay in the store: a reader sees a sentence (issue 16 point 8).
      expect(page).not.toContain(`_${e.kind}_`);
    }
    expect(new Set(all.map((e) => e.kind)).size).toBe(KINDS.length);
  });
});
