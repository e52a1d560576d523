import type { Action } from '../actions/action';
import type { CaseMetrics } from './metrics';
import { Raster, type Rgb, TEXT_HEIGHT, textWidth } from './raster';

/**
 * One colour per phase and per action outcome, none shared: a reader matches each mark to
 * the legend by colour alone (issue 16 point 9), so a failed action must not look like
 * exposure, nor an applied one like resolution.
 */
export const CHART_COLORS = {
  background: [255, 255, 255] as Rgb,
  ink: [40, 44, 52] as Rgb,
  grid: [200, 204, 210] as Rgb,
  /** Detected, not yet contained: the exposure window. */
  exposed: [214, 64, 64] as Rgb,
  /** Contained, not yet resolved. */
  contained: [240, 160, 50] as Rgb,
  resolved: [46, 160, 90] as Rgb,
  escalated: [140, 80, 190] as Rgb,
  acknowledged: [210, 90, 170] as Rgb,
  applied: [20, 140, 160] as Rgb,
  reverted: [60, 110, 220] as Rgb,
  failed: [120, 30, 30] as Rgb,
} as const;

/** What each colour means, in the legend's order (the chart's background, ink and grid are not marks). */
export const LEGEND: readonly (readonly [string, Rgb])[] = [
  ['EXPOSED', CHART_COLORS.exposed],
  ['CONTAINED', CHART_COLORS.contained],
  ['RESOLVED', CHART_COLORS.resolved],
  ['ESCALATED', CHART_COLORS.escalated],
  ['ACKNOWLEDGED', CHART_COLORS.acknowledged],
  ['APPLIED', CHART_COLORS.applied],
  ['FAILED', CHART_COLORS.failed],
  ['REVERTED', CHART_COLORS.reverted],
];

/** A mark on the chart, for alt text and for tests that check where it landed. */
export interface ChartMark {
  label: string;
  at: string;
  x: number;
  color: Rgb;
  /** Where its label was drawn; always wholly inside the image. */
  box: { x: number; y: number; width: number; height: number };
}

/** The drawn chart and what is on it. */
export interface PhaseChart {
  image: Raster;
  /** The bar's vertical extent, where phase colours can be read. */
  bar: { top: number; bottom: number };
  /** The x of the first and last instant of the time axis. */
  axis: { from: string; to: string; x0: number; x1: number };
  marks: ChartMark[];
  /** Where each legend entry (swatch and word) was drawn. */
  legend: { label: string; color: Rgb; box: { x: number; y: number; width: number; height: number } }[];
  /** One line per mark, for the image's alt text. */
  alt: string;
}

const WIDTH = 960;
const MARGIN = 48;
const SCALE = 2;
const LINE = (TEXT_HEIGHT + 3) * SCALE;
/** Below the title: where the rows of labels above the bar may start. */
const LABELS_TOP = 40;
const BAR_HEIGHT = 40;
/** Labels keep this far from the image's left and right edges. */
const EDGE = 4;
const LEGEND_ROW = 24;

function hms(iso: string): string {
  return iso.slice(11, 19);
}

/** Outcome marks of an action: applied (or failed) when it ran, reverted when undone. */
function actionMarks(actions: readonly Action[]): { label: string; at: string; color: Rgb }[] {
  return actions.flatMap((a, i) => {
    if (a.dryRun) return [];
    const n = i + 1;
    const out: { label: string; at: string; color: Rgb }[] = [];
    if (a.appliedAt) out.push({ label: `A${n}`, at: a.appliedAt, color: CHART_COLORS.applied });
    else if (['failed', 'partially_applied', 'interrupted'].includes(a.status) || (a.revertedAt && !a.appliedAt)) {
      const ran = a.steps.map((s) => s.finishedAt).filter((t): t is string => !!t).sort().pop();
      if (ran) out.push({ label: `A${n}`, at: ran, color: CHART_COLORS.failed });
    }
    if (a.revertedAt) out.push({ label: `R${n}`, at: a.revertedAt, color: CHART_COLORS.reverted });
    return out;
  });
}

