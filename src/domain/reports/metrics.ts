import type { Action } from '../actions/action';
import type { Band } from '../findings/finding';
import type { Case } from '../cases/case';

/**
 * The response clock of one case. Every duration is measured between two times
 * Cordon recorded itself, so the report and `/ir stats` agree to the millisecond.
 */
export interface CaseMetrics {
  caseId: string;
  band: Band;
  /** The case opened: the first finding (or a manual contain) reached Cordon. */
  detectedAt: string;
  escalatedAt?: string;
  acknowledgedAt?: string;
  /** The first action that ended with every step applied. */
  containedAt?: string;
  resolvedAt?: string;
  /** Escalation to acknowledgement: the clock the ticker re-pages on. */
  timeToAcknowledgeMs?: number;
  /** Detection to the first complete containment. */
  timeToContainMs?: number;
  /** Detection to resolution. */
  timeToResolveMs?: number;
}

function between(from: string | undefined, to: string | undefined): number | undefined {
  if (!from || !to) return undefined;
  return Date.parse(to) - Date.parse(from);
}

/** Dry runs change nothing, so they never count as containment. */
export function containedAt(actions: readonly Action[]): string | undefined {
  const times = actions.filter((a) => !a.dryRun && a.appliedAt).map((a) => a.appliedAt as string);
  return times.sort()[0];
}

export function caseMetrics(c: Case, actions: readonly Action[]): CaseMetrics {
  const contained = containedAt(actions);
  // Detection is when GuardDuty saw the activity (the case's earliest finding), not when
  // Cordon ingested it: a replayed finding from last year is measured from last year.
  const detected = c.detectedAt ?? c.createdAt;
  const m: CaseMetrics = { caseId: c.id, band: c.band, detectedAt: detected };
  if (c.escalatedAt) m.escalatedAt = c.escalatedAt;
  if (c.acknowledgedAt) m.acknowledgedAt = c.acknowledgedAt;
  if (contained) m.containedAt = contained;
  if (c.resolvedAt) m.resolvedAt = c.resolvedAt;
  const ack = between(detected, c.acknowledgedAt);
  const contain = between(detected, contained);
  const resolve = between(detected, c.resolvedAt);
  if (ack !== undefined) m.timeToAcknowledgeMs = ack;
  if (contain !== undefined) m.timeToContainMs = contain;
  if (resolve !== undefined) m.timeToResolveMs = resolve;
  return m;
}

/** One duration metric over many cases: how many had it, and its spread. */
export interface DurationStats {
  count: number;
  medianMs?: number;
  meanMs?: number;
  maxMs?: number;
}

/** The metrics of the cases of one severity band. */
export interface BandStats {
  band: Band;
  cases: number;
  acknowledge: DurationStats;
  contain: DurationStats;
  resolve: DurationStats;
}

function spread(values: number[]): DurationStats {
  if (!values.length) return { count: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? (sorted[mid] as number) : Math.round(((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2);
  return {
    count: sorted.length,
    medianMs: median,
    meanMs: Math.round(sorted.reduce((s, v) => s + v, 0) / sorted.length),
    maxMs: sorted[sorted.length - 1],
  };
}

const BAND_ORDER: Band[] = ['critical', 'high', 'medium', 'low'];

/** Per band, most severe first; bands without cases are left out. */
export function statsByBand(metrics: readonly CaseMetrics[]): BandStats[] {
  return BAND_ORDER.flatMap((band) => {
    const of = metrics.filter((m) => m.band === band);
    if (!of.length) return [];
    const pick = (k: 'timeToAcknowledgeMs' | 'timeToContainMs' | 'timeToResolveMs'): number[] => of.flatMap((m) => (m[k] === undefined ? [] : [m[k]]));
    return [{ band, cases: of.length, acknowledge: spread(pick('timeToAcknowledgeMs')), contain: spread(pick('timeToContainMs')), resolve: spread(pick('timeToResolveMs')) }];
  });
}
