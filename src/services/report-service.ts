import { describeVerification, verifyAuditChain } from '../store/audit-chain';
import type { Case } from '../domain/cases/case';
import { isCaseId } from '../domain/cases/case-id';
import { formatExactDuration } from '../domain/duration';
import { renderCaseReport } from '../domain/reports/case-report';
import { caseMetrics, statsByBand, type BandStats, type CaseMetrics } from '../domain/reports/metrics';
import { drawPhaseChart } from '../domain/reports/phase-chart';
import { CordonError, ErrorCode } from '../errors';
import type { JobQueue } from '../jobs/job-queue';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import { jobReply, type Authorizer, type Requester } from './action-service';

/** A case's report as files: the Markdown, the phase chart, and the numbers in them. */
export interface CaseReport {
  caseId: string;
  markdown: string;
  markdownFile: string;
  png: Buffer;
  pngFile: string;
  /** Alt text of the chart, for screen readers and for Slack's `alt_txt`. */
  chartAlt: string;
  metrics: CaseMetrics;
}

/** Where a report went in Slack. */
export interface PublishedReport {
  report: CaseReport;
  fileIds: string[];
  channelId: string;
}

/** `/ir stats` looks back this many days. */
export const STATS_DAYS = 30;

/** Port: where a report is published (the Slack adapter uploads both files in one message). Returns the file ids. */
export interface ReportUploader {
  upload(channelId: string, report: CaseReport, by: string, headline: string): Promise<string[]>;
}

/** What answering people in Slack takes: the access check and the queue the upload job goes to. */
export interface ReportRequests {
  authorizer: Authorizer;
  queue: JobQueue;
}

/** `/ir report`, `cordon report` and `/ir stats`: reads the store, renders, uploads. */
export class ReportService {
  constructor(
    private readonly store: Store,
    private readonly opts: { now: () => Date; accountNames?: Readonly<Record<string, string>>; log?: Logger; uploader?: ReportUploader; requests?: ReportRequests },
  ) {}

  /** People's requests need the access check: without it this Cordon refuses them rather than skip it. */
  private requests(): ReportRequests {
    if (!this.opts.requests) throw new CordonError(ErrorCode.CONFIG_INVALID, 'reports are not wired for requests from Slack on this Cordon');
    return this.opts.requests;
  }

  /** `/ir report`: rendering and three upload calls can outlast Slack's 3 s, so the worker does it. */
  async request(who: Requester, c: Case): Promise<void> {
    const r = this.requests();
    await r.authorizer.authorize(who, 'report', { caseId: c.id });
    const reply = jobReply(who, this.opts.now());
    await r.queue.enqueue({ type: 'report', caseId: c.id, by: who.userId, channelId: who.channelId, ...(reply ? { reply } : {}) });
  }

  /** `/ir stats`. */
  async statsFor(who: Requester): Promise<{ since: string; cases: number; bands: BandStats[] }> {
    await this.requests().authorizer.authorize(who, 'stats');
    return this.stats();
  }

  async build(caseId: string): Promise<CaseReport> {
    if (!isCaseId(caseId)) throw new CordonError(ErrorCode.INPUT_INVALID, `\`${caseId.slice(0, 40)}\` is not a case id (IR-<yyyymmdd>-<id>, e.g. IR-20261122-7Q3F)`);
    const c = await this.store.getCase(caseId);
    if (!c) throw new CordonError(ErrorCode.CASE_NOT_FOUND, `no case ${caseId}`);
    const [findings, actions, timeline] = await Promise.all([this.store.listFindings({ caseId }), this.store.listActions({ caseId }), this.store.listTimeline(caseId)]);
    // The case's own chain: a report is evidence only if its audit trail is intact.
    const chain = await verifyAuditChain(this.store, [c.id]);
    const generatedAt = this.opts.now().toISOString();
    const metrics = caseMetrics(c, actions);
    const chart = drawPhaseChart(metrics, actions, generatedAt);
    const pngFile = `${c.id}-phases.png`;
    const markdown = renderCaseReport({
      case: c,
      findings,
      actions,
      timeline,
      metrics,
      generatedAt,
      chartFile: pngFile,
      auditTrail: { verified: chain.ok, text: describeVerification(chain) },
      ...(this.opts.accountNames ? { accountNames: this.opts.accountNames } : {}),
    });
    // Loaded on first report (a chunk of its own in the Lambda bundles): the slack Lambda imports this module and must start fast.
    const { encodePng } = await import('../reports/png-encoder');
    return { caseId: c.id, markdown, markdownFile: `${c.id}-report.md`, png: encodePng(chart.image), pngFile, chartAlt: chart.alt.slice(0, 1000), metrics };
  }

  /**
   * Uploads the report and its chart to the case channel (one message with both
   * files, through the uploader port) and records it on the timeline.
   */
  async publish(caseId: string, by: string): Promise<PublishedReport> {
    const uploader = this.opts.uploader;
    if (!uploader) throw new CordonError(ErrorCode.CONFIG_INVALID, 'Slack is not configured on this Cordon; use `cordon report <case-id>`');
    const report = await this.build(caseId);
    const c = (await this.store.getCase(caseId)) as Case;
    if (!c.channelId) throw new CordonError(ErrorCode.SLACK_FAILED, `case ${c.id} has no channel yet; try again when its channel exists`);
    const fileIds = await uploader.upload(c.channelId, report, by, reportHeadline(report.metrics));
    await this.store.appendTimeline({ caseId: c.id, at: this.opts.now().toISOString(), kind: 'report.published', actor: by, text: `Report uploaded (${report.markdownFile}, ${report.pngFile})`, silent: true });
    this.opts.log?.info({ caseId: c.id, userId: by, files: fileIds }, 'report published');
    return { report, fileIds, channelId: c.channelId };
  }

  /** The report metrics over the cases opened in the last 30 days, by severity band. */
  async stats(): Promise<{ since: string; cases: number; bands: BandStats[] }> {
    const since = new Date(this.opts.now().getTime() - STATS_DAYS * 86_400_000).toISOString();
    const cases = (await this.store.listCases()).filter((c) => c.createdAt >= since);
    const metrics = await Promise.all(cases.map(async (c) => caseMetrics(c, await this.store.listActions({ caseId: c.id }))));
    return { since, cases: cases.length, bands: statsByBand(metrics) };
  }
}

function reportHeadline(m: CaseMetrics): string {
  const part = (name: string, ms: number | undefined): string => `${name} ${ms === undefined ? 'not reached' : formatExactDuration(ms)}`;
  return [part('time to acknowledge', m.timeToAcknowledgeMs), part('to contain', m.timeToContainMs), part('to resolve', m.timeToResolveMs)].join(' · ');
}
