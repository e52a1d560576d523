/** Long work the Slack listeners hand off: they record, enqueue, ack and return. */
export type Job =
  | {
      type: 'plan';
      /** `requestId` makes a re-run of the job (after a crash) resume the same plan, not make a second. */
      request: { target: string; requestedBy: string; caseId: string; dryRun: boolean; reason?: string; requestId?: string };
      teamId: string;
      channelId: string;
    }
  | { type: 'apply'; actionId: string; by: string }
  /** `keepOff`: access keys the commander chose to leave inactive. */
  | { type: 'revert'; actionId: string; by: string; keepOff?: string[] }
  | { type: 'bridge'; caseId: string }
  /** Create the GuardDuty ARCHIVE filters of a suppression rule made in Slack. */
  | { type: 'suppression-filters'; ruleId: string }
  /** Build the case report and upload it to the case channel; `channelId` is where to tell of a failure. */
  | { type: 'report'; caseId: string; by: string; channelId: string }
  | { type: 'publish' };

/** Port: the in-process adapter here; a Lambda-invoke adapter for serverless. */
export interface JobQueue {
  enqueue(job: Job): Promise<void>;
}

/** How a job reached the worker. */
export interface JobMeta {
  /** Accepted by a process that died before finishing it: the handler re-checks what is still to do. */
  recovered: boolean;
}

/** Runs one job; the worker (in-process or the `worker` Lambda) implements it. */
export type JobHandler = (job: Job, meta?: JobMeta) => Promise<void>;
