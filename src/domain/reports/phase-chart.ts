import type { Action } from '../actions/action';
import type { CaseMetrics } from './metrics';
import { Raster, type Rgb, TEXT_HEIGHT, textWidth } from './raster';

export const CHART_COLORS = {
  background: [255, 255, 255] as Rgb,
  ink: [40, 44, 52] as Rgb,
  grid: [200, 204, 210] as Rgb,
  /** Detected, not yet contained: the exposure window. */
  exposed: [214, 64, 64] as Rgb,
  /** Contained, not yet resolved. */
  contained: [240, 160, 50] as Rgb,
  resolved: [46, 160, 90] as Rgb,
  applied: [46, 160, 90] as Rgb,
  reverted: [60, 110, 220] as Rgb,
  failed: [214, 64, 64] as Rgb,
  escalation: [140, 80, 190] as Rgb,
} as const;

/** A mark on the chart, for alt text and for tests that check where it landed. */
export interface ChartMark {
  label: string;
  at: string;
  x: number;
  color: Rgb;
}

/** The drawn chart and what is on it. */
export interface PhaseChart {
  image: Raster;
  /** The bar's vertical extent, where phase colours can be read. */
  bar: { top: number; bottom: number };
  /** The x of the first and last instant of the time axis. */
  axis: { from: string; to: string; x0: number; x1: number };
  marks: ChartMark[];
  /** One line per mark, for the image's alt text. */
  alt: string;
}

const WIDTH = 960;
const HEIGHT = 320;
const MARGIN = 48;
const SCALE = 2;
const LINE = (TEXT_HEIGHT + 3) * SCALE;
const BAR_TOP = 120;
const BAR_BOTTOM = 160;

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
  const img = new Raster(WIDTH, HEIGHT, CHART_COLORS.background);
  const from = m.detectedAt;
  const acts = actionMarks(actions);
  const times = [from, m.containedAt, m.resolvedAt ?? now, m.escalatedAt, m.acknowledgedAt, ...acts.map((a) => a.at)].filter((t): t is string => !!t);
  const to = times.sort().pop() ?? now;
  const t0 = Date.parse(from);
  const span = Math.max(1000, Date.parse(to) - t0);
  const x0 = MARGIN;
  const x1 = WIDTH - MARGIN;
  const xOf = (iso: string): number => Math.round(x0 + ((Date.parse(iso) - t0) / span) * (x1 - x0));

  img.text(MARGIN, 16, `${m.caseId} RESPONSE PHASES (UTC ${from.slice(0, 10)})`, CHART_COLORS.ink, SCALE);

  // The bar: exposure until contained (or resolved), containment until resolved.
  const endOfCase = m.resolvedAt ?? now;
  const exposedEnd = m.containedAt ?? endOfCase;
  img.fillRect(xOf(from), BAR_TOP, Math.max(2, xOf(exposedEnd) - xOf(from)), BAR_BOTTOM - BAR_TOP, CHART_COLORS.exposed);
  if (m.containedAt) img.fillRect(xOf(m.containedAt), BAR_TOP, Math.max(2, xOf(endOfCase) - xOf(m.containedAt)), BAR_BOTTOM - BAR_TOP, CHART_COLORS.contained);

  const above: { label: string; at: string; color: Rgb }[] = [{ label: `DETECTED ${hms(from)}`, at: from, color: CHART_COLORS.exposed }];
  if (m.escalatedAt) above.push({ label: 'ESC', at: m.escalatedAt, color: CHART_COLORS.escalation });
  if (m.acknowledgedAt) above.push({ label: 'ACK', at: m.acknowledgedAt, color: CHART_COLORS.escalation });
  if (m.containedAt) above.push({ label: `CONTAINED ${hms(m.containedAt)}`, at: m.containedAt, color: CHART_COLORS.contained });
  if (m.resolvedAt) above.push({ label: `RESOLVED ${hms(m.resolvedAt)}`, at: m.resolvedAt, color: CHART_COLORS.resolved });
  above.sort((a, b) => a.at.localeCompare(b.at));

  const marks: ChartMark[] = [];
  const place = (items: { label: string; at: string; color: Rgb }[], side: 'above' | 'below'): void => {
    const rows = stack(items.map((it) => ({ x: xOf(it.at), width: textWidth(it.label, SCALE) })));
    const placed = items.map((it, i) => {
      const x = xOf(it.at);
      const row = rows[i] ?? 0;
      const y = side === 'above' ? BAR_TOP - 8 - (row + 1) * LINE : BAR_BOTTOM + 8 + row * LINE + 2;
      return { ...it, x, y, tx: Math.min(side === 'above' ? x : x + 3, WIDTH - textWidth(it.label, SCALE) - 4) };
    });
    // Leader lines first, then labels on a blank patch, so a line never strikes through a label.
    for (const p of placed) {
      if (side === 'above') img.fillRect(p.x - 1, p.y + LINE - 4, 2, BAR_TOP - (p.y + LINE - 4), p.color);
      else img.fillRect(p.x - 1, BAR_BOTTOM, 2, p.y - BAR_BOTTOM, p.color);
    }
    for (const p of placed) {
      img.fillRect(p.tx - 2, p.y - 2, textWidth(p.label, SCALE) + 2, TEXT_HEIGHT * SCALE + 4, CHART_COLORS.background);
      img.text(p.tx, p.y, p.label, p.color, SCALE);
      marks.push({ label: p.label, at: p.at, x: p.x, color: p.color });
    }
  };
  place(above, 'above');
  place(acts, 'below');
  if (m.resolvedAt) img.fillRect(xOf(m.resolvedAt) - 2, BAR_TOP - 6, 4, BAR_BOTTOM - BAR_TOP + 12, CHART_COLORS.resolved);

  // Time axis with five ticks, and the legend.
  const axisY = HEIGHT - 64;
  img.fillRect(x0, axisY, x1 - x0, 2, CHART_COLORS.grid);
  for (let k = 0; k <= 4; k++) {
    const t = new Date(t0 + (span * k) / 4).toISOString();
    const x = xOf(t);
    img.fillRect(x - 1, axisY - 4, 2, 10, CHART_COLORS.grid);
    const label = hms(t);
    img.text(Math.max(0, Math.min(x - textWidth(label, SCALE) / 2, WIDTH - textWidth(label, SCALE))), axisY + 10, label, CHART_COLORS.ink, SCALE);
  }
  let lx = MARGIN;
  for (const [label, color] of [
    ['EXPOSED', CHART_COLORS.exposed],
    ['CONTAINED', CHART_COLORS.contained],
    ['APPLIED', CHART_COLORS.applied],
    ['REVERTED', CHART_COLORS.reverted],
    ['FAILED', CHART_COLORS.failed],
  ] as const) {
    img.fillRect(lx, HEIGHT - 26, 14, 14, color);
    lx += 20 + img.text(lx + 20, HEIGHT - 26, label, CHART_COLORS.ink, SCALE) + 16;
  }

  const alt = [`Response phases of ${m.caseId} (UTC)`, ...marks.map((mk) => `${mk.label.split(' ')[0] ?? mk.label} at ${mk.at}`)].join('; ');
  return { image: img, bar: { top: BAR_TOP, bottom: BAR_BOTTOM }, axis: { from, to, x0, x1 }, marks, alt };
}
