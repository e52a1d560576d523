import { randomUUID } from 'node:crypto';
import type { ActionLedger } from '../containment/action-ledger';
import { LIVE_ON_TARGET, REVERTIBLE, targetBusy, type Action, type RevertRequest } from '../domain/actions/action';
import { approvalExpiresAt, isExpired, type ApprovalIntent } from '../domain/access/approval-rules';
import { parseTarget, type Partition, type Target } from '../domain/actions/target';
import { principalCheckWords } from '../domain/findings/principal-check';
import { isDrillTitle } from '../domain/cases/drill';
import { ConfigError } from '../config/load-config';
import { CordonError, ErrorCode } from '../errors';
import type { JobQueue, JobReply } from '../jobs/job-queue';
import type { Store } from '../store/store';
import type { CaseService } from './case-service';

/** Who is asking, as Slack says (nothing else in a payload is trusted). */
export interface Requester {
  userId: string;
  teamId: string;
  channelId: string;
  /** The request's `response_url`: how a job answers them once the listener has acked. */
  responseUrl?: string;
}

/** Slack honours a response_url for 30 minutes; a minute's margin leaves time for the post itself. */
const RESPONSE_URL_LIFE_MS = 29 * 60_000;

/** The reply a job carries for `who`, when their request came with a response_url. */
export function jobReply(who: Requester, now: Date): JobReply | undefined {
  return who.responseUrl ? { responseUrl: who.responseUrl, until: new Date(now.getTime() + RESPONSE_URL_LIFE_MS).toISOString() } : undefined;
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

/** Approval policy lookup for a resolved target, per intent (containing it, or undoing that). */
export type ApprovalPolicy = (target: Target & { accountId: string }, intent?: ApprovalIntent) => { rule: string; ttlMs: number } | undefined;

export interface ActionServiceDeps {
  store: Store;
  ledger: ActionLedger;
  cases: CaseService;
  queue: JobQueue;
  authorizer: Authorizer;
  /** Where an action's message is re-rendered after a change of status. */
  reporter: ActionMessages;
  now: () => Date;
  /** The approval rules; a revert under one waits for a second commander. */
  approvalFor?: ApprovalPolicy;
  /** Whether the config names the member-account role containment runs with (`containmentRole`). */
  containment: { enabled: true } | { enabled: false; configPath: string };
  /** The configured partition: a target in another is refused here, before any job. */
  partition?: Partition;
}

/**
 * What `/ir contain`, the Contain button, Approve, Reject and Revert mean, once:
 * the slash command and the button call the same method. Listeners only validate and
 * call these; the long work (AWS reads and changes) runs as jobs (`ContainmentJobs`).
 * Nothing here calls AWS, so the `slack` function answers within Slack's 3 s.
 */
export class ActionService {
  constructor(private readonly d: ActionServiceDeps) {}

  /**
   * From a finding's card: a principal shown not to be the one the finding saw, or not shown
   * to be, is refused here at once (the worker checks again before planning, whatever this says).
   */
  private async assertFindingPrincipal(findingId: string, ref: string): Promise<void> {
    const check = (await this.d.store.getFinding(findingId))?.principalCheck;
    if (check?.target !== ref || (check.status !== 'mismatch' && check.status !== 'unchecked')) return;
    throw new CordonError(ErrorCode.PRINCIPAL_MISMATCH, principalCheckWords(check), { rule: 'finding-principal-check', findingId });
  }

  /** Validates and records a containment request; planning and applying run as a job. */
  async requestContain(who: Requester, input: { target: string; dryRun: boolean; reason?: string; findingId?: string }): Promise<{ caseId: string; dryRun: boolean }> {
    this.requireContainment();
    await this.d.authorizer.authorize(who, input.dryRun ? 'dry-run' : 'contain', { target: input.target.slice(0, 200) });
    const target = parseTarget(input.target, this.d.partition ? { partition: this.d.partition } : {});
    if (input.findingId) await this.assertFindingPrincipal(input.findingId, target.ref);
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
        ...(input.findingId ? { findingId: input.findingId } : {}),
      },
      teamId: who.teamId,
      channelId: who.channelId,
      ...withReply(jobReply(who, this.d.now())),
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
    // The job first: on Lambda a slow or rate-limited edit could outlast the function and
    // leave the action approved for good. The edit is cosmetic (the apply job re-renders
    // the message); if even the enqueue is lost, the ticker's sweep starts the action.
    await this.d.queue.enqueue({ type: 'apply', actionId: next.id, by: who.userId, target: next.target.ref });
    await this.timeline(next, who.userId, 'action.approved', `Approved ${next.id}`);
    await this.d.reporter.refresh(next);
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
   * Revert follows the approval rules containment follows (`access.approvals[].intents`):
   * under a rule, the first commander's Revert is recorded as a request, and it runs only
   * when a second commander presses Revert (or runs `/ir revert`) within `approvalTtl`. So
   * one commander cannot quietly undo a two-person containment. The worker runs a revert
   * job only when it matches the request stored here. `keepOff`: access keys to leave
   * inactive (issue 15, point 11), stored with the request; each must be a key this action
   * deactivated, so a typo never passes for a choice. `restoreOpen`: put interfaces back in
   * their own groups even where those open remote administration to the internet; under an
   * approval rule it holds only when the approver says so too, since staying isolated is the
   * safe side.
   */
  async requestRevert(who: Requester, actionId: string, keepOff: string[] = [], opts: { restoreOpen?: boolean } = {}): Promise<Action> {
    const a = await this.load(actionId, who);
    const keys = a.plan.flatMap((st) => (st.op === 'iam.key-deactivate' && typeof st.params.keyId === 'string' ? [st.params.keyId] : []));
    const unknown = keepOff.filter((k) => !keys.includes(k));
    if (unknown.length) {
      throw new CordonError(ErrorCode.INPUT_INVALID, `action ${a.id} did not deactivate ${unknown.join(', ')}; it can only leave off ${keys.length ? keys.join(', ') : 'nothing (it deactivated no key)'}`);
    }
    const context = { actionId: a.id, ...(a.caseId ? { caseId: a.caseId } : {}) };
    const pending = a.revertRequest;
    const now = this.d.now();
    if (pending?.approvalRule && !pending.approvedBy && !(pending.expiresAt && isExpired(pending.expiresAt, now))) {
      // A revert waits for a second commander: this Revert is that approval (four eyes: decide refuses the asker).
      await this.d.authorizer.authorize(who, 'approve', { ...context, requesterId: pending.by });
      this.assertRevertible(a);
      // The approver may leave more keys off, never fewer: leaving a key inactive is the safe side.
      const off = [...new Set([...(pending.keepOff ?? []), ...keepOff])];
      const { restoreOpen: asked, ...rest } = pending;
      const restoreOpen = asked === true && opts.restoreOpen === true;
      const next = await this.d.ledger.transition(a.id, REVERTIBLE, { revertRequest: { ...rest, approvedBy: who.userId, ...(off.length ? { keepOff: off } : {}), ...(restoreOpen ? { restoreOpen } : {}) } });
      if (!next) throw new CordonError(ErrorCode.STORE_CONFLICT, `action ${a.id} is ${(await this.d.store.getAction(a.id))?.status ?? 'gone'}; nothing to revert`);
      await this.timeline(next, who.userId, 'action.approved', `Revert of ${next.id} approved (${pending.approvalRule})`);
      await this.d.queue.enqueue({ type: 'revert', actionId: a.id, by: who.userId, target: a.target.ref });
      return next;
    }
    await this.d.authorizer.authorize(who, 'revert', context);
    this.assertRevertible(a);
    const rule = a.target.accountId && this.d.approvalFor ? this.d.approvalFor({ ...a.target, accountId: a.target.accountId }, 'revert') : undefined;
    const request: RevertRequest = {
      by: who.userId,
      at: now.toISOString(),
      ...(rule ? { approvalRule: rule.rule, expiresAt: approvalExpiresAt(now, rule.ttlMs).toISOString() } : {}),
      ...(keepOff.length ? { keepOff: [...new Set(keepOff)] } : {}),
      ...(opts.restoreOpen ? { restoreOpen: true } : {}),
    };
    const next = await this.d.ledger.transition(a.id, REVERTIBLE, { revertRequest: request });
    if (!next) throw new CordonError(ErrorCode.STORE_CONFLICT, `action ${a.id} is ${(await this.d.store.getAction(a.id))?.status ?? 'gone'}; nothing to revert`);
    if (rule) {
      // Said in the case channel, not silently: the second commander has to see it.
      if (a.caseId) {
        await this.d.store.appendTimeline({
          caseId: a.caseId,
          at: now.toISOString(),
          kind: 'note',
          actor: who.userId,
          text: `Revert of ${a.id} requested; it needs a second commander (${rule.rule}): another commander presses Revert or runs /ir revert ${a.id} before ${request.expiresAt?.slice(11, 16) ?? ''} UTC${request.restoreOpen ? `. Asked with --restore-open: interfaces go back to groups open to the internet only if the approver runs /ir revert ${a.id} --restore-open too` : ''}`,
        });
      }
      return next;
    }
    await this.d.queue.enqueue({ type: 'revert', actionId: a.id, by: who.userId, target: a.target.ref });
    return next;
  }

  private assertRevertible(a: Action): void {
    if (!REVERTIBLE.includes(a.status)) {
      throw new CordonError(ErrorCode.INPUT_INVALID, `action ${a.id} is ${a.status.replace('_', ' ')}; only applied, partially applied, failed or interrupted actions can be reverted`);
    }
  }

  /**
   * Ticker: an action approved more than `staleMs` ago that never started (the `slack`
   * function died between the approval and the hand-over, or the hand-over failed) is
   * handed to the worker again. Safe to repeat: apply starts only from `approved`
   * (a compare-and-set), so a job already under way makes this one a no-op.
   */
  async startStuckApprovals(staleMs: number): Promise<string[]> {
    const cutoff = this.d.now().getTime() - staleMs;
    const started: string[] = [];
    for (const a of await this.d.store.listActions({ status: ['approved'] })) {
      if (Date.parse(a.updatedAt) > cutoff) continue;
      await this.d.queue.enqueue({ type: 'apply', actionId: a.id, by: a.approvedBy ?? a.requestedBy, target: a.target.ref });
      started.push(a.id);
    }
    return started;
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

function withReply(reply: JobReply | undefined): { reply?: JobReply } {
  return reply ? { reply } : {};
}

/** Timeline kinds an action's moves record. */
export type ActionEventKind = 'action.approved' | 'action.rejected' | 'action.applied' | 'action.failed' | 'action.reverted';

/** Records an action's move in its case's timeline (silent: the action message already says it). */
export async function actionTimeline(store: Store, now: () => Date, a: Action, actor: string, kind: ActionEventKind, text: string): Promise<void> {
  if (!a.caseId) return;
  await store.appendTimeline({ caseId: a.caseId, at: now().toISOString(), kind, actor, text, silent: true });
}
