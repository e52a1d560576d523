import type { WebClient } from '@slack/web-api';
import type { Case } from '../../domain/cases/case';
import { bridgeChannelName } from '../../domain/cases/channel-name';
import { formatDuration } from '../../domain/duration';
import type { Logger } from '../../log';
import type { BridgeRoom } from '../../services/escalation-service';
import { renderBridgeMessage, type BridgePeople } from '../blocks/escalation-message';
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

  /** The contacts as mentions: users by id, groups as `<!subteam^…>` (one mention pages the whole group). */
  private mentions(): string {
    return [...this.opts.invite.map((u) => `<@${u}>`), ...this.opts.inviteGroups.map((g) => `<!subteam^${g}>`)].join(' ');
  }

  private async invite(channelId: string, users: string[]): Promise<void> {
    if (!users.length) return;
    try {
      await this.client.conversations.invite({ channel: channelId, users: users.join(','), force: true });
    } catch (err) {
      if (slackErrorCode(err) !== 'already_in_channel') throw err;
    }
  }

  async inviteContacts(bridgeChannelId: string, c: Case): Promise<void> {
    const contacts = await this.contacts();
    // The person who escalated works the bridge too; routing ('cordon') is nobody to invite.
    const escalator = c.escalatedBy && /^[UW][A-Z0-9]+$/.test(c.escalatedBy) ? [c.escalatedBy] : [];
    await this.invite(bridgeChannelId, [...new Set([...contacts, ...escalator])]);
    // The case channel is private: the bridge's link to it opens only for its members. A
    // contact Slack will not add there (deactivated, a guest) is named in the summary instead.
    if (c.channelId) {
      try {
        await this.invite(c.channelId, contacts);
      } catch (err) {
        this.log.warn({ caseId: c.id, error: slackErrorCode(err) ?? String(err) }, 'could not add the escalation contacts to the case channel; the bridge summary says who is missing');
      }
    }
  }

  /** Contacts not in the case channel (asked of Slack, so a resumed job still tells the truth). */
  private async missingFromCaseChannel(c: Case, contacts: string[]): Promise<string[]> {
    if (!c.channelId || !contacts.length) return [];
    try {
      const members = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await this.client.conversations.members({ channel: c.channelId, limit: 1000, ...(cursor ? { cursor } : {}) });
        for (const m of page.members ?? []) members.add(m);
        cursor = page.response_metadata?.next_cursor || undefined;
      } while (cursor);
      return contacts.filter((u) => !members.has(u));
    } catch (err) {
      this.log.warn({ caseId: c.id, error: slackErrorCode(err) ?? String(err) }, 'could not list the case channel members; the summary says the contacts may not be in it');
      return contacts;
    }
  }

  async announce(caseChannelId: string, bridgeChannelId: string): Promise<void> {
    await this.client.chat.postMessage({ channel: caseChannelId, text: `:rotating_light: Escalated: the bridge channel is <#${bridgeChannelId}>${this.opts.bridgeUrl ? ` · ${this.opts.bridgeUrl}` : ''}` });
  }

  async postSummary(c: Case & { bridgeChannelId: string }, ackWithinMs: number): Promise<string | undefined> {
    const people: BridgePeople = { mentions: this.mentions(), ackWithinMs, notInCaseChannel: await this.missingFromCaseChannel(c, await this.contacts()) };
    const posted = await this.client.chat.postMessage({ channel: c.bridgeChannelId, ...renderBridgeMessage(c, this.opts.bridgeUrl, people), unfurl_links: false });
    await this.client.conversations.setTopic({ channel: c.bridgeChannelId, topic: `Bridge for ${c.id}${this.opts.bridgeUrl ? ` · ${this.opts.bridgeUrl}` : ''}`.slice(0, 250) });
    return posted.ts;
  }

  async updateSummary(c: Case & { bridgeChannelId: string; bridgeTs: string }, ackWithinMs: number): Promise<void> {
    // Still say who cannot open the case channel: acknowledging does not add them to it.
    const people: BridgePeople = { mentions: this.mentions(), ackWithinMs, notInCaseChannel: await this.missingFromCaseChannel(c, await this.contacts()) };
    await this.client.chat.update({ channel: c.bridgeChannelId, ts: c.bridgeTs, ...renderBridgeMessage(c, this.opts.bridgeUrl, people) });
  }

  async repage(c: Case & { bridgeChannelId: string }, waitedMs: number, overdue: { ackWithinMs: number } | undefined): Promise<void> {
    const contacts = await this.contacts();
    const late = overdue ? ` :warning: *Overdue*: it was to be acknowledged within ${formatDuration(overdue.ackWithinMs)}.` : '';
    await this.client.chat.postMessage({
      channel: c.bridgeChannelId,
      text: `${contacts.map((u) => `<@${u}>`).join(' ')} :rotating_light: case ${c.id} is still unacknowledged after ${formatDuration(waitedMs)}: \`/ir ack\` or the Acknowledge button.${late}`,
    });
  }
}
