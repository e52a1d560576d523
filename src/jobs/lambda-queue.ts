import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import * as z from 'zod';
import { CASE_ID_PATTERN } from '../domain/cases/case-id';
import { CordonError, ErrorCode } from '../errors';
import type { Job, JobQueue } from './job-queue';

/**
 * Serverless: hands a job to the `worker` function asynchronously (`InvocationType:
 * Event`), so the `slack` function acks within Slack's 3 seconds and never runs
 * containment itself. Failed invocations land in the worker's on-failure destination.
 */
export class LambdaQueue implements JobQueue {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  async enqueue(job: Job): Promise<void> {
    let res;
    try {
      res = await this.client.send(
        new InvokeCommand({ FunctionName: this.functionName, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ cordonJob: job })) }),
      );
    } catch (err) {
      // The AWS message can name ARNs and account ids: the error name is enough to act on.
      const name = (err as { name?: string }).name ?? 'Error';
      throw new CordonError(ErrorCode.AWS_FAILED, `the worker ${this.functionName} could not be invoked (${name})`, { functionName: this.functionName, awsError: name });
    }
    if (res.StatusCode !== 202) {
      throw new CordonError(ErrorCode.AWS_FAILED, `the worker ${this.functionName} did not accept the job (status ${res.StatusCode ?? 'none'})`, {
        functionName: this.functionName,
        status: res.StatusCode,
      });
    }
  }
}

const reply = z.object({ responseUrl: z.string().max(2000).regex(/^https?:\/\//), until: z.string().max(40) }).optional();
/** A finding id as the parser takes it (src/domain/findings/parse-finding.ts). */
const findingId = z.string().min(1).max(300);
const actionJob = z.object({ actionId: z.string().regex(/^A-\d{14}-[0-9a-z]{4}$/), by: z.string().min(1).max(100), target: z.string().min(1).max(2048) });
const jobSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('plan'),
    request: z.object({
      target: z.string().min(1).max(2048),
      requestedBy: z.string().min(1).max(100),
      caseId: z.string().min(1).max(40),
      dryRun: z.boolean(),
      reason: z.string().max(500).optional(),
      requestId: z.string().regex(/^R-[0-9a-f-]{36}$/).optional(),
      // The finding whose Contain button asked: the worker checks its IAM principal again before planning.
      findingId: findingId.optional(),
    }),
    teamId: z.string().min(1),
    channelId: z.string().min(1),
    reply,
  }),
  actionJob.extend({ type: z.literal('apply') }),
  actionJob.extend({ type: z.literal('revert') }),
  z.object({ type: z.literal('bridge'), caseId: z.string().min(1).max(40) }),
  z.object({ type: z.literal('suppression-filters'), ruleId: z.string().regex(/^s-[0-9a-f]{6}$/) }),
  z.object({ type: z.literal('publish') }),
  z.object({ type: z.literal('report'), caseId: z.string().regex(CASE_ID_PATTERN), by: z.string().min(1).max(100), channelId: z.string().min(1).max(40), reply }),
  z.object({ type: z.literal('principal-check'), findingId }),
]);

/** Reads a job back from a worker invocation's event (validated); undefined when it is not one. */
export function jobFromEvent(event: unknown): Job | undefined {
  const parsed = jobSchema.safeParse((event as { cordonJob?: unknown } | null)?.cordonJob);
  if (!parsed.success) return undefined;
  const job = parsed.data;
  if (job.type === 'plan') {
    const { reason, requestId, findingId: from, ...request } = job.request;
    return { ...job, request: { ...request, ...(reason ? { reason } : {}), ...(requestId ? { requestId } : {}), ...(from ? { findingId: from } : {}) } };
  }
  return job;
}
