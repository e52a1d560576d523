import { CordonError, ErrorCode } from '../errors';

/**
 * The one place Cordon retries a lost compare-and-set. Every state change in the store is
 * a conditional write on `version` (or a transaction conditioned on what was read); a
 * writer that loses the race reads again and decides again. Before this module the loop
 * was written by hand eight times, with four different endings (a thrown STORE.CONFLICT,
 * a plain Error, a silent return, an `undefined` that read like "someone else moved it").
 *
 * The one failure mode: after `attempts` lost races, a {@link CordonError} with code
 * `STORE.CONFLICT` (ErrorCode.STORE_CONFLICT). Callers that want to try later catch that
 * code; nothing else is thrown by the helper itself.
 */

/** Returned by an attempt that lost the race: read again and try again. */
export const LOST_RACE: unique symbol = Symbol('lost-race');
export type LostRace = typeof LOST_RACE;

/** How hard to try. */
export interface RetryOptions {
  /** Attempts in all, the first included (default {@link DEFAULT_ATTEMPTS}). */
  attempts?: number;
  /**
   * Wait after lost attempt `n` (0-based) before the next. None by default: in one process
   * the winner has already finished; writers in other processes (DynamoDB) pass a jitter.
   */
  backoff?: (attempt: number) => Promise<void>;
}

/** Enough for writers in one process, where a lost race means one other write landed. */
export const DEFAULT_ATTEMPTS = 5;

/** Jittered exponential wait (at most 200 ms), so racing processes do not collide again in step. */
export function jitteredBackoff(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.random() * Math.min(200, 5 * 2 ** attempt)));
}

/** The error every exhausted retry ends in. */
export function conflictError(what: string, attempts: number): CordonError {
  return new CordonError(ErrorCode.STORE_CONFLICT, `${what} kept changing (${attempts} attempts); try again`, { attempts });
}

/** True for the STORE.CONFLICT error (from this helper or from a store refusing a write). */
export function isConflict(err: unknown): boolean {
  return err instanceof CordonError && err.code === ErrorCode.STORE_CONFLICT;
}

/**
 * Runs `attempt` until it returns something other than {@link LOST_RACE}; throws
 * STORE.CONFLICT after `opts.attempts` lost races. `what` names the record for the message.
 */
export async function retryOnConflict<T>(what: string, attempt: (n: number) => Promise<T | LostRace>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? DEFAULT_ATTEMPTS;
  for (let n = 0; n < attempts; n++) {
    const result = await attempt(n);
    if (result !== LOST_RACE) return result;
    if (opts.backoff && n + 1 < attempts) await opts.backoff(n);
  }
  throw conflictError(what, attempts);
}

/** One read-modify-write of a versioned record. */
export interface VersionedUpdate<T> {
  /** Names the record in the conflict message: `case IR-20260101-ABCD`. */
  what: string;
  /** Reads the record as stored; undefined when it is gone (the update then yields undefined). */
  read: () => Promise<T | undefined>;
  /**
   * The record as it must become, from the one just read. Pure. Undefined declines the
   * write (the record is no longer in a state this change applies to); throwing stops too.
   */
  mutate: (current: T) => T | undefined;
  /** The conditional write: false when the stored version moved on since `read`. */
  write: (next: T) => Promise<boolean>;
  /** A copy already in hand, used for the first attempt instead of reading. */
  initial?: T;
}

/**
 * Read, mutate, conditional write; on a lost race read again. Yields the record as written,
 * or undefined when it is gone or `mutate` declined. The failure mode is
 * {@link retryOnConflict}'s: STORE.CONFLICT after `opts.attempts` lost races.
 */
export async function updateWithRetry<T>(u: VersionedUpdate<T>, opts: RetryOptions = {}): Promise<T | undefined> {
  return retryOnConflict<T | undefined>(
    u.what,
    async (n) => {
      const current = n === 0 && u.initial !== undefined ? u.initial : await u.read();
      if (current === undefined) return undefined;
      const next = u.mutate(current);
      if (next === undefined) return undefined;
      return (await u.write(next)) ? next : LOST_RACE;
    },
    opts,
  );
}
