import { randomUUID } from 'node:crypto';
import { errorMessage } from '../errors';
import type { Logger } from '../log';
import { leaseOwner, takeLease, withLease, type LeaseSpec } from '../store/lease';
import type { StoredJob, Store } from '../store/store';
import type { Job, JobHandler, JobQueue } from './job-queue';

/** Options for {@link InProcessQueue}. */
export interface InProcessQueueOptions {
  /**
   * Where accepted jobs are recorded until they finish. With it, a process that dies
   * with work queued (a plan not yet made, an approved action not yet started) leaves
   * the jobs for the next process to run; without it they live in memory only.
   */
  store?: Store;
  now?: () => Date;
  /** How long a job's claim lasts unless renewed; a dead process's jobs wait this long. */
  leaseMs?: number;
}

const DEFAULT_LEASE_MS = 30_000;
const RECOVER_BATCH = 100;

/**
 * Long-running mode: jobs run in this process, after the listener has acked. Every
 * job is recorded before `enqueue` resolves (so the listener's ack means the work is
 * kept), claimed with a renewed lease while it runs (so two processes on one store
 * never run it twice), and deleted when it ends. A failing job is logged with its ids;
 * its state is already in the store, and the handler has told whoever asked.
 */
export class InProcessQueue implements JobQueue {
  /** Names this process's leases; another process (or this one restarted) is someone else. */
  readonly owner = leaseOwner('proc');
  private readonly inFlight = new Set<Promise<void>>();
  private readonly running = new Set<string>();
  private readonly now: () => Date;
  private readonly leaseMs: number;

  constructor(
    private readonly handler: JobHandler,
    private readonly log: Logger,
    private readonly opts: InProcessQueueOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  }

  async enqueue(job: Job): Promise<void> {
    const stored: StoredJob = { id: randomUUID(), job, enqueuedAt: this.now().toISOString() };
    // Recorded first: if the store cannot take it, the request fails here, before the ack.
    await this.opts.store?.putJob(stored);
    this.start(stored, false);
  }

  /**
   * Runs the jobs another process accepted and never finished (its lease has run
   * out). The clock tick calls this, so a restart picks them up on its first tick.
   * Returns how many were started here.
   */
  async recover(): Promise<number> {
    const store = this.opts.store;
    if (!store) return 0;
    let started = 0;
    for (const j of await store.listJobs(RECOVER_BATCH)) {
      if (this.running.has(j.id)) continue;
      // Marked before the await: a second recover() running beside this one skips it.
      this.running.add(j.id);
      // A live holder (another process) keeps its lease, and so its job.
      if (!(await takeLease(store, this.lease(j.id)))) {
        this.running.delete(j.id);
        continue;
      }
      this.log.warn({ jobId: j.id, job: j.job.type, enqueuedAt: j.enqueuedAt }, 'running a job an earlier process accepted and did not finish');
      this.start(j, true);
      started++;
    }
    return started;
  }

  /** Resolves when every job started so far (and those they enqueue) has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  private lease(id: string): LeaseSpec {
    return { name: `job:${id}`, owner: this.owner, ttlMs: this.leaseMs, now: this.now };
  }

  private start(j: StoredJob, recovered: boolean): void {
    this.running.add(j.id);
    const run = this.runOne(j, recovered)
      .catch((err: unknown) => this.log.error({ jobId: j.id, job: j.job, err: errorMessage(err) }, 'job failed'))
      .finally(() => {
        this.inFlight.delete(run);
        this.running.delete(j.id);
      });
    this.inFlight.add(run);
  }

  private async runOne(j: StoredJob, recovered: boolean): Promise<void> {
    // After the listener's ack: the job never delays the answer Slack is waiting for.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const store = this.opts.store;
    if (!store) return this.handler(j.job, { recovered });
    // Another process holding the lease runs it.
    await withLease(store, this.lease(j.id), async () => {
      try {
        await this.handler(j.job, { recovered });
      } finally {
        // Done, or failed and already reported: either way it is not run again.
        await store.deleteJob(j.id);
      }
    });
  }
}
