import { performance } from 'node:perf_hooks';

/**
 * How long ingestion may run on the event loop before it lets I/O in (ms). Node's libuv
 * (1.46 here) accepts at most one pending TCP connection per loop turn, so N Slack
 * requests that arrive together need N turns before the last is even read: with turns of
 * 30 ms that was ~1.1 s for 100 commands (docs/reliability.md, "Load"). Kept well under
 * the ~5 ms between commands in that burst, so accepting keeps up with arriving.
 */
export const INGEST_SLICE_MS = 3;

/** A loop turn shorter than this (ms) ran nothing but this yield: nothing else is waiting. */
const QUIET_MS = 0.25;
/** Ingestion waits at most this many busy turns for its next slice (it always progresses). */
const MAX_TURNS = 16;

/**
 * Cooperative time slicing for CPU work on the event loop: `pause()` costs a clock read
 * until the slice has run `budgetMs`, then yields one loop turn (setImmediate: after
 * pending I/O, before timers of the next turn) and starts a new slice. Work done between
 * two awaits of a synchronous store never yields by itself: awaiting a settled promise
 * only runs microtasks, and I/O waits for the whole chain.
 */
export class TimeSlice {
  private deadline: number;

  constructor(
    private readonly budgetMs: number = INGEST_SLICE_MS,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.deadline = clock() + budgetMs;
  }

  /**
   * Yields to the event loop when this slice has used its budget, and keeps yielding while
   * the loop has other work (a turn that took longer than QUIET_MS ran something else: an
   * accept, a request, a reply), up to MAX_TURNS turns. One accept per turn means a queue
   * of N connections needs N turns; giving them those turns before the next slice keeps
   * requests ahead of ingestion. An idle loop costs one turn (~20 µs) per slice.
   */
  /**
   * Whether this slice has used its budget: `if (slice.due()) await slice.pause()` skips the
   * promise and the microtask an await costs on every item of a hot loop (~1 µs a finding).
   */
  due(): boolean {
    return this.clock() >= this.deadline;
  }

  async pause(): Promise<void> {
    if (!this.due()) return;
    for (let turn = 0; turn < MAX_TURNS; turn++) {
      const before = this.clock();
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.clock() - before < QUIET_MS) break;
    }
    this.deadline = this.clock() + this.budgetMs;
  }
}
