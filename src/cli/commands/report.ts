import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../../config/load-config';
import type { Cordon } from '../../app/cordon';
import { formatExactDuration } from '../../domain/duration';
import type { CaseMetrics } from '../../domain/reports/metrics';
import { ReportService } from '../../services/report-service';
import { SlackReportUploader } from '../../slack/outbound/report-uploader';
import type { CliIo } from '../output';

/** What `cordon report --json` prints. */
export interface ReportResult {
  ok: true;
  caseId: string;
  files: string[];
  markdown: string;
  slackFileIds?: string[];
  metrics: CaseMetrics;
}

/**
 * `cordon report <case-id> [--out DIR] [--upload]`: the Markdown goes to stdout
 * unless `--out` names a folder for both files; `--upload` also posts them to the
 * case channel, as `/ir report` does.
 */
export async function runReport(cordon: Cordon, opts: { caseId: string; out?: string; upload: boolean; user: string }, io: CliIo, json: boolean): Promise<ReportResult> {
  if (opts.upload && !cordon.slack) throw new ConfigError('--upload needs Slack', ['missing environment variable SLACK_BOT_TOKEN (the bot token, xoxb-…); without --upload the report is only written locally']);
  const service = new ReportService(cordon.store, {
    now: () => cordon.now(),
    accountNames: Object.fromEntries(cordon.config.accounts.map((a) => [a.id, a.name])),
    log: cordon.log,
    ...(opts.upload && cordon.slack ? { uploader: new SlackReportUploader(cordon.slack.client) } : {}),
  });
  const published = opts.upload ? await service.publish(opts.caseId, `cli:${opts.user}`) : undefined;
  const report = published?.report ?? (await service.build(opts.caseId));
  const files: string[] = [];
  if (opts.out) {
    const dir = resolve(opts.out);
    mkdirSync(dir, { recursive: true });
    for (const [name, bytes] of [
      [report.markdownFile, Buffer.from(report.markdown, 'utf8')],
      [report.pngFile, report.png],
    ] as const) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      files.push(path);
    }
  }
  if (!json) {
    if (opts.out) for (const f of files) io.out(`wrote ${f}`);
    else io.out(report.markdown);
    const m = report.metrics;
    const d = (ms: number | undefined): string => (ms === undefined ? 'not reached' : formatExactDuration(ms));
    io.err(`${report.caseId}: time to acknowledge ${d(m.timeToAcknowledgeMs)}, to contain ${d(m.timeToContainMs)}, to resolve ${d(m.timeToResolveMs)}`);
    if (published) io.err(`uploaded to the case channel: ${published.fileIds.join(', ')}`);
  }
  return { ok: true, caseId: report.caseId, files, markdown: report.markdown, metrics: report.metrics, ...(published ? { slackFileIds: published.fileIds } : {}) };
}
