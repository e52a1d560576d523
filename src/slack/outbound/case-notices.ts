import type { WebClient } from '@slack/web-api';
import type { CaseChannelNotices } from '../../services/case-service';
import { renderResolutionChecklist } from '../blocks/timeline-page';
import { slackErrorCode } from '../slack-errors';

/** The {@link CaseChannelNotices} port on Slack: posts straight to the channel (the case is already stored). */
export class SlackCaseNotices implements CaseChannelNotices {
  constructor(private readonly client: WebClient) {}

  async resolutionChecklist(channelId: string, caseId: string, summary: string | undefined): Promise<void> {
    await this.client.chat.postMessage({ channel: channelId, ...renderResolutionChecklist(caseId, summary) });
  }

  /**
   * users.lookupByEmail, then conversations.invite. The account is checked at the click,
   * not when the button was posted: it may have been deactivated or made a guest since.
   */
  async inviteByEmail(channelId: string, email: string): Promise<{ invited: string } | { refused: string }> {
    let user: { id?: string; deleted?: boolean; is_bot?: boolean; is_restricted?: boolean; is_ultra_restricted?: boolean } | undefined;
    try {
      user = (await this.client.users.lookupByEmail({ email })).user;
    } catch (err) {
      const code = slackErrorCode(err);
      return { refused: code === 'users_not_found' ? 'no Slack account in this workspace has that address' : `Slack could not look the address up (${code ?? 'error'})` };
    }
    if (!user?.id) return { refused: 'no Slack account in this workspace has that address' };
    const kind = user.deleted ? 'a deactivated account' : user.is_bot ? 'a bot' : user.is_restricted || user.is_ultra_restricted ? 'a guest' : undefined;
    if (kind) return { refused: `that address belongs to ${kind}; only full members are invited` };
    try {
      await this.client.conversations.invite({ channel: channelId, users: user.id });
    } catch (err) {
      const code = slackErrorCode(err);
      if (code !== 'already_in_channel') return { refused: `Slack refused the invite (${code ?? 'error'})` };
    }
    return { invited: user.id };
  }
}
