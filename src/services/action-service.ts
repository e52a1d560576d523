import { randomUUID } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import type { Action } from '../domain/actions/action';
import { parseTarget, type Target } from '../domain/actions/target';
import { isDrillTitle } from '../domain/cases/drill';
import { CordonError, ErrorCode } from '../errors';
import type { Logger } from '../log';
import type { ContainmentService } from '../containment/containment-service';
import type { JobQueue } from '../jobs/job-queue';
import type { Store } from '../store/store';
import { renderActionMessage } from '../slack/blocks/action-message';
import type { SlackActionReporter } from '../slack/action-reporter';
import type { CasePublisher } from '../slack/case-publisher';
import type { CaseService } from './case-service';

/** Who is asking, as Slack says (nothing else in a payload is trusted). */
export interface Requester {
  userId: string;
  teamId: string;
  channelId: string;
}

/** The access check a service runs before it changes anything; throws ACCESS.* (and audits either way). */
export interface Authorizer {
  authorize(who: Requester, intent: string, context?: { caseId?: string; actionId?: string; requesterId?: string; target?: string }): Promise<void>;
}

/** Approval policy lookup for a resolved target. */
export type ApprovalPolicy = (target: Target & { accountId: string }) => { rule: string; ttlMs: number } | undefined;

export interface ActionServiceDeps {
  store: Store;
  containment: ContainmentService;
  cases: CaseService;
  queue: JobQueue;
  authorizer: Authorizer;
  approvalFor: ApprovalPolicy;
  client: WebClient;
  publisher: CasePublisher;
  reporter: SlackActionReporter;
  log: Logger;
  now: () => Date;
}

/**
 * What `/ir contain`, the Contain button, Approve, Reject and Revert mean, once:
 * the slash command and the button call the same method. Listeners only validate and
 * call these; the long work (AWS reads and changes) runs as jobs.
 */
export class ActionService {
  constructor(private readonly d: ActionServiceDeps) {}

  /** Validates and records a containment request; planning and applying run as a job. */
  async requestContain(who: Requester, input: { target: string; dryRun: boolean; reason?: string }): Promise<{ caseId: string; dryRun: boolean }> {
    await this.d.authorizer.authorize(who, input.dryRun ? 'dry-run' : 'contain', { target: input.target.slice(0, 200) });
    const target = parseTarget(input.target);
    if (target.accountId) this.d.containment.resolveAllowed(target.accountId);
    const inChannel = await this.d.cases.byChannel(who.channelId);
    const theCase = inChannel && inChannel.status !== 'closed' ? inChannel : (await this.d.cases.forTarget(target, who.userId)).case;
    const caseId = theCase.id;
    // A drill rehearses against real accounts: it plans, it never changes anything.
    const drill = isDrillTitle(theCase.title);
    await this.d.queue.enqueue({
      type: 'plan',
      request: {
        target: input.target,
        requestedBy: who.userId,
        caseId,
        dryRun: input.dryRun || drill,
        requestId: `R-${randomUUID()}`,
        ...(input.reason ? { reason: input.reason } : {}),
      },
      teamId: who.teamId,
      channelId: who.channelId,
    });
    return { caseId, dryRun: input.dryRun || drill };
  }

  /**
   * Job: plan (AWS reads), post the plan in the case channel, then run it unless approval
   * is needed. Re-running the same request (a process died part way) picks up the plan it
   * already made and does only what is left: post it, start it.
   */
  async planAndPost(request: { target: string; requestedBy: string; caseId: string; dryRun: boolean; reason?: string; requestId?: string }): Promise<Action> {
    const earlier = request.requestId ? (await this.d.store.listActions({ caseId: request.caseId })).find((a) => a.requestId === request.requestId) : undefined;
    let current = earlier ?? (await this.makePlan(request));
    if (!current.messageTs) {
      // The case channel may still be being created (manual case): make Slack catch up first.
      await this.d.publisher.flush();
      const c = await this.d.cases.require(request.caseId);
      if (!c.channelId) throw new CordonError(ErrorCode.SLACK_FAILED, `case ${c.id} has no Slack channel yet, so the plan ${current.id} could not be posted; it is stored: ask again once the channel exists`);
      const posted = await this.d.client.chat.postMessage({ channel: c.channelId, ...renderActionMessage(current), unfurl_links: false });
      current = (await this.d.containment.transition(current.id, [current.status], { messageChannel: c.channelId, messageTs: posted.ts })) ?? current;
      await this.d.store.appendTimeline({
        caseId: c.id,
        at: this.d.now().toISOString(),
        kind: 'action.requested',
        actor: request.requestedBy,
        text: `${request.dryRun ? 'Dry run of' : 'Containment of'} ${current.kind} ${current.target.ref} requested (${current.id})${current.approvalRule ? `; needs approval (${current.approvalRule})` : ''}`,
        silent: true,
      });
    }
    // `planned` is a plan that needs no approval and has not started (apply's own CAS stops a second start).
    if (current.status === 'planned') await this.d.queue.enqueue({ type: 'apply', actionId: current.id, by: request.requestedBy });
    return current;
  }

