/**
 * Time limits the configuration is checked against. The worker's timeout lives in
 * serverless.yml (functions.worker.timeout); a deploy test fails if the two disagree,
 * so a change to one is a change to both.
 */

/** functions.worker.timeout in serverless.yml: the longest a plan, apply or revert job may run on Lambda. */
export const WORKER_TIMEOUT_SECONDS = 900;

/**
 * Backoff (ms) between the bounded retries of EC2 network moves and of calls on a group
 * just created (eventual consistency). Six retries, about 30 s in all.
 */
export const NETWORK_RETRY_DELAYS_MS: readonly number[] = [500, 1000, 2000, 4000, 8000, 15000];

/**
 * The most an EC2 containment may spend apart from the untrack wait: creating and
 * checking the groups, the hop, the isolation and, when isolation fails, putting the
 * original groups back (each phase bounded by {@link NETWORK_RETRY_DELAYS_MS}), plus
 * the SDK's own retries of the calls around them.
 */
export const EC2_CONTAINMENT_OVERHEAD_SECONDS = 180;
