import { CHART_COLORS, drawPhaseChart, LEGEND } from '../../../../src/domain/reports/phase-chart';
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

  // Issue 16 point 9: every label whole, inside the image, and no two overlapping.
  function assertNoClipping(chart: ReturnType<typeof drawPhaseChart>): void {
    const boxes = [...chart.marks.map((m) => ({ label: m.label, ...m.box })), ...chart.legend.map((l) => ({ label: l.label, ...l.box }))];
    for (const b of boxes) {
      expect({ label: b.label, inside: b.x >= 0 && b.y >= 0 && b.x + b.width <= chart.image.width && b.y + b.height <= chart.image.height }).toEqual({ label: b.label, inside: true });
    }
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
        expect({ pair: `${a.label} / ${b.label}`, overlap }).toEqual({ pair: `${a.label} / ${b.label}`, overlap: false });
      }
    }
  }

  it('keeps labels at the right edge inside the image and off each other', () => {
    // Contained, escalated, acknowledged and resolved in the last minute of an hour: all pushed against the edge.
    const actions = [anAction({ appliedAt: min(59) }), anAction({ appliedAt: min(60), revertedAt: min(60), status: 'reverted' })];
    const c = aCase({ escalatedAt: min(58), acknowledgedAt: min(59), resolvedAt: min(60) });
    const chart = drawPhaseChart(caseMetrics(c, actions), actions, min(60));
    expect(chart.marks.map((m) => m.label)).toEqual(expect.arrayContaining(['ESC', 'ACK', 'RESOLVED 03:00:00', 'A1', 'A2', 'R2']));
    assertNoClipping(chart);
  });

  it('grows to hold forty actions at one moment rather than drawing them off the image', () => {
    const actions = Array.from({ length: 40 }, () => anAction({ appliedAt: min(30) }));
    const chart = drawPhaseChart(caseMetrics(aCase({ escalatedAt: min(30), acknowledgedAt: min(30), resolvedAt: min(30) }), actions), actions, min(30));
    expect(chart.marks.filter((m) => /^A\d+$/.test(m.label))).toHaveLength(40);
    assertNoClipping(chart);
  });

  it('gives each phase and each action outcome its own colour, each in the legend', () => {
    const { background, ink, grid, ...meaning } = CHART_COLORS;
    const colours = Object.values(meaning).map((c) => c.join(','));
    expect(new Set(colours).size).toBe(colours.length);
    expect(colours).not.toContain(background.join(','));
    expect(colours).not.toContain(ink.join(','));
    expect(colours).not.toContain(grid.join(','));
    expect(LEGEND.map(([, c]) => c.join(',')).sort()).toEqual([...colours].sort());
    const chart = drawPhaseChart(caseMetrics(aCase({ escalatedAt: min(5), acknowledgedAt: min(6) }), []), [], min(10));
    expect(chart.marks.find((m) => m.label === 'ESC')!.color).toEqual(CHART_COLORS.escalated);
    expect(chart.marks.find((m) => m.label === 'ACK')!.color).toEqual(CHART_COLORS.acknowledged);
    // Each legend swatch is drawn in its colour.
    for (const l of chart.legend) expect(chart.image.pixel(l.box.x + 7, l.box.y + 7)).toEqual(l.color);
  });
});
