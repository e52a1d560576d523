import type { Cordon } from './cordon';
import { digestDue, markDigestPosted } from '../services/digest-schedule';

/** An approved action not started after this long is handed to the worker again (a lost hand-over). */
export const STUCK_APPROVAL_MS = 60_000;

/** Stale heartbeats mark a running action as interrupted after this long. */
export const HEARTBEAT_STALE_MS = 60_000;

/**
 * A runner that missed three heartbeats (5 s each) is dead as far as an interface in the
 * allow-all group is concerned: the next tick finishes its isolation, well inside one job
 * lease (30 s) of the process dying.
 */
export const OPEN_STEP_STALE_MS = 15_000;

/**
 * One tick of Cordon's clock, the same in both modes (in-process ticker, or the
 * `ticker` Lambda every minute): post what Slack has not seen, run jobs a dead process left, ask again for
 * principal checks whose request was lost, expire approvals, run
 * escalations and re-pages, retire expired suppressions, mark dead actions, post the digest.
 */
export async function clockTick(cordon: Cordon, now: Date): Promise<void> {
  // First, and whether or not Slack is there: an interface a dead process left in the
  // allow-all untrack group cannot wait for a person. A failure here is logged loudly and
  // does not stop the rest of the tick (the action's record keeps saying `exposed`, and
  // the next tick tries again).
  if (cordon.config.containmentRole) {
    try {
      await cordon.containment().recoverOpenSteps(OPEN_STEP_STALE_MS);
    } catch (err) {
      cordon.log.error({ err }, 'recovering open network steps failed; an interface may still be in the untrack group; retrying on the next tick');
    }
  }
  // A case merge a crash interrupted (DynamoDB moves item by item) is finished before Slack
  // is told anything: until then the merged case's keys may still point at it.
  await cordon.store.resumeMerges();
  const publisher = cordon.slack?.publisher;
  if (!publisher) return;
  const worker = cordon.worker();
  // Principal checks whose request was lost: asked again, or recorded as not completed (before
  // the flush, so the card and the timeline note of one given up go out in this tick).
  // A failure here is logged and the tick goes on: the flush, approvals and escalations below
  // must not wait on a principal check.
  const queue = worker.queue;
  try {
    // Checks stored before the sweep's index existed are indexed first, a page a tick.
    await cordon.store.backfillPendingChecks?.();
    await worker.principalChecks().sweep((findingId) => queue.enqueue({ type: 'principal-check', findingId }));
  } catch (err) {
    cordon.log.error({ err }, 'the principal-check sweep failed; retrying on the next tick');
  }
  await publisher.flush();
  const services = cordon.services();
  // Work a dead process accepted and never finished (first tick after a restart).
  await worker.inProcess?.recover();
  await services.actions.expirePending();
  await services.actions.startStuckApprovals(STUCK_APPROVAL_MS);
  await services.escalation.tick();
  // Every expired suppression rule is said in the triage channel, once.
  await services.suppression.announceExpired();
  // The GuardDuty filters and running actions exist only where containment does (they use its role).
  if (cordon.config.containmentRole) {
    await worker.filters().sweepExpired();
    await worker.filters().retryPendingFilters();
    await cordon.containment().sweepInterrupted(HEARTBEAT_STALE_MS);
  }
  if (await digestDue(cordon.store, cordon.config.triage.digestEvery, now)) {
    await publisher.postDigest('since the last digest');
    await markDigestPosted(cordon.store, now);
  }
}