  private async makePlan(request: { target: string; requestedBy: string; caseId: string; dryRun: boolean; reason?: string; requestId?: string }): Promise<Action> {
    const target = await this.d.containment.resolve(request.target);
    const approval = request.dryRun ? undefined : this.d.approvalFor(target);
    const expiresAt = approval ? new Date(this.d.now().getTime() + approval.ttlMs).toISOString() : undefined;
    return this.d.containment.plan(request, approval ? { status: 'pending_approval', approvalRule: approval.rule, ...(expiresAt ? { expiresAt } : {}) } : {});
  }

  private async load(actionId: string, who: Requester): Promise<Action> {
    const a = await this.d.store.getAction(actionId);
    if (!a) throw new CordonError(ErrorCode.INPUT_INVALID, `no action ${actionId.slice(0, 40)}`);
    // A button value naming another case's action: refuse unless asked from that case's channel.
    const c = a.caseId ? await this.d.store.getCase(a.caseId) : undefined;
    if (c?.channelId && who.channelId && c.channelId !== who.channelId) {
      throw new CordonError(ErrorCode.INPUT_INVALID, `action ${a.id} belongs to case ${c.id}; act on it in <#${c.channelId}>`);
    }
    return a;
  }

  async approve(who: Requester, actionId: string): Promise<Action> {
    const a = await this.load(actionId, who);
    await this.d.authorizer.authorize(who, 'approve', { actionId: a.id, requesterId: a.requestedBy, ...(a.caseId ? { caseId: a.caseId } : {}) });
    if (a.status === 'pending_approval' && a.expiresAt && Date.parse(a.expiresAt) <= this.d.now().getTime()) {
      await this.expire(a.id);
      throw new CordonError(ErrorCode.INPUT_INVALID, `the approval for ${a.id} expired at ${a.expiresAt.slice(11, 16)} UTC; request it again`);
    }
    const next = await this.d.containment.transition(a.id, ['pending_approval'], { status: 'approved', approvedBy: who.userId });
    if (!next) throw new CordonError(ErrorCode.STORE_CONFLICT, `action ${a.id} is ${(await this.d.store.getAction(a.id))?.status ?? 'gone'}; nothing to approve`);
    await this.d.reporter.refresh(next);
    await this.timeline(next, who.userId, 'action.approved', `Approved ${next.id}`);
    await this.d.queue.enqueue({ type: 'apply', actionId: next.id, by: who.userId });
    return next;
  }

  async reject(who: Requester, actionId: string): Promise<Action> {
    const a = await this.load(actionId, who);
    await this.d.authorizer.authorize(who, 'reject', { actionId: a.id, requesterId: a.requestedBy, ...(a.caseId ? { caseId: a.caseId } : {}) });
    const next = await this.d.containment.transition(a.id, ['pending_approval'], { status: 'rejected', rejectedBy: who.userId });
    if (!next) throw new CordonError(ErrorCode.STORE_CONFLICT, `action ${a.id} is ${a.status}; nothing to reject`);
    await this.d.reporter.refresh(next);
    await this.timeline(next, who.userId, 'action.rejected', `Rejected ${next.id}`);
    return next;
  }

  async requestRevert(who: Requester, actionId: string): Promise<Action> {
    const a = await this.load(actionId, who);
    await this.d.authorizer.authorize(who, 'revert', { actionId: a.id, ...(a.caseId ? { caseId: a.caseId } : {}) });
    if (!['applied', 'partially_applied', 'failed', 'interrupted', 'revert_failed'].includes(a.status)) {
      throw new CordonError(ErrorCode.INPUT_INVALID, `action ${a.id} is ${a.status.replace('_', ' ')}; only applied, partially applied, failed or interrupted actions can be reverted`);
    }
    await this.d.queue.enqueue({ type: 'revert', actionId: a.id, by: who.userId });
    return a;
  }

  /** Job: run an approved (or rule-free) action with its step log in Slack. */
  async runApply(actionId: string, by: string): Promise<void> {
    const done = await this.d.containment.apply(actionId, by, this.d.reporter);
    if (done) await this.timeline(done, by, done.status === 'applied' ? 'action.applied' : 'action.failed', `${done.id} ${done.status.replace('_', ' ')}`);
  }

  async runRevert(actionId: string, by: string): Promise<void> {
    const done = await this.d.containment.revert(actionId, by, this.d.reporter);
    if (done) await this.timeline(done, by, 'action.reverted', `${done.id} ${done.status.replace('_', ' ')}`);
  }

  /** Ticker: pending approvals past their time expire and lose their buttons. */
  async expirePending(): Promise<string[]> {
    const now = this.d.now().getTime();
    const expired: string[] = [];
    for (const a of await this.d.store.listActions({ status: ['pending_approval'] })) {
      if (a.expiresAt && Date.parse(a.expiresAt) <= now && (await this.expire(a.id))) expired.push(a.id);
    }
    return expired;
  }

  private async expire(id: string): Promise<boolean> {
    const next = await this.d.containment.transition(id, ['pending_approval'], { status: 'expired' });
    if (!next) return false;
    await this.d.reporter.refresh(next);
    await this.timeline(next, 'cordon', 'action.rejected', `Approval for ${next.id} expired`);
    return true;
  }

  private async timeline(a: Action, actor: string, kind: 'action.approved' | 'action.rejected' | 'action.applied' | 'action.failed' | 'action.reverted', text: string): Promise<void> {
    if (!a.caseId) return;
    await this.d.store.appendTimeline({ caseId: a.caseId, at: this.d.now().toISOString(), kind, actor, text, silent: true });
  }
}
