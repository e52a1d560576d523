import type { Cordon } from '../container';
import { digestDue, markDigestPosted } from './digest-schedule';

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
 * `ticker` Lambda every minute): post what Slack has not seen, run jobs a dead process left, expire approvals, run
 * escalations and re-pages, retire expired suppressions, mark dead actions, post the digest.
 */
export async function clockTick(cordon: Cordon, now: Date): Promise<void> {
  const publisher = cordon.slack?.publisher;
  if (!publisher) return;
  await publisher.flush();
  if (cordon.config.containmentRole) {
    const control = cordon.control();
    // Work a dead process accepted and never finished (first tick after a restart).
    await control.inProcess?.recover();
    await control.actions.expirePending();
    await control.escalation.tick();
    await control.filters.sweepExpired();
    await control.filters.retryPendingFilters();
    // Before the sweep: an interface a dead process left in the untrack group cannot wait for a person.
    await cordon.containment().recoverOpenSteps(OPEN_STEP_STALE_MS);
    await cordon.containment().sweepInterrupted(HEARTBEAT_STALE_MS);
  }
  if (await digestDue(cordon.store, cordon.config.triage.digestEvery, now)) {
    await publisher.postDigest('since the last digest');
    await markDigestPosted(cordon.store, now);
  }
}
