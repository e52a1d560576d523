import type { WebClient } from '@slack/web-api';
import type { Case } from '../../domain/cases/case';
import { bridgeChannelName } from '../../domain/cases/channel-name';
import { formatDuration } from '../../domain/duration';
import type { Logger } from '../../log';
import type { BridgeRoom } from '../../services/escalation-service';
import { renderBridgeMessage } from '../blocks/escalation-message';
import { createOrAdoptChannel } from './channels';
import { slackErrorCode } from '../slack-errors';

/** What the bridge needs from the config's `escalation` section. */
export interface SlackBridgeOptions {
  invite: string[];
  inviteGroups: string[];
  bridgeUrl?: string;
}

const NAME_ATTEMPTS = 20;

/** The {@link BridgeRoom} port on Slack: a private channel beside the case channel, its contacts, its Acknowledge message. */
export class SlackBridge implements BridgeRoom {
  constructor(
    private readonly client: WebClient,
    private readonly log: Logger,
    private readonly opts: SlackBridgeOptions,
  ) {}

  open(c: Case & { channelName: string }): Promise<{ id: string; name: string }> {
    return createOrAdoptChannel(this.client, this.log, {
      nameFor: (attempt) => bridgeChannelName(c.channelName, attempt),
      attempts: NAME_ATTEMPTS,
      isPrivate: true,
      logContext: { caseId: c.id, bridge: true },
    });
  }

  private async contacts(): Promise<string[]> {
    const users = new Set(this.opts.invite);
    for (const g of this.opts.inviteGroups) for (const u of (await this.client.usergroups.users.list({ usergroup: g })).users ?? []) users.add(u);
    return [...users];
  }

  async inviteContacts(channelId: string): Promise<void> {
    const users = await this.contacts();
    if (!users.length) return;
    try {
      await this.client.conversations.invite({ channel: channelId, users: users.join(','), force: true });
    } catch (err) {
      if (slackErrorCode(err) !== 'already_in_channel') throw err;
    }
  }

  async announce(caseChannelId: string, bridgeChannelId: string): Promise<void> {
    await this.client.chat.postMessage({ channel: caseChannelId, text: `:rotating_light: Escalated: the bridge channel is <#${bridgeChannelId}>${this.opts.bridgeUrl ? ` · ${this.opts.bridgeUrl}` : ''}` });
  }

  async postSummary(c: Case & { bridgeChannelId: string }): Promise<string | undefined> {
    const posted = await this.client.chat.postMessage({ channel: c.bridgeChannelId, ...renderBridgeMessage(c, this.opts.bridgeUrl), unfurl_links: false });
    await this.client.conversations.setTopic({ channel: c.bridgeChannelId, topic: `Bridge for ${c.id}${this.opts.bridgeUrl ? ` · ${this.opts.bridgeUrl}` : ''}`.slice(0, 250) });
    return posted.ts;
  }

  async updateSummary(c: Case & { bridgeChannelId: string; bridgeTs: string }): Promise<void> {
    await this.client.chat.update({ channel: c.bridgeChannelId, ts: c.bridgeTs, ...renderBridgeMessage(c, this.opts.bridgeUrl) });
  }

  async repage(c: Case & { bridgeChannelId: string }, waitedMs: number): Promise<void> {
    const contacts = await this.contacts();
    await this.client.chat.postMessage({
      channel: c.bridgeChannelId,
      text: `${contacts.map((u) => `<@${u}>`).join(' ')} :rotating_light: case ${c.id} is still unacknowledged after ${formatDuration(waitedMs)}: \`/ir ack\` or the Acknowledge button`,
    });
  }
}
