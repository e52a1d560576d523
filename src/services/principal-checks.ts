import { judgePrincipal, uncheckedPrincipal, type PrincipalCheck } from '../domain/findings/principal-check';
import { errorMessage, failureWords, isCordonError } from '../errors';
import type { Logger } from '../log';
import { updateWithRetry } from '../store/compare-and-set';
import type { Store } from '../store/store';

/** Reads the UserId / RoleId IAM holds under an IAM user or role ARN; undefined when there is none. */
export type PrincipalReader = (target: string, who: { actionId: string; requestedBy: string }) => Promise<string | undefined>;

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

  /** Records that the check could not even be asked for (no worker, the queue refused): nothing is offered. */
  async couldNotAsk(findingId: string, reason: string): Promise<void> {
    const sf = await this.d.store.getFinding(findingId);
    const check = sf?.principalCheck;
    if (!check || check.status !== 'pending') return;
    await this.record(findingId, check.target, uncheckedPrincipal(check, reason, this.d.now().toISOString()));
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
