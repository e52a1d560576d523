/**
 * How to answer the person a job is for, long after the listener acked: the
 * `response_url` of their request. Slack honours it for 30 minutes
 * (https://api.slack.com/interactivity/handling#message_responses), so it is kept with
 * its deadline; past it, or when Slack refuses it, the answer goes to a DM.
 */
export interface JobReply {
  responseUrl: string;
  /** ISO time after which the URL is no longer tried. */
  until: string;
}

/** Long work the Slack listeners hand off: they record, enqueue, ack and return. */
export type Job =
  | {
      type: 'plan';
      /** `requestId` makes a re-run of the job (after a crash) resume the same plan, not make a second. */
      /** `findingId`: the Contain button of that finding's card asked; its IAM principal is checked again. */
      request: { target: string; requestedBy: string; caseId: string; dryRun: boolean; reason?: string; requestId?: string; findingId?: string };
      teamId: string;
      channelId: string;
      reply?: JobReply;
    }
  /**
   * `by` is who asked (the approver, or the requester of a plan that needs no approval);
   * `target` the action's target ARN. The worker checks both against the stored action.
   */
  | { type: 'apply'; actionId: string; by: string; target: string }
  | { type: 'revert'; actionId: string; by: string; target: string }
  | { type: 'bridge'; caseId: string }
  /** Create the GuardDuty ARCHIVE filters of a suppression rule made in Slack. */
  | { type: 'suppression-filters'; ruleId: string }
  /** Build the case report and upload it to the case channel; `channelId` is where to tell of a failure. */
  | { type: 'report'; caseId: string; by: string; channelId: string; reply?: JobReply }
  | { type: 'publish' }
  /** Compare the IAM principal a finding names with the finding's principalId (issue 15, point 14). */
  | { type: 'principal-check'; findingId: string };

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
