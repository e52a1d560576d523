import { formatExactDuration } from '../../../../src/domain/duration';
import { caseMetrics, statsByBand } from '../../../../src/domain/reports/metrics';
import { aCase, anAction, min } from './report-fixtures';

describe('case metrics', () => {
  // Issue 18 point 7: acknowledge, contain and resolve all start at detection.
  it('measures acknowledge, contain and resolve from detection, to the millisecond', () => {
    const m = caseMetrics(aCase({ escalatedAt: min(3), acknowledgedAt: min(7.5), resolvedAt: min(61) }), [
      anAction({ id: 'A-20261125021500-late', appliedAt: min(15) }),
      anAction({ appliedAt: min(12) }),
    ]);
    expect(m).toMatchObject({ timeToAcknowledgeMs: 450_000, timeToContainMs: 720_000, timeToResolveMs: 3_660_000, containedAt: min(12) });
  });

  it("starts at GuardDuty's detection when the activity predates the case (a replayed finding)", () => {
    const m = caseMetrics(aCase({ detectedAt: min(-60), acknowledgedAt: min(7.5), resolvedAt: min(61) }), [anAction({ appliedAt: min(12) })]);
    expect(m).toMatchObject({ detectedAt: min(-60), timeToAcknowledgeMs: 67.5 * 60_000, timeToContainMs: 72 * 60_000, timeToResolveMs: 121 * 60_000 });
  });

  it('does not count dry runs, failed or partially applied actions as containment', () => {
    const m = caseMetrics(aCase(), [
      anAction({ dryRun: true, status: 'dry_run', appliedAt: min(1) }),
      anAction({ status: 'partially_applied' }),
      anAction({ status: 'failed' }),
    ]);
    expect(m.containedAt).toBeUndefined();
    expect(m.timeToContainMs).toBeUndefined();
    expect(m.timeToAcknowledgeMs).toBeUndefined();
  });

  it('still counts an action that was contained and later reverted', () => {
    expect(caseMetrics(aCase(), [anAction({ status: 'reverted', appliedAt: min(5), revertedAt: min(30) })]).timeToContainMs).toBe(300_000);
  });
});

describe('statsByBand', () => {
  it('gives count, median, mean and max per band, most severe first, skipping empty bands', () => {
    const metrics = [
      caseMetrics(aCase({ id: 'a', band: 'high', resolvedAt: min(10) }), []),
      caseMetrics(aCase({ id: 'b', band: 'high', resolvedAt: min(20) }), []),
      caseMetrics(aCase({ id: 'c', band: 'high', resolvedAt: min(60) }), [anAction({ appliedAt: min(2) })]),
      caseMetrics(aCase({ id: 'd', band: 'critical', resolvedAt: min(5), escalatedAt: min(0), acknowledgedAt: min(1) }), []),
      caseMetrics(aCase({ id: 'e', band: 'critical' }), []),
    ];
    const s = statsByBand(metrics);
    expect(s.map((b) => b.band)).toEqual(['critical', 'high']);
    expect(s[0]).toEqual({ band: 'critical', cases: 2, acknowledge: { count: 1, medianMs: 60_000, meanMs: 60_000, maxMs: 60_000 }, contain: { count: 0 }, resolve: { count: 1, medianMs: 300_000, meanMs: 300_000, maxMs: 300_000 } });
    expect(s[1]!.resolve).toEqual({ count: 3, medianMs: 1_200_000, meanMs: 1_800_000, maxMs: 3_600_000 });
    expect(s[1]!.contain).toEqual({ count: 1, medianMs: 120_000, meanMs: 120_000, maxMs: 120_000 });
  });

  it('takes the mean of the middle two for an even count', () => {
    const s = statsByBand([10, 20, 30, 50].map((m, i) => caseMetrics(aCase({ id: `c${i}`, resolvedAt: min(m) }), [])));
    expect(s[0]!.resolve.medianMs).toBe(25 * 60_000);
  });
});

describe('formatExactDuration', () => {
  it.each([
    [0, '0s'],
    [12_000, '12s'],
    [240_000, '4m 00s'],
    [3_725_000, '1h 02m 05s'],
    [90_061_000, '1d 01h 01m 01s'],
    [-5_000, '-5s'],
  ])('%d ms is %s', (ms, text) => expect(formatExactDuration(ms)).toBe(text));
});
