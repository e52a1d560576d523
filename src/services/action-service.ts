import { randomUUID } from 'node:crypto';
import type { ActionLedger } from '../containment/action-ledger';
import { LIVE_ON_TARGET, targetBusy, type Action } from '../domain/actions/action';
import { isExpired } from '../domain/access/approval-rules';
import { parseTarget, type Target } from '../domain/actions/target';
import { isDrillTitle } from '../domain/cases/drill';
import { ConfigError } from '../config/load-config';
import { CordonError, ErrorCode } from '../errors';
import type { JobQueue } from '../jobs/job-queue';
import type { Store } from '../store/store';
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

/**
 * Port: the message that shows an action (its plan, progress and buttons), re-rendered
 * from the action as stored. The Slack adapter is `slack/outbound/action-reporter`; a
 * failure to render is the adapter's to log, never a reason to undo the change.
 */
export interface ActionMessages {
  refresh(action: Action): Promise<void>;
}

/** Approval policy lookup for a resolved target. */
export type ApprovalPolicy = (target: Target & { accountId: string }) => { rule: string; ttlMs: number } | undefined;

export interface ActionServiceDeps {
  store: Store;
  ledger: ActionLedger;
  cases: CaseService;
  queue: JobQueue;
  authorizer: Authorizer;
  /** Where an action's message is re-rendered after a change of status. */
  reporter: ActionMessages;
  now: () => Date;
  /** Whether the config names the member-account role containment runs with (`containmentRole`). */
  containment: { enabled: true } | { enabled: false; configPath: string };
}

/**
 * What `/ir contain`, the Contain button, Approve, Reject and Revert mean, once:
 * the slash command and the button call the same method. Listeners only validate and
 * call these; the long work (AWS reads and changes) runs as jobs (`ContainmentJobs`).
 * Nothing here calls AWS, so the `slack` function answers within Slack's 3 s.
 */
export class ActionService {
  constructor(private readonly d: ActionServiceDeps) {}

