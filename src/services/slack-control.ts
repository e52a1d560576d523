import type { ContainmentService } from '../containment/containment-service';
import { approvalRuleFor } from '../domain/access';
import { REVERTIBLE, type ActionStatus } from '../domain/actions/action';
import { errorMessage, isCordonError } from '../errors';
import type { JobHandler, JobQueue } from '../jobs/job-queue';
import { InProcessQueue } from '../jobs/in-process-queue';
import { SlackActionReporter } from '../slack/action-reporter';
import { ContainmentJobs } from './containment-jobs';
import { buildFrontDoor, type FrontDoorControl, type FrontDoorParts } from './front-door-control';
import { GuardDutyFilters } from './guardduty-filters';

/** The front door and the worker behind it, which runs the jobs (AWS reads and changes). */
export interface SlackControl extends FrontDoorControl {
  containmentJobs: ContainmentJobs;
  filters: GuardDutyFilters;
  /** The worker: runs one job (in-process here; the `worker` Lambda on AWS). */
  runJob: JobHandler;
}

export interface SlackControlParts extends Omit<FrontDoorParts, 'queue'> {
  containment: ContainmentService;
  /** Another queue (Lambda); default: in-process. */
  queue?: JobQueue;
}

/** The front door with its worker: the jobs run in this process unless another queue is given. */
export function buildSlackControl(p: SlackControlParts): SlackControl & { inProcess?: InProcessQueue } {
  const environments = Object.fromEntries(p.config.accounts.map((a) => [a.id, a.environment]));
  // The worker and the services need each other: the queue runs jobs that call the services.
  const ref: { front?: FrontDoorControl; jobs?: ContainmentJobs; filters?: GuardDutyFilters } = {};
  // The listener acked long ago: a job that fails tells the person who asked, never drops it.
  const tellRequester = async (channel: string, user: string, err: unknown, what: string): Promise<void> => {
    const text = isCordonError(err) ? `:warning: ${err.message} (${err.code})` : `:boom: ${what}: ${errorMessage(err)}`;
    try {
      await p.client.chat.postEphemeral({ channel, user, text });
    } catch (e) {
      p.log.error({ err: errorMessage(e), userId: user }, `could not tell the requester: ${what}`);
    }
  };
  // A recovered apply or revert runs only if it never started: one that started and died is
  // `interrupted` (the sweep says so), and a person decides what happens to it next.
  const stillToStart = async (actionId: string, from: ActionStatus[]): Promise<boolean> => {
    const a = await p.store.getAction(actionId);
    if (a && from.includes(a.status)) return true;
    p.log.info({ actionId, status: a?.status }, 'recovered job skipped: the action already moved on');
    return false;
  };
  const runJob: JobHandler = async (job, meta) => {
    const jobs = ref.jobs as ContainmentJobs;
    const front = ref.front as FrontDoorControl;
    const recovered = meta?.recovered === true;
    switch (job.type) {
      case 'plan':
        try {
          await jobs.planAndPost(job.request);
        } catch (err) {
          p.log.warn({ caseId: job.request.caseId, userId: job.request.requestedBy, err: errorMessage(err) }, 'plan failed');
          await p.store.appendTimeline({ caseId: job.request.caseId, at: p.now().toISOString(), kind: 'note', actor: 'cordon', text: `Containment of ${job.request.target} could not be planned: ${isCordonError(err) ? err.message : errorMessage(err)}` });
          await tellRequester(job.channelId, job.request.requestedBy, err, 'Planning failed');
          await p.publisher.flush();
        }
        return;
      case 'report':
        try {
          await front.reports.publish(job.caseId, job.by);
        } catch (err) {
          p.log.warn({ caseId: job.caseId, userId: job.by, err: errorMessage(err) }, 'report failed');
          await tellRequester(job.channelId, job.by, err, 'The report could not be uploaded');
        }
        return;
      case 'apply':
        if (recovered && !(await stillToStart(job.actionId, ['planned', 'approved']))) return;
        await jobs.runApply(job.actionId, job.by);
        await p.publisher.flush();
        return;
      case 'revert':
        if (recovered && !(await stillToStart(job.actionId, REVERTIBLE))) return;
        await jobs.runRevert(job.actionId, job.by);
        await p.publisher.flush();
        return;
      case 'bridge':
        await p.publisher.flush();
        await front.escalation.buildBridge(job.caseId);
        return;
      case 'publish':
        await p.publisher.flush();
        return;
      case 'suppression-filters':
        await (ref.filters as GuardDutyFilters).sync(job.ruleId);
        return;
    }
  };
  const inProcess = p.queue ? undefined : new InProcessQueue(runJob, p.log, { store: p.store, now: p.now });
  const queue: JobQueue = p.queue ?? (inProcess as InProcessQueue);
  const front = buildFrontDoor({ ...p, queue });
  ref.front = front;
  ref.jobs = new ContainmentJobs({
    store: p.store,
    containment: p.containment,
    cases: front.cases,
    queue,
    approvalFor: (target) => {
      const rule = approvalRuleFor({ accountId: target.accountId, environment: environments[target.accountId] ?? 'unknown', kind: target.kind }, p.config.access.approvals);
      return rule ? { rule: rule.name, ttlMs: p.config.access.approvalTtl } : undefined;
    },
    client: p.client,
    publisher: p.publisher,
    reporter: new SlackActionReporter(p.client, p.log),
    now: p.now,
  });
  ref.filters = new GuardDutyFilters(p.store, p.containment, p.log, { now: p.now });
  return { ...front, containmentJobs: ref.jobs, filters: ref.filters, runJob, ...(inProcess ? { inProcess } : {}) };
}
