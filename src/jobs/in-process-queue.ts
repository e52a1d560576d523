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
  /** At most this many jobs of a type run at once (default {@link DEFAULT_JOB_LIMITS}); types not named are not limited. */
  limits?: Partial<Record<Job['type'], number>>;
}

const DEFAULT_LEASE_MS = 30_000;

/**
 * Principal checks come one per new finding: a GuardDuty burst queues hundreds at once, each
 * a session in a member account and an IAM read. Unbounded, they would spend the account's
 * IAM request rate (IAM throttles per account,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html) while a
 * responder's containment needs it. A few at a time; containment jobs (plan, apply, revert)
 * are never held behind them.
 */
export const DEFAULT_JOB_LIMITS: Partial<Record<Job['type'], number>> = { 'principal-check': 4 };
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
  private readonly limits: Partial<Record<Job['type'], number>>;
  /** Jobs of a limited type running now, and those waiting for one of them to end. */
  private readonly slots = new Map<Job['type'], { active: number; waiting: (() => void)[] }>();

  constructor(
    private readonly handler: JobHandler,
    private readonly log: Logger,
    private readonly opts: InProcessQueueOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    this.limits = opts.limits ?? DEFAULT_JOB_LIMITS;
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

  /** Waits for a slot of the job's type, if its type is limited; returns the slot's release. */
  private async slot(type: Job['type']): Promise<() => void> {
    const limit = this.limits[type];
    if (limit === undefined) return () => {};
    const s = this.slots.get(type) ?? { active: 0, waiting: [] };
    this.slots.set(type, s);
    // A job that waits here is recorded in the store and marked running: a crash leaves it for recover().
    if (s.active >= limit) await new Promise<void>((resolve) => s.waiting.push(resolve));
    else s.active++;
    return () => {
      // The slot passes straight to the next waiter, so `active` never drops below what runs.
      const next = s.waiting.shift();
      if (next) next();
      else s.active--;
    };
  }

  private async runOne(j: StoredJob, recovered: boolean): Promise<void> {
    // After the listener's ack: the job never delays the answer Slack is waiting for.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const release = await this.slot(j.job.type);
    try {
      await this.runLeased(j, recovered);
    } finally {
      release();
    }
  }

  private async runLeased(j: StoredJob, recovered: boolean): Promise<void> {
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
