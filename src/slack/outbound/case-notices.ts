import type { WebClient } from '@slack/web-api';
import type { CaseChannelNotices } from '../../services/case-service';
import { renderResolutionChecklist } from '../blocks/timeline-page';

/** The {@link CaseChannelNotices} port on Slack: posts straight to the channel (the case is already stored). */
export class SlackCaseNotices implements CaseChannelNotices {
  constructor(private readonly client: WebClient) {}

  async resolutionChecklist(channelId: string, caseId: string, summary: string | undefined): Promise<void> {
    await this.client.chat.postMessage({ channel: channelId, ...renderResolutionChecklist(caseId, summary) });
  }
}
