import { REVERTIBLE, type ActionStatus } from '../domain/actions/action';
import { ErrorCode, errorMessage, failureWords, isCordonError } from '../errors';
import type { Job, JobHandler, JobMeta, JobReply } from '../jobs/job-queue';
import type { Logger } from '../log';
import type { ContainmentJobs } from '../services/containment-jobs';
import type { GuardDutyFilters } from '../services/guardduty-filters';
import type { PrincipalChecks } from '../services/principal-checks';
import type { ReplyTarget } from '../slack/outbound/replies';
import type { Store } from '../store/store';
import type { Services } from './services';

/** The job of one type. */
type JobOf<K extends Job['type']> = Extract<Job, { type: K }>;

/** One handler per job type: the whole list of what the worker does. */
export type JobHandlers = { [K in Job['type']]: (job: JobOf<K>, meta: JobMeta) => Promise<void> };

/** What the worker's handlers reach. Containment and the GuardDuty filters are built on first use: they need `containmentRole`. */
export interface WorkerParts {
  store: Store;
  log: Logger;
  now: () => Date;
  services: Pick<Services, 'reports' | 'escalation'>;
  /** Makes Slack match the store (the outbox flush). */
  flush: () => Promise<unknown>;
  /** Tells a person privately why the work they asked for failed (the listener acked long ago): response_url, else a DM. */
  tell: (to: ReplyTarget, text: string) => Promise<unknown>;
  containmentJobs: () => ContainmentJobs;
  filters: () => GuardDutyFilters;
  principalChecks: () => PrincipalChecks;
}

/**
 * The one place job types meet their handlers. The in-process queue (`cordon serve`)
 * and the `worker` function both run jobs through what {@link jobDispatcher} returns.
 */
export function workerHandlers(p: WorkerParts): JobHandlers {
  // The listener acked long ago: a job that fails tells the person who asked, never drops it.
  const tellRequester = async (to: ReplyTarget, err: unknown, what: string): Promise<void> => {
    // Slack hears Cordon's words (and an AWS error code), never an AWS message.
    const text = isCordonError(err) ? `:warning: ${err.message} (${err.code})` : `:boom: ${what}: ${failureWords(err)}`;
    try {
      await p.tell(to, text);
    } catch (e) {
      p.log.error({ err: errorMessage(e), userId: to.userId }, `could not tell the requester: ${what}`);
    }
  };
  const target = (userId: string, channelId: string, reply: JobReply | undefined): ReplyTarget => ({
    userId,
    channelId,
    ...(reply ? { responseUrl: reply.responseUrl, until: reply.until } : {}),
  });
  // A recovered apply or revert runs only if it never started: one that started and died is
  // `interrupted` (the sweep says so), and a person decides what happens to it next.
  const stillToStart = async (actionId: string, from: ActionStatus[]): Promise<boolean> => {
    const a = await p.store.getAction(actionId);
    if (a && from.includes(a.status)) return true;
    p.log.info({ actionId, status: a?.status }, 'recovered job skipped: the action already moved on');
    return false;
  };
  return {
    plan: async (job) => {
      try {
        await p.containmentJobs().planAndPost(job.request);
      } catch (err) {
        p.log.warn({ caseId: job.request.caseId, userId: job.request.requestedBy, err: errorMessage(err) }, 'plan failed');
        await p.store.appendTimeline({ caseId: job.request.caseId, at: p.now().toISOString(), kind: 'note', actor: 'cordon', text: `Containment of ${job.request.target} could not be planned: ${failureWords(err)}` });
        await tellRequester(target(job.request.requestedBy, job.channelId, job.reply), err, 'Planning failed');
        await p.flush();
      }
    },
    report: async (job) => {
      try {
        await p.services.reports.publish(job.caseId, job.by);
      } catch (err) {
        p.log.warn({ caseId: job.caseId, userId: job.by, err: errorMessage(err) }, 'report failed');
        await tellRequester(target(job.by, job.channelId, job.reply), err, 'The report could not be uploaded');
      }
    },
    apply: async (job, meta) => {
      if (meta.recovered && !(await stillToStart(job.actionId, ['planned', 'approved']))) return;
      await p.containmentJobs().runApply(job.actionId, job.by);
      await p.flush();
    },
    revert: async (job, meta) => {
      if (meta.recovered && !(await stillToStart(job.actionId, REVERTIBLE))) return;
      await p.containmentJobs().runRevert(job.actionId, job.by);
      await p.flush();
    },
    bridge: async (job) => {
      await p.flush();
      await p.services.escalation.buildBridge(job.caseId);
    },
    publish: async () => {
      await p.flush();
    },
    'suppression-filters': async (job) => {
      await p.filters().sync(job.ruleId);
    },
    'principal-check': async (job) => {
      // Never throws for AWS: a check that could not run is recorded as such, and the card says so.
      await p.principalChecks().run(job.findingId);
      await p.flush();
    },
  };
}

/** What checks a job against the store before it runs (`services/job-guard`). */
export interface JobCheck {
  check(job: Job): Promise<void>;
}

/**
 * Runs one job with the handler of its type, once `guard` has checked it against the
 * store. A refused job is audited by the guard and logged here, and ends: retrying a
 * forged job would only refuse it again, so the invocation succeeds and nobody is told.
 */
export function jobDispatcher(handlers: JobHandlers, guard: JobCheck, log: Logger): JobHandler {
  const run = <K extends Job['type']>(job: JobOf<K> & { type: K }, meta: JobMeta): Promise<void> => handlers[job.type](job, meta);
  return async (job, meta = { recovered: false }) => {
    try {
      await guard.check(job);
    } catch (err) {
      if (isCordonError(err) && err.code === ErrorCode.JOB_REFUSED) {
        log.warn({ job: job.type, err: err.message }, 'job refused: it does not match the store');
        return;
      }
      throw err;
    }
    await run(job, meta);
  };
}
