import { decide, isExpired, type Intent, type Role } from '../domain/access';
import type { Action } from '../domain/actions/action';
import { isDrillTitle } from '../domain/cases/drill';
import { awaitingApproval, hasStopped } from '../domain/triage/suppression';
import { CordonError, ErrorCode } from '../errors';
import type { Job } from '../jobs/job-queue';
import type { Store } from '../store/store';

export interface JobGuardDeps {
  store: Store;
  /** The role the config gives a Slack user now (not when the job was made). */
  roleOf: (userId: string) => Promise<Role>;
  /** `workspace.teamId`: user ids mean something only in this workspace. */
  teamId: string;
  now: () => Date;
}

/**
 * The worker trusts nobody's word (docs/architecture.md, Security model). Anyone who can
 * invoke the `worker` function, a compromised `slack` function included, can hand it any
 * job; so before a job reaches AWS its claims are checked against the store: the action
 * it names exists, targets what the job says, is in the state the job needs, and was
 * asked for (and approved, where a rule says so) by the person the job names, who still
 * holds the role for it. A job that does not fit is refused with JOB.REFUSED and audited.
 */
export class JobGuard {
  constructor(private readonly d: JobGuardDeps) {}

  /** Throws JOB.REFUSED (audited) when the job does not match the store. */
  async check(job: Job): Promise<void> {
    const refusal = await this.refusal(job);
    if (!refusal) return;
    const actor = claimedActor(job);
    await this.d.store.appendAudit({
      at: this.d.now().toISOString(),
      actor,
      event: 'job.refused',
      allowed: false,
      ...('actionId' in job ? { actionId: job.actionId } : {}),
      ...(refusal.caseId ? { caseId: refusal.caseId } : {}),
      detail: { type: job.type, reason: refusal.reason },
    });
    throw new CordonError(ErrorCode.JOB_REFUSED, `job ${job.type} refused: ${refusal.reason}`, { type: job.type, actor });
  }

  private async refusal(job: Job): Promise<{ reason: string; caseId?: string } | undefined> {
    switch (job.type) {
      case 'plan': {
        const r = job.request;
        if (job.teamId !== this.d.teamId) return { reason: `the job names workspace ${job.teamId.slice(0, 20)}, not this Cordon's` };
        const c = await this.d.store.getCase(r.caseId);
        if (!c) return { reason: `no case ${r.caseId.slice(0, 40)}` };
        if (c.status === 'closed') return { reason: `case ${c.id} is closed`, caseId: c.id };
        // A drill rehearses against real accounts: its plans never change anything.
        if (!r.dryRun && isDrillTitle(c.title)) return { reason: `case ${c.id} is a drill: only dry runs`, caseId: c.id };
        const denied = await this.roleRefusal(r.requestedBy, r.dryRun ? 'dry-run' : 'contain');
        return denied ? { reason: denied, caseId: c.id } : undefined;
      }
      case 'apply': {
        const a = await this.d.store.getAction(job.actionId);
        if (!a) return { reason: `no action ${job.actionId}` };
        const mismatch = this.mismatch(a, job.target);
        if (mismatch) return mismatch;
        return this.applyRefusal(a, job.by);
      }
      case 'revert': {
        const a = await this.d.store.getAction(job.actionId);
        if (!a) return { reason: `no action ${job.actionId}` };
        const mismatch = this.mismatch(a, job.target);
        if (mismatch) return mismatch;
        return this.revertRefusal(a, job.by);
      }
      case 'report': {
        const c = await this.d.store.getCase(job.caseId);
        if (!c) return { reason: `no case ${job.caseId}` };
        const denied = await this.roleRefusal(job.by, 'report');
        return denied ? { reason: denied, caseId: c.id } : undefined;
      }
      case 'bridge': {
        const c = await this.d.store.getCase(job.caseId);
        if (!c) return { reason: `no case ${job.caseId.slice(0, 40)}` };
        return c.escalatedAt ? undefined : { reason: `case ${c.id} is not escalated`, caseId: c.id };
      }
      case 'suppression-filters': {
        // The job makes filters for a stored rule, or deletes those of a stopped one; it names nothing else.
        const rule = await this.d.store.getSuppression(job.ruleId);
        if (!rule) return { reason: `no suppression rule ${job.ruleId}` };
        if (!hasStopped(rule) && awaitingApproval(rule)) return { reason: `suppression rule ${rule.id} waits for a second commander's approval` };
        return undefined;
      }
      case 'publish':
        // Makes Slack match the store; no AWS, nothing to claim.
        return undefined;
      case 'principal-check': {
        // Reads one user or role in a member account and records the verdict; changes nothing in AWS.
        const sf = await this.d.store.getFinding(job.findingId);
        return sf ? undefined : { reason: `no finding ${job.findingId.slice(0, 80)}` };
      }
    }
  }

