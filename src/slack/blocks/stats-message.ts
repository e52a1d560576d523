import type { BandStats, DurationStats } from '../../domain/reports/metrics';
import { formatExactDuration } from '../../domain/duration';
import { BAND_LABEL } from '../../domain/triage/bands';

function statCell(s: DurationStats): string {
  if (!s.count || s.medianMs === undefined) return '—';
  return `median ${formatExactDuration(s.medianMs)}, max ${formatExactDuration(s.maxMs ?? s.medianMs)} (${s.count})`;
}

/** `/ir stats` as plain mrkdwn lines: nothing in it comes from a finding. */
export function renderStats(s: { since: string; cases: number; bands: BandStats[] }, days: number): string {
  if (!s.cases) return `No cases opened since ${s.since.slice(0, 10)} (last ${days} days).`;
  return [
    `*Response metrics, cases opened since ${s.since.slice(0, 10)} (last ${days} days): ${s.cases}*`,
    ...s.bands.map((b) => `• *${BAND_LABEL[b.band]}* — ${b.cases} case${b.cases === 1 ? '' : 's'}\n   acknowledge: ${statCell(b.acknowledge)}\n   contain: ${statCell(b.contain)}\n   resolve: ${statCell(b.resolve)}`),
    // Said plainly (issue 17 point 7): the numbers are not this channel's, nor only open cases.
    `_Counted across every case Cordon opened since ${s.since.slice(0, 10)}, in every channel and of any status (open, resolved, closed; drills included), not only this one._`,
    '_Acknowledge: escalation to first ack. Contain: case opened to the first fully applied action. Resolve: case opened to resolved. (n) is how many cases reached it._',
  ].join('\n');
}
