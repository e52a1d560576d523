import type { FilesGetUploadURLExternalArguments, WebClient } from '@slack/web-api';
import { CordonError, ErrorCode } from '../../errors';
import type { CaseReport, ReportUploader } from '../../services/report-service';

/**
 * The arguments of files.getUploadURLExternal as Slack documents them
 * (https://api.slack.com/methods/files.getUploadURLExternal): the image description is
 * `alt_txt`. @slack/web-api 8.2 types and sends it as `alt_text`, a name Slack ignores,
 * so `files.uploadV2` cannot carry it; the three documented calls are made here instead.
 */
type UploadUrlArguments = FilesGetUploadURLExternalArguments & { alt_txt?: string };

interface OneFile {
  bytes: Buffer;
  filename: string;
  title: string;
  alt?: string;
}

/**
 * The {@link ReportUploader} port on Slack: files.getUploadURLExternal and the upload per
 * file, then one files.completeUploadExternal, so both files arrive in one message (what
 * `files.uploadV2` does, with the alt text under Slack's name for it).
 */
export class SlackReportUploader implements ReportUploader {
  constructor(private readonly client: WebClient) {}

  async upload(channelId: string, report: CaseReport, by: string, headline: string): Promise<string[]> {
    const files: OneFile[] = [
      { bytes: Buffer.from(report.markdown, 'utf8'), filename: report.markdownFile, title: `${report.caseId} incident report` },
      { bytes: report.png, filename: report.pngFile, title: `${report.caseId} response phases`, alt: report.chartAlt },
    ];
    const [first, ...rest] = await Promise.all(files.map((f) => this.send(f)));
    if (!first) return [];
    const done = await this.client.files.completeUploadExternal({
      files: [first, ...rest],
      channel_id: channelId,
      initial_comment: `Incident report for ${report.caseId}, requested by <@${by}>: ${headline}`,
    });
    return (done.files ?? []).flatMap((f) => (f.id ? [f.id] : []));
  }

  private async send(f: OneFile): Promise<{ id: string; title: string }> {
    // Slack refuses a description over 1,000 characters (alt_txt_too_large).
    const args: UploadUrlArguments = { filename: f.filename, length: f.bytes.length, ...(f.alt ? { alt_txt: f.alt.slice(0, 1000) } : {}) };
    const url = await this.client.files.getUploadURLExternal(args);
    if (!url.upload_url || !url.file_id) throw new CordonError(ErrorCode.SLACK_FAILED, `Slack gave no upload URL for ${f.filename}`);
    const res = await fetch(url.upload_url, { method: 'POST', body: new Uint8Array(f.bytes) });
    if (!res.ok) throw new CordonError(ErrorCode.SLACK_FAILED, `uploading ${f.filename} to Slack failed (HTTP ${res.status})`);
    return { id: url.file_id, title: f.title };
  }
}