/** Places labels in rows so none overlaps another; returns the row of each. */
function stack(items: { x: number; width: number }[]): number[] {
  const rows: number[][] = [];
  return items.map(({ x, width }) => {
    let row = rows.findIndex((ends) => ends.every((end) => x > end + 6));
    if (row < 0) row = rows.push([]) - 1;
    (rows[row] as number[]).push(x + width);
    return row;
  });
}

/**
 * Draws detected → contained → resolved on one time axis, with each action's
 * outcome marked below it (A<n> applied or failed, R<n> reverted, numbered as in
 * the report) and escalation and acknowledgement above. `now` ends an open case.
 */
export function drawPhaseChart(m: CaseMetrics, actions: readonly Action[], now: string): PhaseChart {
  const from = m.detectedAt;
  const acts = actionMarks(actions);
  const times = [from, m.containedAt, m.resolvedAt ?? now, m.escalatedAt, m.acknowledgedAt, ...acts.map((a) => a.at)].filter((t): t is string => !!t);
  const to = times.sort().pop() ?? now;
  const t0 = Date.parse(from);
  const span = Math.max(1000, Date.parse(to) - t0);
  const x0 = MARGIN;
  const x1 = WIDTH - MARGIN;
  const xOf = (iso: string): number => Math.round(x0 + ((Date.parse(iso) - t0) / span) * (x1 - x0));

  const above: { label: string; at: string; color: Rgb }[] = [{ label: `DETECTED ${hms(from)}`, at: from, color: CHART_COLORS.exposed }];
  if (m.escalatedAt) above.push({ label: 'ESC', at: m.escalatedAt, color: CHART_COLORS.escalated });
  if (m.acknowledgedAt) above.push({ label: 'ACK', at: m.acknowledgedAt, color: CHART_COLORS.acknowledged });
  if (m.containedAt) above.push({ label: `CONTAINED ${hms(m.containedAt)}`, at: m.containedAt, color: CHART_COLORS.contained });
  if (m.resolvedAt) above.push({ label: `RESOLVED ${hms(m.resolvedAt)}`, at: m.resolvedAt, color: CHART_COLORS.resolved });
  above.sort((a, b) => a.at.localeCompare(b.at));

  // Layout before drawing: a label is pulled inside the edges first and stacked where it is
  // drawn (not where its event is), and the image grows to hold every row, so no label is
  // clipped by an edge or drawn over another, however many events share a moment.
  const layout = (items: { label: string; at: string; color: Rgb }[], side: 'above' | 'below') => {
    const placed = items.map((it) => {
      const x = xOf(it.at);
      const width = textWidth(it.label, SCALE);
      return { ...it, x, width, tx: Math.max(EDGE, Math.min(side === 'above' ? x : x + 3, WIDTH - width - EDGE)) };
    });
    const rows = stack(placed.map((p) => ({ x: p.tx, width: p.width })));
    return { placed: placed.map((p, i) => ({ ...p, row: rows[i] ?? 0 })), rows: Math.max(0, ...rows.map((r) => r + 1)) };
  };
  const top = layout(above, 'above');
  const below = layout(acts, 'below');
  const barTop = Math.max(120, LABELS_TOP + top.rows * LINE + 8);
  const barBottom = barTop + BAR_HEIGHT;
  const axisY = Math.max(256, barBottom + 8 + below.rows * LINE + 16);
  const legendWords = LEGEND.map(([label, color]) => ({ label, color, width: 20 + textWidth(label, SCALE) }));
  const legendRows: (typeof legendWords)[] = [[]];
  let used = 0;
  for (const w of legendWords) {
    if (used && used + w.width > WIDTH - 2 * MARGIN) {
      legendRows.push([]);
      used = 0;
    }
    legendRows[legendRows.length - 1]!.push(w);
    used += w.width + 16;
  }
  const legendTop = axisY + 38;
  const height = legendTop + legendRows.length * LEGEND_ROW + 8;
  const img = new Raster(WIDTH, height, CHART_COLORS.background);

  img.text(MARGIN, 16, `${m.caseId} RESPONSE PHASES (UTC ${from.slice(0, 10)})`, CHART_COLORS.ink, SCALE);

  // The bar: exposure until contained (or resolved), containment until resolved.
  const endOfCase = m.resolvedAt ?? now;
  const exposedEnd = m.containedAt ?? endOfCase;
  img.fillRect(xOf(from), barTop, Math.max(2, xOf(exposedEnd) - xOf(from)), BAR_HEIGHT, CHART_COLORS.exposed);
  if (m.containedAt) img.fillRect(xOf(m.containedAt), barTop, Math.max(2, xOf(endOfCase) - xOf(m.containedAt)), BAR_HEIGHT, CHART_COLORS.contained);

  const marks: ChartMark[] = [];
  const draw = (l: ReturnType<typeof layout>, side: 'above' | 'below'): void => {
    const placed = l.placed.map((p) => ({ ...p, y: side === 'above' ? barTop - 8 - (p.row + 1) * LINE : barBottom + 8 + p.row * LINE + 2 }));
    // Leader lines first, then labels on a blank patch, so a line never strikes through a label.
    for (const p of placed) {
      if (side === 'above') img.fillRect(p.x - 1, p.y + LINE - 4, 2, barTop - (p.y + LINE - 4), p.color);
      else img.fillRect(p.x - 1, barBottom, 2, p.y - barBottom, p.color);
    }
    for (const p of placed) {
      img.fillRect(p.tx - 2, p.y - 2, p.width + 2, TEXT_HEIGHT * SCALE + 4, CHART_COLORS.background);
      img.text(p.tx, p.y, p.label, p.color, SCALE);
      marks.push({ label: p.label, at: p.at, x: p.x, color: p.color, box: { x: p.tx, y: p.y, width: p.width, height: TEXT_HEIGHT * SCALE } });
    }
  };
  draw(top, 'above');
  draw(below, 'below');
  if (m.resolvedAt) img.fillRect(xOf(m.resolvedAt) - 2, barTop - 6, 4, BAR_HEIGHT + 12, CHART_COLORS.resolved);

  // Time axis with five ticks, and the legend (in as many rows as it needs).
  img.fillRect(x0, axisY, x1 - x0, 2, CHART_COLORS.grid);
  for (let k = 0; k <= 4; k++) {
    const t = new Date(t0 + (span * k) / 4).toISOString();
    const x = xOf(t);
    img.fillRect(x - 1, axisY - 4, 2, 10, CHART_COLORS.grid);
    const label = hms(t);
    img.text(Math.max(EDGE, Math.min(x - textWidth(label, SCALE) / 2, WIDTH - textWidth(label, SCALE) - EDGE)), axisY + 10, label, CHART_COLORS.ink, SCALE);
  }
  const legend: PhaseChart['legend'] = [];
  legendRows.forEach((row, r) => {
    let lx = MARGIN;
    const y = legendTop + r * LEGEND_ROW;
    for (const w of row) {
      img.fillRect(lx, y, 14, 14, w.color);
      img.text(lx + 20, y, w.label, CHART_COLORS.ink, SCALE);
      legend.push({ label: w.label, color: w.color, box: { x: lx, y, width: w.width, height: 14 } });
      lx += w.width + 16;
    }
  });

  const alt = [`Response phases of ${m.caseId} (UTC)`, ...marks.map((mk) => `${mk.label.split(' ')[0] ?? mk.label} at ${mk.at}`)].join('; ');
  return { image: img, bar: { top: barTop, bottom: barBottom }, axis: { from, to, x0, x1 }, marks, legend, alt };
}