  /** Validates and records a containment request; planning and applying run as a job. */
  async requestContain(who: Requester, input: { target: string; dryRun: boolean; reason?: string }): Promise<{ caseId: string; dryRun: boolean }> {
    this.requireContainment();
    await this.d.authorizer.authorize(who, input.dryRun ? 'dry-run' : 'contain', { target: input.target.slice(0, 200) });
    const target = parseTarget(input.target);
    if (target.accountId) this.d.ledger.assertAllowed(target.accountId);
    if (!input.dryRun) await this.assertTargetFree(who, target.ref);
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
   * One live action per target (issue 15, point 15), checked before anything is queued so
   * the person hears at once; the worker checks again when it plans. Audited as a refusal.
   */
  private async assertTargetFree(who: Requester, ref: string): Promise<void> {
    const err = targetBusy(ref, await this.d.store.listActions({ status: LIVE_ON_TARGET }));
    if (!err) return;
    await this.d.store.appendAudit({
      at: this.d.now().toISOString(),
      actor: who.userId,
      event: 'action.refused',
      allowed: false,
      ...(typeof err.details.caseId === 'string' ? { caseId: err.details.caseId } : {}),
      detail: { target: ref.slice(0, 300), code: err.code, reason: err.message.slice(0, 500), ...err.details },
    });
    throw err;
  }

  /** Containment is a feature of the config: without `containmentRole` every request for it says so. */
  private requireContainment(): void {
    const c = this.d.containment;
    if (c.enabled) return;
    throw new ConfigError('containment is not configured: the config has no containmentRole', [
      `${c.configPath}: containmentRole: missing; set the member-account role name and external id to contain resources`,
    ]);
  }

  private async load(actionId: string, who: Requester): Promise<Action> {
    this.requireContainment();
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
    if (a.status === 'pending_approval' && a.expiresAt && isExpired(a.expiresAt, this.d.now())) {
      await this.expire(a.id);
      throw new CordonError(ErrorCode.INPUT_INVALID, `the approval for ${a.id} expired at ${a.expiresAt.slice(11, 16)} UTC; request it again`);
    }
    const next = await this.d.ledger.transition(a.id, ['pending_approval'], { status: 'approved', approvedBy: who.userId });
    if (!next) throw new CordonError(ErrorCode.STORE_CONFLICT, `action ${a.id} is ${(await this.d.store.getAction(a.id))?.status ?? 'gone'}; nothing to approve`);
    await this.d.reporter.refresh(next);
    await this.timeline(next, who.userId, 'action.approved', `Approved ${next.id}`);
    await this.d.queue.enqueue({ type: 'apply', actionId: next.id, by: who.userId });
    return next;
  }

  async reject(who: Requester, actionId: string): Promise<Action> {
    const a = await this.load(actionId, who);
    await this.d.authorizer.authorize(who, 'reject', { actionId: a.id, requesterId: a.requestedBy, ...(a.caseId ? { caseId: a.caseId } : {}) });
    const next = await this.d.ledger.transition(a.id, ['pending_approval'], { status: 'rejected', rejectedBy: who.userId });
    if (!next) throw new CordonError(ErrorCode.STORE_CONFLICT, `action ${a.id} is ${a.status}; nothing to reject`);
    await this.d.reporter.refresh(next);
    await this.timeline(next, who.userId, 'action.rejected', `Rejected ${next.id}`);
    return next;
  }

  /**
   * `keepOff`: access keys to leave inactive (issue 15, point 11); each must be a key this
   * action deactivated, so a typo never passes for a choice.
   */
  async requestRevert(who: Requester, actionId: string, keepOff: string[] = []): Promise<Action> {
    const a = await this.load(actionId, who);
    await this.d.authorizer.authorize(who, 'revert', { actionId: a.id, ...(a.caseId ? { caseId: a.caseId } : {}) });
    if (!['applied', 'partially_applied', 'not_contained', 'failed', 'interrupted', 'revert_failed'].includes(a.status)) {
      throw new CordonError(ErrorCode.INPUT_INVALID, `action ${a.id} is ${a.status.replace('_', ' ')}; only applied, partially applied, failed or interrupted actions can be reverted`);
    }
    const keys = a.plan.flatMap((s) => (s.op === 'iam.key-deactivate' && typeof s.params.keyId === 'string' ? [s.params.keyId] : []));
    const unknown = keepOff.filter((k) => !keys.includes(k));
    if (unknown.length) {
      throw new CordonError(ErrorCode.INPUT_INVALID, `action ${a.id} did not deactivate ${unknown.join(', ')}; it can only leave off ${keys.length ? keys.join(', ') : 'nothing (it deactivated no key)'}`);
    }
    await this.d.queue.enqueue({ type: 'revert', actionId: a.id, by: who.userId, ...(keepOff.length ? { keepOff } : {}) });
    return a;
  }

  /** Ticker: pending approvals past their time expire and lose their buttons. */
  async expirePending(): Promise<string[]> {
    const now = this.d.now();
    const expired: string[] = [];
    for (const a of await this.d.store.listActions({ status: ['pending_approval'] })) {
      if (a.expiresAt && isExpired(a.expiresAt, now) && (await this.expire(a.id))) expired.push(a.id);
    }
    return expired;
  }

  private async expire(id: string): Promise<boolean> {
    const next = await this.d.ledger.transition(id, ['pending_approval'], { status: 'expired' });
    if (!next) return false;
    await this.d.reporter.refresh(next);
    await this.timeline(next, 'cordon', 'action.rejected', `Approval for ${next.id} expired`);
    return true;
  }

  private timeline(a: Action, actor: string, kind: ActionEventKind, text: string): Promise<void> {
    return actionTimeline(this.d.store, this.d.now, a, actor, kind, text);
  }
}

/** Timeline kinds an action's moves record. */
export type ActionEventKind = 'action.approved' | 'action.rejected' | 'action.applied' | 'action.failed' | 'action.reverted';

/** Records an action's move in its case's timeline (silent: the action message already says it). */
export async function actionTimeline(store: Store, now: () => Date, a: Action, actor: string, kind: ActionEventKind, text: string): Promise<void> {
  if (!a.caseId) return;
  await store.appendTimeline({ caseId: a.caseId, at: now().toISOString(), kind, actor, text, silent: true });
}
