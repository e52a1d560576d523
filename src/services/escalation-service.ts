import type { WebClient } from '@slack/web-api';
import type { Case } from '../domain/cases/case';
import { bridgeChannelName } from '../domain/cases/channel-name';
import { formatDuration } from '../domain/duration';
import { CordonError, ErrorCode } from '../errors';
import type { Logger } from '../log';
import type { JobQueue } from '../jobs/job-queue';
import { renderBridgeMessage } from '../slack/blocks/escalation-message';
import { createOrAdoptChannel } from '../slack/channels';
import { slackErrorCode } from '../slack/slack-errors';
import { updateWithRetry } from '../store/compare-and-set';
import type { Store } from '../store/store';
import type { Authorizer, Requester } from './action-service';

export interface EscalationOptions {
  invite: string[];
  inviteGroups: string[];
  bridgeUrl?: string;
  repageEveryMs: number;
  now: () => Date;
}

const NAME_ATTEMPTS = 20;

/**
 * Escalation (DESIGN §5): a bridge channel next to the case channel, the contacts
 * invited, an Acknowledge button, and a clock that re-pages until someone owns it.
 * The first acknowledgement wins; later ones change nothing.
 */
export class EscalationService {
  constructor(
    private readonly store: Store,
    private readonly client: WebClient,
    private readonly authorizer: Authorizer,
    private readonly queue: JobQueue,
    private readonly log: Logger,
    private readonly opts: EscalationOptions,
  ) {}

  private async save(c: Case, patch: Partial<Case>): Promise<Case | undefined> {
    return updateWithRetry({
      what: `case ${c.id}`,
      initial: c,
      read: () => this.store.getCase(c.id),
      mutate: (current) => ({ ...current, ...patch, updatedAt: this.opts.now().toISOString() }),
      write: (next) => this.store.updateCase(next),
    });
  }

  private async caseOf(who: Requester, caseId?: string): Promise<Case> {
    const c = caseId ? await this.store.getCase(caseId) : ((await this.store.getCaseByChannel(who.channelId)) ?? (await this.byBridge(who.channelId)));
    if (!c) throw new CordonError(ErrorCode.CASE_NOT_FOUND, 'run this in a case channel (or its bridge)');
    return c;
  }

  private async byBridge(channelId: string): Promise<Case | undefined> {
    return (await this.store.listCases({ status: ['open', 'contained', 'resolved'] })).find((c) => c.bridgeChannelId === channelId);
  }

  /** `/ir escalate [reason]` and the Escalate button: records the escalation; the bridge is built by a job. */
  async escalate(who: Requester, reason: string | undefined, caseId?: string): Promise<{ case: Case; already: boolean }> {
    const c = await this.caseOf(who, caseId);
    await this.authorizer.authorize(who, 'escalate', { caseId: c.id });
    return this.record(c, who.userId, reason);
  }

  private async record(c: Case, actor: string, reason: string | undefined): Promise<{ case: Case; already: boolean }> {
    if (c.escalatedAt) return { case: c, already: true };
    const at = this.opts.now().toISOString();
    const next = await this.save(c, { escalatedAt: at, escalatedBy: actor, escalate: true, ...(reason ? { escalationReason: reason } : {}) });
    if (!next) throw new CordonError(ErrorCode.CASE_NOT_FOUND, `case ${c.id} vanished`);
    if (next.escalatedBy !== actor || next.escalatedAt !== at) return { case: next, already: true };
    await this.store.appendTimeline({ caseId: c.id, at, kind: 'case.escalated', actor, text: `Escalated${reason ? `: ${reason}` : ''}` });
    await this.queue.enqueue({ type: 'bridge', caseId: c.id });
    return { case: next, already: false };
  }

