import { CHART_COLORS, drawPhaseChart } from '../../../../src/domain/reports/phase-chart';
import { caseMetrics } from '../../../../src/domain/reports/metrics';
import { aCase, anAction, min } from './report-fixtures';

describe('drawPhaseChart', () => {
  it('draws an open, uncontained case red from detection to now', () => {
    const chart = drawPhaseChart(caseMetrics(aCase(), []), [], min(30));
    const y = (chart.bar.top + chart.bar.bottom) >> 1;
    expect(chart.axis).toMatchObject({ from: min(0), to: min(30) });
    expect(chart.image.pixel(chart.axis.x0 + 5, y)).toEqual(CHART_COLORS.exposed);
    expect(chart.image.pixel(chart.axis.x1 - 2, y)).toEqual(CHART_COLORS.exposed);
    expect(chart.marks.map((m) => m.label)).toEqual(['DETECTED 02:00:00']);
  });

  it('marks actions where they happened: applied green, failed red, reverted blue, numbered as in the report', () => {
    const actions = [
      anAction({ appliedAt: min(10), revertedAt: min(20), status: 'reverted' }),
      anAction({ status: 'failed', steps: [{ stepId: 's', status: 'failed', finishedAt: min(15), error: 'x' }] }),
      anAction({ dryRun: true, status: 'dry_run' }),
    ];
    const c = aCase({ resolvedAt: min(40) });
    const chart = drawPhaseChart(caseMetrics(c, actions), actions, min(50));
    expect(chart.axis.to).toBe(min(40));
    const byLabel = Object.fromEntries(chart.marks.map((m) => [m.label, m]));
    expect(Object.keys(byLabel).sort()).toEqual(['A1', 'A2', 'CONTAINED 02:10:00', 'DETECTED 02:00:00', 'R1', 'RESOLVED 02:40:00']);
    expect(byLabel.A1!.color).toEqual(CHART_COLORS.applied);
    expect(byLabel.A2!.color).toEqual(CHART_COLORS.failed);
    expect(byLabel.R1!.color).toEqual(CHART_COLORS.reverted);
    // A1 at a quarter of the way, R1 at half.
    const quarter = chart.axis.x0 + (chart.axis.x1 - chart.axis.x0) / 4;
    expect(Math.abs(byLabel.A1!.x - quarter)).toBeLessThanOrEqual(1);
    // The leader line of R1 is drawn in its colour just under the bar.
    expect(chart.image.pixel(byLabel.R1!.x, chart.bar.bottom + 2)).toEqual(CHART_COLORS.reverted);
    const y = (chart.bar.top + chart.bar.bottom) >> 1;
    expect(chart.image.pixel(byLabel.A1!.x + 10, y)).toEqual(CHART_COLORS.contained);
    expect(chart.alt).toContain('R1 at 2026-11-25T02:20:00.000Z');
  });

  it('keeps labels of events at the same moment from overlapping', () => {
    const actions = [1, 2, 3].map((i) => anAction({ id: `A-2026112502000${i}-aaaa`, appliedAt: min(5) }));
    const chart = drawPhaseChart(caseMetrics(aCase(), actions), actions, min(10));
    const a = chart.marks.filter((m) => /^A\d$/.test(m.label));
    expect(a).toHaveLength(3);
    expect(new Set(a.map((m) => m.x)).size).toBe(1);
  });
});
