import {
  judgePrincipal,
  lastAskedAt,
  PRINCIPAL_CHECK_GRACE_MS,
  principalCheckWords,
  sweepPendingCheck,
  uncheckedPrincipal,
  type PrincipalCheck,
} from '../domain/findings/principal-check';
import { errorMessage, failureWords, isCordonError } from '../errors';
import type { Logger } from '../log';
import { updateWithRetry } from '../store/compare-and-set';
import type { Store } from '../store/store';

/** Reads the UserId / RoleId IAM holds under an IAM user or role ARN; undefined when there is none. */
export type PrincipalReader = (target: string, who: { actionId: string; requestedBy: string }) => Promise<string | undefined>;

/** Pending checks the sweep handles per tick: a burst of lost requests is caught up over a few ticks, none starves. */
export const PRINCIPAL_CHECK_SWEEP_LIMIT = 50;

/** What one sweep did. */
export interface CheckSweepResult {
  /** Checks asked for again. */
  asked: number;
  /** Checks recorded as not completed. */
  gaveUp: number;
}

/** What {@link PrincipalChecks} needs. */
export interface PrincipalChecksDeps {
  store: Store;
  /** Built on first use: it needs the containment role (the worker's AWS side). */
  reader: () => PrincipalReader;
  log: Logger;
  now: () => Date;
}

/**
 * The worker's half of issue 15, point 14: a finding that names an IAM user or role is stored
 * with a pending check and a `principal-check` job; the job reads the principal in the member
 * account and records the verdict on the finding, whose card the publisher then edits (Contain
 * for a verified principal only). The intake (`slack`, `findings`) has no AWS side, so it
 * never reads IAM itself.
 */
export class PrincipalChecks {
  constructor(private readonly d: PrincipalChecksDeps) {}

  /** Job: checks the finding's principal if still pending, and records the verdict. */
  async run(findingId: string): Promise<PrincipalCheck | undefined> {
    const sf = await this.d.store.getFinding(findingId);
    const check = sf?.principalCheck;
    if (!check || check.status !== 'pending') return check;
    const at = () => this.d.now().toISOString();
    let verdict: PrincipalCheck;
    try {
      // A session of its own, named after the finding, as CloudTrail will show it.
      const who = { actionId: `check-${findingId.replace(/[^\w+=,.@-]/g, '').slice(0, 40)}`, requestedBy: 'cordon' };
      verdict = judgePrincipal(check, await this.d.reader()(check.target, who), at());
    } catch (err) {
      this.d.log.warn({ findingId, err: errorMessage(err) }, 'principal check failed');
      verdict = uncheckedPrincipal(check, isCordonError(err) ? err.message : failureWords(err), at());
    }
    await this.record(findingId, check.target, verdict);
    return verdict;
  }

  /**
   * The clock's sweep: a cased finding whose check is still pending {@link PRINCIPAL_CHECK_GRACE_MS}
   * after it was (last) asked for may have lost its request (the process died between the
   * store write and the enqueue, the queue refused, the job was dropped), so it is asked for
   * again; past the limits (domain `sweepPendingCheck`) it is recorded as not completed, which
   * the card shows and which refuses Contain from the card, and the case's timeline says so.
   * The re-ask is recorded before the job is queued: a sweep that dies between them counts it,
   * so the number of asks stays bounded whatever fails.
   */
  async sweep(ask: (findingId: string) => Promise<void>, limit = PRINCIPAL_CHECK_SWEEP_LIMIT): Promise<CheckSweepResult> {
    const now = this.d.now();
    const due = await this.d.store.pendingPrincipalChecks(new Date(now.getTime() - PRINCIPAL_CHECK_GRACE_MS).toISOString(), limit);
    const result: CheckSweepResult = { asked: 0, gaveUp: 0 };
    for (const sf of due) {
      const check = sf.principalCheck;
      if (!check) continue;
      const step = sweepPendingCheck(check, now);
      if (step.kind === 'wait') continue;
      const written = await updateWithRetry({
        what: `finding ${sf.id}`,
        initial: sf,
        read: () => this.d.store.getFinding(sf.id),
        // Only if nobody answered or asked meanwhile (another process's sweep, the worker).
        mutate: (cur) =>
          cur.principalCheck?.status !== 'pending' || cur.principalCheck.target !== check.target || lastAskedAt(cur.principalCheck) !== lastAskedAt(check)
            ? undefined
            : { ...cur, principalCheck: step.check, cardDirty: cur.cardDirty || (step.kind === 'give-up' && cur.disposition === 'cased' && !!cur.cardTs) },
        write: (next) => this.d.store.updateFinding(next),
      });
      if (!written) continue;
      if (step.kind === 'give-up') {
        result.gaveUp++;
        this.d.log.error({ findingId: sf.id, caseId: sf.caseId, target: check.target, reasks: check.reasks ?? 0, requestedAt: check.requestedAt }, 'principal check could not be completed; Contain from the card stays refused');
        if (sf.caseId) await this.d.store.appendTimeline({ caseId: sf.caseId, at: now.toISOString(), kind: 'note', actor: 'cordon', text: `Finding ${sf.id}: ${principalCheckWords(step.check)}` });
        continue;
      }
      result.asked++;
      try {
        await ask(sf.id);
      } catch (err) {
        // Recorded as asked: the next sweep asks again after the grace period, within the limits.
        this.d.log.warn({ findingId: sf.id, err: errorMessage(err) }, 'principal check not queued again');
      }
    }
    return result;
  }

  private async record(findingId: string, target: string, verdict: PrincipalCheck): Promise<void> {
    await updateWithRetry({
      what: `finding ${findingId}`,
      read: () => this.d.store.getFinding(findingId),
      mutate: (cur) =>
        cur.principalCheck?.target !== target || cur.principalCheck.status !== 'pending'
          ? undefined
          : { ...cur, principalCheck: verdict, cardDirty: cur.cardDirty || (cur.disposition === 'cased' && !!cur.cardTs) },
      write: (next) => this.d.store.updateFinding(next),
    });
  }
}