  /** Job: create the bridge channel, invite, post the summary with Acknowledge, link both channels. Resumable. */
  async buildBridge(caseId: string): Promise<void> {
    let c = await this.store.getCase(caseId);
    if (!c?.escalatedAt) return;
    if (!c.channelName) throw new CordonError(ErrorCode.SLACK_FAILED, `case ${caseId} has no channel yet; the bridge follows once it has`);
    if (!c.bridgeChannelId) {
      const made = await this.createChannel({ ...c, channelName: c.channelName });
      c = await this.save(c, { bridgeChannelId: made.id, bridgeChannelName: made.name });
      if (!c) return;
      await this.invite(made.id);
      if (c.channelId) {
        await this.client.chat.postMessage({ channel: c.channelId, text: `:rotating_light: Escalated: the bridge channel is <#${made.id}>${this.opts.bridgeUrl ? ` · ${this.opts.bridgeUrl}` : ''}` });
      }
    }
    if (!c.bridgeTs && c.bridgeChannelId) {
      const posted = await this.client.chat.postMessage({ channel: c.bridgeChannelId, ...renderBridgeMessage(c, this.opts.bridgeUrl), unfurl_links: false });
      await this.client.conversations.setTopic({ channel: c.bridgeChannelId, topic: `Bridge for ${c.id}${this.opts.bridgeUrl ? ` · ${this.opts.bridgeUrl}` : ''}`.slice(0, 250) });
      c = await this.save(c, { bridgeTs: posted.ts, lastPagedAt: this.opts.now().toISOString(), pages: 1 });
    }
  }

  private createChannel(c: Case & { channelName: string }): Promise<{ id: string; name: string }> {
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

  private async invite(channel: string): Promise<void> {
    const users = await this.contacts();
    if (!users.length) return;
    try {
      await this.client.conversations.invite({ channel, users: users.join(','), force: true });
    } catch (err) {
      if (slackErrorCode(err) !== 'already_in_channel') throw err;
    }
  }

  /** `/ir ack` and the Acknowledge button. The first one stops the clock; later ones change nothing. */
  async acknowledge(who: Requester, caseId?: string): Promise<{ case: Case; already: boolean }> {
    const c = await this.caseOf(who, caseId);
    await this.authorizer.authorize(who, 'ack', { caseId: c.id });
    if (!c.escalatedAt) throw new CordonError(ErrorCode.INPUT_INVALID, `case ${c.id} is not escalated; nothing to acknowledge`);
    if (c.acknowledgedAt) return { case: c, already: true };
    const at = this.opts.now().toISOString();
    const next = await this.save(c, { acknowledgedAt: at, acknowledgedBy: who.userId });
    if (!next || next.acknowledgedBy !== who.userId || next.acknowledgedAt !== at) return { case: next ?? c, already: true };
    const took = formatDuration(Date.parse(at) - Date.parse(c.escalatedAt));
    await this.store.appendTimeline({ caseId: c.id, at, kind: 'case.acknowledged', actor: who.userId, text: `Acknowledged ${took} after escalation` });
    if (next.bridgeChannelId && next.bridgeTs) {
      try {
        await this.client.chat.update({ channel: next.bridgeChannelId, ts: next.bridgeTs, ...renderBridgeMessage(next, this.opts.bridgeUrl) });
      } catch (err) {
        this.log.error({ caseId: c.id, err: (err as Error).message }, 'could not update the bridge message');
      }
    }
    return { case: next, already: false };
  }

  /**
   * Ticker: escalate cases routing marked (Critical), build missing bridges, and re-page
   * contacts of unacknowledged escalations every `repageEvery`.
   */
  async tick(): Promise<{ repaged: string[] }> {
    const repaged: string[] = [];
    const now = this.opts.now();
    for (const c of await this.store.listCases({ status: ['open', 'contained'] })) {
      if (c.escalate && !c.escalatedAt && c.channelId) {
        await this.record(c, 'cordon', 'routing: severity');
        continue;
      }
      if (c.escalatedAt && (!c.bridgeChannelId || !c.bridgeTs)) {
        await this.buildBridge(c.id);
        continue;
      }
      if (!c.escalatedAt || c.acknowledgedAt || !c.bridgeChannelId) continue;
      const last = Date.parse(c.lastPagedAt ?? c.escalatedAt);
      if (now.getTime() - last < this.opts.repageEveryMs) continue;
      const contacts = await this.contacts();
      const waited = formatDuration(now.getTime() - Date.parse(c.escalatedAt));
      await this.client.chat.postMessage({
        channel: c.bridgeChannelId,
        text: `${contacts.map((u) => `<@${u}>`).join(' ')} :rotating_light: case ${c.id} is still unacknowledged after ${waited}: \`/ir ack\` or the Acknowledge button`,
      });
      await this.save(c, { lastPagedAt: now.toISOString(), pages: (c.pages ?? 0) + 1 });
      repaged.push(c.id);
    }
    return { repaged };
  }
}
