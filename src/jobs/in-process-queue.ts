import { errorMessage } from '../errors';
import type { Logger } from '../log';
import type { Job, JobHandler, JobQueue } from './job-queue';

/**
 * Long-running mode: jobs run in this process, after the listener has acked. Every
 * job is tracked so shutdown (and tests) can wait for work in flight; a failing job is
 * logged with its ids, and its state is already in the store.
 */
export class InProcessQueue implements JobQueue {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly handler: JobHandler,
    private readonly log: Logger,
  ) {}

  enqueue(job: Job): Promise<void> {
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.handler(job))
      .catch((err: unknown) => this.log.error({ job, err: errorMessage(err) }, 'job failed'))
      .finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
    return Promise.resolve();
  }

  /** Resolves when every job enqueued so far (and those they enqueue) has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }
}
