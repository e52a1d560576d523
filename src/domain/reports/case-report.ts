import type { Action } from '../actions/action';
import { BAND_LABEL } from '../triage/bands';
import type { Case, StoredFinding, TimelineEvent } from '../cases/case';
import { timelineLabel } from '../cases/timeline-words';
import { formatExactDuration } from '../duration';
import { activityAt, findingTactic } from '../findings/finding';
import type { CaseMetrics } from './metrics';

/** Everything a report is made from; the service loads it, this renders it. */
export interface ReportInput {
  case: Case;
  findings: readonly StoredFinding[];
  /** In the order they were requested; the report and the chart number them alike. */
  actions: readonly Action[];
  timeline: readonly TimelineEvent[];
  metrics: CaseMetrics;
  generatedAt: string;
  /** Account id → configured name, where the config gives one. */
  accountNames?: Readonly<Record<string, string>>;
  /** File name of the phase chart uploaded alongside, when there is one. */
  chartFile?: string;
  /** Whether the case's audit hash chain verified, in words (issue 17 point 8). */
  auditTrail?: { verified: boolean; text: string };
}

/**
 * Finding fields come from the attacker's side: neutralise everything Markdown
 * (and HTML inside Markdown) would read as structure, and keep a table cell on one line.
 */
export function mdText(text: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  const cut = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  // Links need `[`, HTML needs `<`, emphasis `*` `_` `~`, code a backtick, tables `|`.
  return cut.replace(/&/g, '&amp;').replace(/[\\`*_[\]<>|~]/g, (ch) => `\\${ch}`);
}

function utc(iso: string | undefined): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : '—';
}

function who(actor: string | undefined): string {
  return actor ? mdText(actor, 60) : '—';
}

/** How the apply ended; a later revert is its own column, so a reverted action still reads "applied". */
function outcome(a: Action): string {
  if (a.dryRun) return 'dry run (nothing changed)';
  const failedSteps = a.steps.filter((s) => s.status === 'failed' || (s.error !== undefined && s.status !== 'applied')).length;
  const failed = failedSteps ? ` (${failedSteps} step${failedSteps === 1 ? '' : 's'} failed)` : '';
  if (a.appliedAt) return 'applied';
  if (['reverting', 'reverted', 'revert_failed'].includes(a.status)) return `${failedSteps ? 'partially applied' : 'interrupted'}${failed}`;
  return `${a.status.replace(/_/g, ' ')}${failed}`;
}

function revertCell(a: Action): string {
  if (a.revertedAt) return `${a.status === 'revert_failed' ? 'revert failed' : 'reverted'} by ${who(a.revertedBy)} at ${utc(a.revertedAt)}`;
  if (a.status === 'reverting') return `reverting (by ${who(a.revertedBy)})`;
  return 'not reverted';
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function metricRow(name: string, ms: number | undefined, from: string, fromAt: string | undefined, to: string, toAt: string | undefined): string {
  if (ms === undefined) return row([name, 'not reached', fromAt ? `${from} ${utc(fromAt)}` : '—', '—']);
  return row([name, `${formatExactDuration(ms)} (${Math.round(ms / 1000)} s)`, `${from} ${utc(fromAt)}`, `${to} ${utc(toAt)}`]);
}

/** The Markdown report of one case: for executives, regulators and insurers, not a chat log. */
export function renderCaseReport(r: ReportInput): string {
  const c = r.case;
  const m = r.metrics;
  const out: string[] = [];
  out.push(`# Incident report ${c.id}: ${mdText(c.title, 200)}`, '', `Generated ${utc(r.generatedAt)} UTC by Cordon. All times are UTC.`, '');

  out.push('## Summary', '');
  out.push(`- **Severity:** ${BAND_LABEL[c.band]} (${c.severity})`);
  out.push(`- **Status:** ${c.status}`);
  if (c.detectedAt && c.detectedAt !== c.createdAt) out.push(`- **Activity first seen (GuardDuty):** ${utc(c.detectedAt)}`);
  out.push(`- **Opened:** ${utc(c.createdAt)}`);
  if (c.mergedFrom?.length) out.push(`- **Merged in:** ${c.mergedFrom.map((id) => mdText(id, 40)).join(', ')}`);
  if (c.mergedInto) out.push(`- **Merged into:** ${mdText(c.mergedInto, 40)}`);
  if (c.escalatedAt) out.push(`- **Escalated:** ${utc(c.escalatedAt)} by ${who(c.escalatedBy)}${c.escalationReason ? `: ${mdText(c.escalationReason)}` : ''}`);
  if (c.acknowledgedAt) out.push(`- **Acknowledged:** ${utc(c.acknowledgedAt)} by ${who(c.acknowledgedBy)}`);
  if (c.resolvedAt) out.push(`- **Resolved:** ${utc(c.resolvedAt)} by ${who(c.resolvedBy)}${c.resolution ? `: ${mdText(c.resolution, 1000)}` : ''}`);
  if (c.closedAt) out.push(`- **Closed:** ${utc(c.closedAt)} by ${who(c.closedBy)}`);
  const cased = r.findings.filter((f) => f.disposition === 'cased').length;
  out.push(`- **Findings:** ${r.findings.length} (${cased} cased)`);
  const real = r.actions.filter((a) => !a.dryRun);
  out.push(`- **Containment actions:** ${real.length} (${real.filter((a) => a.appliedAt).length} applied, ${real.filter((a) => a.revertedAt).length} reverted)`);
  if (c.channelName) out.push(`- **Case channel:** #${mdText(c.channelName, 80)}${c.bridgeChannelName ? `, bridge #${mdText(c.bridgeChannelName, 80)}` : ''}`);
  out.push('');

  out.push('## Metrics', '', row(['Metric', 'Duration', 'From', 'To']), row(['---', '---', '---', '---']));
  out.push(metricRow('Time to acknowledge', m.timeToAcknowledgeMs, 'detected', m.detectedAt, 'acknowledged', m.acknowledgedAt));
  out.push(metricRow('Time to contain', m.timeToContainMs, 'detected', m.detectedAt, 'contained', m.containedAt));
  out.push(metricRow('Time to resolve', m.timeToResolveMs, 'detected', m.detectedAt, 'resolved', m.resolvedAt));
  out.push('');

  out.push('## Accounts and resources', '');
  for (const acct of c.accounts) {
    const name = r.accountNames?.[acct];
    out.push(`- Account ${acct}${name ? ` (${mdText(name, 60)})` : ''}`);
  }
  if (c.regions.length) out.push(`- Regions: ${c.regions.map((x) => mdText(x, 30)).join(', ')}`);
  const resources = new Map<string, { kind: string; id: string; account: string; source: string }>();
  for (const f of r.findings) {
    for (const res of f.finding.resources) resources.set(`${res.kind}|${res.id}`, { kind: res.kind, id: res.arn ?? res.id, account: f.finding.accountId, source: 'finding' });
    // What the attacker's API calls created or changed (the instance a RunInstances launched).
    for (const res of f.finding.affected ?? []) {
      if (!resources.has(`${res.kind}|${res.id}`)) resources.set(`${res.kind}|${res.id}`, { kind: res.kind, id: res.arn ?? res.id, account: f.finding.accountId, source: 'API call in a finding' });
    }
  }
  for (const a of r.actions) {
    const key = `${a.kind}|${a.target.id}`;
    const prev = resources.get(key);
    resources.set(key, { kind: a.kind, id: prev?.id ?? a.target.ref, account: a.target.accountId ?? prev?.account ?? '—', source: prev ? 'finding, action' : 'action' });
  }
  out.push('', row(['Kind', 'Resource', 'Account', 'Named by']), row(['---', '---', '---', '---']));
  for (const res of [...resources.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id))) {
    out.push(row([mdText(res.kind, 40), mdText(res.id, 200), mdText(res.account, 20), res.source]));
  }
  out.push('');

  out.push('## Findings by tactic', '');
  const byTactic = new Map<string, StoredFinding[]>();
  for (const f of r.findings) {
    const t = findingTactic(f.finding.type);
    byTactic.set(t, [...(byTactic.get(t) ?? []), f]);
  }
  if (!byTactic.size) out.push('No findings: the case was opened by hand.', '');
  for (const [tactic, fs] of [...byTactic.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    // GuardDuty's activity time, not Cordon's ingestion: a replayed finding shows its real date.
    out.push(`### ${mdText(tactic, 60)} (${fs.length})`, '', row(['Activity', 'Severity', 'Type', 'Title', 'Account / region', 'Disposition']), row(['---', '---', '---', '---', '---', '---']));
    for (const f of [...fs].sort((a, b) => activityAt(a.finding).localeCompare(activityAt(b.finding)) || a.id.localeCompare(b.id))) {
      out.push(
        row([
          utc(activityAt(f.finding)),
          `${BAND_LABEL[f.band]} (${f.finding.severity})`,
          mdText(f.finding.type, 120),
          mdText(f.finding.title, 200),
          `${mdText(f.finding.accountId, 20)} / ${mdText(f.finding.region, 30)}`,
          f.disposition === 'suppressed' ? `suppressed (${mdText(f.suppressedBy ?? 'rule', 40)})` : f.disposition === 'digest' && f.caseId ? 'digest, joined this case' : f.disposition,
        ]),
      );
    }
    out.push('');
  }

  out.push('## Actions', '');
  if (!r.actions.length) out.push('No containment actions.', '');
  else {
    out.push(row(['#', 'Action', 'Target', 'Requested by', 'Approved by', 'Outcome', 'Applied', 'Revert']), row(['---', '---', '---', '---', '---', '---', '---', '---']));
    r.actions.forEach((a, i) => {
      const approval = a.approvedBy ? who(a.approvedBy) : a.rejectedBy ? `rejected by ${who(a.rejectedBy)}` : a.approvalRule ? 'not approved' : 'no approval needed';
      out.push(row([`A${i + 1}`, `\`${a.id}\``, `${a.kind} ${mdText(a.target.ref, 200)}`, who(a.requestedBy), approval, outcome(a), utc(a.appliedAt), revertCell(a)]));
    });
    out.push('');
  }

  out.push('## Timeline', '', row(['Time', 'Event', 'Actor', 'Detail']), row(['---', '---', '---', '---']));
  for (const e of r.timeline) out.push(row([utc(e.at), timelineLabel(e.kind), who(e.actor), mdText(e.text, 500)]));
  out.push('');

  if (r.auditTrail) out.push('## Audit trail', '', `${r.auditTrail.verified ? 'Verified' : '**Does not verify**'}: ${mdText(r.auditTrail.text, 500)}`, '');

  if (r.chartFile) {
    out.push('## Phase chart', '', `![Response phases of ${c.id}: detected, contained, resolved, with actions marked](${r.chartFile})`, '');
    out.push('Red: detected and not yet contained. Orange: contained, not yet resolved. Green mark: resolved. Below the bar, A<n> is action n applied (red when it failed) and R<n> its revert.', '');
  }
  return out.join('\n');
}
