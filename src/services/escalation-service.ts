import type { Case } from '../domain/cases/case';
import { formatDuration } from '../domain/duration';
import { CordonError, ErrorCode } from '../errors';
import type { Logger } from '../log';
import type { JobQueue } from '../jobs/job-queue';
import { updateWithRetry } from '../store/compare-and-set';
import type { Store } from '../store/store';
import type { Authorizer, Requester } from './action-service';

export interface EscalationOptions {
  repageEveryMs: number;
  /** How long an escalation may wait for its acknowledgement (`escalation.ackWithin`); past it, the page says overdue. */
  ackWithinMs: number;
  now: () => Date;
}

/**
 * Port: the bridge room where an escalation is worked, and its contacts (the config's
 * `escalation` users and groups). The Slack adapter is `slack/outbound/bridge`.
 */
export interface BridgeRoom {
  /** Creates the bridge beside the case channel, or adopts the one an earlier attempt created. */
  open(c: Case & { channelName: string }): Promise<{ id: string; name: string }>;
  /**
   * Invites the escalation contacts and `escalatedBy` (a person, not Cordon's routing) to the
   * bridge, and the contacts to the case channel; already being there is fine.
   */
  inviteContacts(bridgeChannelId: string, c: Case): Promise<void>;
  /** Tells the case channel where the bridge is. */
  announce(caseChannelId: string, bridgeChannelId: string): Promise<void>;
  /** Posts the summary with Acknowledge in the bridge, mentioning the contacts (being added to a channel notifies nobody); returns its ts. */
  postSummary(c: Case & { bridgeChannelId: string }, ackWithinMs: number): Promise<string | undefined>;
  /** Renders the summary again (after an acknowledgement). */
  updateSummary(c: Case & { bridgeChannelId: string; bridgeTs: string }, ackWithinMs: number): Promise<void>;
  /** Pages the contacts again: the escalation has waited `waitedMs` unacknowledged, `overdue` once past `ackWithin`. */
  repage(c: Case & { bridgeChannelId: string }, waitedMs: number, overdue: { ackWithinMs: number } | undefined): Promise<void>;
}

/**
 * Escalation (docs/architecture.md §5): a bridge channel next to the case channel, the contacts
 * invited, an Acknowledge button, and a clock that re-pages until someone owns it.
 * The first acknowledgement wins; later ones change nothing.
 */
export class EscalationService {
  constructor(
    private readonly store: Store,
    private readonly bridge: BridgeRoom,
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
      const made = await this.bridge.open({ ...c, channelName: c.channelName });
      c = await this.save(c, { bridgeChannelId: made.id, bridgeChannelName: made.name });
      if (!c) return;
      await this.bridge.inviteContacts(made.id, c);
      if (c.channelId) await this.bridge.announce(c.channelId, made.id);
    }
    if (!c.bridgeTs && c.bridgeChannelId) {
      const ts = await this.bridge.postSummary({ ...c, bridgeChannelId: c.bridgeChannelId }, this.opts.ackWithinMs);
      c = await this.save(c, { bridgeTs: ts, lastPagedAt: this.opts.now().toISOString(), pages: 1 });
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
        await this.bridge.updateSummary({ ...next, bridgeChannelId: next.bridgeChannelId, bridgeTs: next.bridgeTs }, this.opts.ackWithinMs);
      } catch (err) {
        this.log.error({ caseId: c.id, err: (err as Error).message }, 'could not update the bridge message');
      }
    }
    return { case: next, already: false };
  }

  /**
   * Ticker: escalate cases routing marked (Critical), build missing bridges, and re-page
   * contacts of unacknowledged escalations every `repageEvery`, and once more the moment
   * `ackWithin` runs out (that page says it is overdue).
   */
  async tick(): Promise<{ repaged: string[] }> {
    const repaged: string[] = [];
    const now = this.opts.now();
    for (const c of await this.store.listCases({ status: ['open', 'contained'] })) {
      if (c.escalate && !c.escalatedAt && c.channelId) {
        await this.record(c, 'cordon', 'automatically, because the routing rules (triage.routing) escalate findings of this severity');
        continue;
      }
      if (c.escalatedAt && (!c.bridgeChannelId || !c.bridgeTs)) {
        await this.buildBridge(c.id);
        continue;
      }
      if (!c.escalatedAt || c.acknowledgedAt || !c.bridgeChannelId) continue;
      const last = Date.parse(c.lastPagedAt ?? c.escalatedAt);
      const due = Date.parse(c.escalatedAt) + this.opts.ackWithinMs;
      const waited = now.getTime() - Date.parse(c.escalatedAt);
      const overdueNow = now.getTime() >= due && last < due;
      if (now.getTime() - last < this.opts.repageEveryMs && !overdueNow) continue;
      await this.bridge.repage({ ...c, bridgeChannelId: c.bridgeChannelId }, waited, now.getTime() >= due ? { ackWithinMs: this.opts.ackWithinMs } : undefined);
      await this.save(c, { lastPagedAt: now.toISOString(), pages: (c.pages ?? 0) + 1 });
      repaged.push(c.id);
    }
    return { repaged };
  }
}
