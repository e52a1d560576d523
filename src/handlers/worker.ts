import { jobFromEvent } from '../jobs/lambda-queue';
import { lambdaCordon } from './worker-runtime';

/** The `worker` function: runs one job the `slack` function enqueued (AWS reads and changes happen here). */
export async function handler(event: unknown): Promise<{ ok: boolean }> {
  const cordon = await lambdaCordon();
  const job = jobFromEvent(event);
  if (!job) {
    cordon.log.error({ event: JSON.stringify(event).slice(0, 2000) }, 'worker invoked without a valid job');
    return { ok: false };
  }
  cordon.log.info({ job: job.type, actionId: 'actionId' in job ? job.actionId : undefined }, 'worker job');
  // A throw fails the invocation: Lambda retries it, then sends it to the on-failure destination.
  await cordon.worker().run(job);
  return { ok: true };
}
