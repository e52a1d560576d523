import type { WebClient } from '@slack/web-api';
import type { CaseReport, ReportUploader } from '../../services/report-service';

/** The {@link ReportUploader} port on Slack: one `files.uploadV2` call, one message with both files. */
export class SlackReportUploader implements ReportUploader {
  constructor(private readonly client: WebClient) {}

  async upload(channelId: string, report: CaseReport, by: string, headline: string): Promise<string[]> {
    const res = await this.client.files.uploadV2({
      channel_id: channelId,
      initial_comment: `Incident report for ${report.caseId}, requested by <@${by}>: ${headline}`,
      file_uploads: [
        { file: Buffer.from(report.markdown, 'utf8'), filename: report.markdownFile, title: `${report.caseId} incident report` },
        { file: report.png, filename: report.pngFile, title: `${report.caseId} response phases`, alt_text: report.chartAlt },
      ],
    });
    return uploadedIds(res);
  }
}

function uploadedIds(res: unknown): string[] {
  // uploadV2 answers with one completeUploadExternal response per channel, each listing its files.
  const files = (res as { files?: { files?: { id?: string }[] }[] }).files ?? [];
  return files.flatMap((r) => (r.files ?? []).flatMap((f) => (f.id ? [f.id] : [])));
}
