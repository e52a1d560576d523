import type { WebClient } from '@slack/web-api';
import type { SuppressionRule } from '../../domain/triage/suppression';
import type { SuppressionEvent, SuppressionNotices } from '../../services/suppression-service';
import { renderSuppressionNotice } from '../blocks/suppression-notice';

/** The {@link SuppressionNotices} port on Slack: one message in the triage channel per rule event. */
export class SlackSuppressionNotices implements SuppressionNotices {
  constructor(
    private readonly client: WebClient,
    private readonly triageChannel: string,
  ) {}

  async announce(rule: SuppressionRule, event: SuppressionEvent, by: string): Promise<void> {
    const msg = renderSuppressionNotice(rule, event, by);
    await this.client.chat.postMessage({ channel: this.triageChannel, text: msg.text, blocks: msg.blocks, unfurl_links: false });
  }
}