  private mismatch(a: Action, target: string): { reason: string; caseId?: string } | undefined {
    if (a.target.ref === target) return undefined;
    return { reason: `the job names target ${target.slice(0, 200)}, but action ${a.id} acts on ${a.target.ref}`, ...(a.caseId ? { caseId: a.caseId } : {}) };
  }

  private async applyRefusal(a: Action, by: string): Promise<{ reason: string; caseId?: string } | undefined> {
    const at = a.caseId ? { caseId: a.caseId } : {};
    const refuse = (reason: string) => ({ reason, ...at });
    if (a.dryRun) return refuse(`action ${a.id} is a dry run; it never changes anything`);
    if (a.status === 'planned') {
      if (a.approvalRule) return refuse(`action ${a.id} needs approval (${a.approvalRule}) and has none`);
      if (by !== a.requestedBy) return refuse(`action ${a.id} was requested by ${a.requestedBy}, not ${by}`);
      const denied = await this.roleRefusal(by, 'contain');
      return denied ? refuse(denied) : undefined;
    }
    if (a.status === 'approved') {
      if (!a.approvedBy || by !== a.approvedBy) return refuse(`action ${a.id} was approved by ${a.approvedBy ?? 'nobody'}, not ${by}`);
      if (a.approvedBy === a.requestedBy) return refuse(`action ${a.id} was approved by the person who requested it`);
      const denied = await this.roleRefusal(by, 'approve', a.requestedBy);
      return denied ? refuse(denied) : undefined;
    }
    return refuse(`action ${a.id} is ${a.status.replace('_', ' ')}; ${a.status === 'pending_approval' ? 'it is not approved' : 'nothing to apply'}`);
  }

  private async revertRefusal(a: Action, by: string): Promise<{ reason: string; caseId?: string } | undefined> {
    const at = a.caseId ? { caseId: a.caseId } : {};
    const refuse = (reason: string) => ({ reason, ...at });
    const req = a.revertRequest;
    if (!req) return refuse(`nobody asked to revert action ${a.id}`);
    if (req.approvalRule) {
      if (!req.approvedBy) return refuse(`the revert of ${a.id} needs approval (${req.approvalRule}) and has none`);
      if (req.approvedBy !== by) return refuse(`the revert of ${a.id} was approved by ${req.approvedBy}, not ${by}`);
      if (req.approvedBy === req.by) return refuse(`the revert of ${a.id} was approved by the person who asked for it`);
    } else if (req.by !== by) return refuse(`the revert of ${a.id} was asked for by ${req.by}, not ${by}`);
    if (req.expiresAt && !req.approvedBy && isExpired(req.expiresAt, this.d.now())) return refuse(`the revert request for ${a.id} expired`);
    const denied = req.approvalRule ? await this.roleRefusal(by, 'approve', req.by) : await this.roleRefusal(by, 'revert');
    return denied ? refuse(denied) : undefined;
  }

  /** The same decision as a Slack request, on the role the config gives the user now. */
  private async roleRefusal(userId: string, intent: Intent, requesterId?: string): Promise<string | undefined> {
    const role = await this.d.roleOf(userId);
    const decision = decide({ intent, userId, teamId: this.d.teamId, expectedTeamId: this.d.teamId, role, source: { kind: 'default' }, ...(requesterId ? { requesterId } : {}) });
    return decision.allowed ? undefined : `${userId.slice(0, 40)}: ${decision.reason}`;
  }
}

/** Who the job says asked (audited as the actor of a refusal). */
function claimedActor(job: Job): string {
  switch (job.type) {
    case 'plan':
      return job.request.requestedBy.slice(0, 100);
    case 'apply':
    case 'revert':
    case 'report':
      return job.by.slice(0, 100);
    default:
      return 'unknown';
  }
}
