import type { ActionObserver, ContainmentService } from '../containment/containment-service';
import { approvalExpiresAt } from '../domain/access/approval-rules';
import type { Action } from '../domain/actions/action';
import { CordonError, ErrorCode } from '../errors';
import type { JobQueue } from '../jobs/job-queue';
import type { Store } from '../store/store';
import { actionTimeline, type ApprovalPolicy } from './action-service';
import type { CaseService } from './case-service';

/**
 * Port: the publisher, which makes Slack match the store (the Slack adapter is
 * `slack/outbound/case-publisher`). The plan is stored before it is posted, and where
 * its message went is stored after, as for every other post.
 */
export interface PlanPublisher {
  /** Posts what the store holds and Slack does not yet show (the case channel first of all). */
  flush(): Promise<unknown>;
  /** Posts the stored action's plan message in its case channel; returns where it went. */
  postPlan(action: Action, channelId: string): Promise<{ channel: string; ts: string | undefined }>;
}

export interface ContainmentJobsDeps {
  store: Store;
  containment: ContainmentService;
  cases: CaseService;
  queue: JobQueue;
  approvalFor: ApprovalPolicy;
  publisher: PlanPublisher;
  /** Told of every step (Slack threads a line per step under the plan message). */
  reporter: ActionObserver;
  now: () => Date;
}

/**
 * The jobs behind {@link ActionService}: plan, apply and revert, which read and change
 * AWS. They run where jobs run (in-process, or the `worker` function), never in a listener.
 */
export class ContainmentJobs {
  constructor(private readonly d: ContainmentJobsDeps) {}

  /**
   * Job: plan (AWS reads), post the plan in the case channel, then run it unless approval
   * is needed. Re-running the same request (a process died part way) picks up the plan it
   * already made and does only what is left: post it, start it.
   */
  async planAndPost(request: { target: string; requestedBy: string; caseId: string; dryRun: boolean; reason?: string; requestId?: string; findingId?: string }): Promise<Action> {
    const earlier = request.requestId ? (await this.d.store.listActions({ caseId: request.caseId })).find((a) => a.requestId === request.requestId) : undefined;
    let current = earlier ?? (await this.makePlan(request));
    if (!current.messageTs) {
      // The case channel may still be being created (manual case): make Slack catch up first.
      await this.d.publisher.flush();
      const c = await this.d.cases.require(request.caseId);
      if (!c.channelId) throw new CordonError(ErrorCode.SLACK_FAILED, `case ${c.id} has no Slack channel yet, so the plan ${current.id} could not be posted; it is stored: ask again once the channel exists`);
      const posted = await this.d.publisher.postPlan(current, c.channelId);
      current = (await this.d.containment.transition(current.id, [current.status], { messageChannel: posted.channel, messageTs: posted.ts })) ?? current;
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
    if (current.status === 'planned') await this.d.queue.enqueue({ type: 'apply', actionId: current.id, by: request.requestedBy, target: current.target.ref });
    return current;
  }

  private async makePlan(request: { target: string; requestedBy: string; caseId: string; dryRun: boolean; reason?: string; requestId?: string; findingId?: string }): Promise<Action> {
    const target = await this.d.containment.resolve(request.target);
    const approval = request.dryRun ? undefined : this.d.approvalFor(target);
    const expiresAt = approval ? approvalExpiresAt(this.d.now(), approval.ttlMs).toISOString() : undefined;
    return this.d.containment.plan(request, approval ? { status: 'pending_approval', approvalRule: approval.rule, ...(expiresAt ? { expiresAt } : {}) } : {});
  }

  /** Job: run an approved (or rule-free) action with its step log in Slack. */
  async runApply(actionId: string, by: string): Promise<void> {
    const done = await this.d.containment.apply(actionId, by, this.d.reporter);
    if (done) await actionTimeline(this.d.store, this.d.now, done, by, done.status === 'applied' ? 'action.applied' : 'action.failed', `${done.id} ${done.status.replace('_', ' ')}`);
  }

  /** The keys to leave off and the open groups to restore come from the revert request the store holds (what was asked and approved), never from the job. */
  async runRevert(actionId: string, by: string): Promise<void> {
    const request = (await this.d.store.getAction(actionId))?.revertRequest;
    const done = await this.d.containment.revert(actionId, by, this.d.reporter, { keepOff: request?.keepOff ?? [], restoreOpen: request?.restoreOpen === true });
    if (done) await actionTimeline(this.d.store, this.d.now, done, by, 'action.reverted', `${done.id} ${done.status.replace('_', ' ')}`);
  }
}
