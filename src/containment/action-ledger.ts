import { transitionAction, type Action } from '../domain/actions/action';
import { CordonError, ErrorCode } from '../errors';
import { updateWithRetry } from '../store/compare-and-set';
import type { Store } from '../store/store';

/** Throws ACCOUNT.NOT_ALLOWED for an account outside Cordon's allowlist (the config's accounts). */
export function assertAccountAllowed(allowedAccounts: readonly string[], accountId: string): void {
  if (!allowedAccounts.includes(accountId)) {
    throw new CordonError(
      ErrorCode.ACCOUNT_NOT_ALLOWED,
      `account ${accountId} is not in Cordon's allowlist (accounts in the config); Cordon acts only in listed accounts`,
      { accountId },
    );
  }
}

/**
 * The part of containment that touches only the store: the allowlist check and the
 * compare-and-set of an action's status. Listeners (the `slack` function) need no more
 * than this, so they never load the AWS side (playbooks and SDK clients), which runs
 * only where jobs run.
 */
export class ActionLedger {
  constructor(
    private readonly store: Store,
    private readonly allowedAccounts: readonly string[],
    private readonly now: () => Date,
  ) {}

  /** Allowlist check alone (no AWS call), for listeners that must answer at once. */
  assertAllowed(accountId: string): void {
    assertAccountAllowed(this.allowedAccounts, accountId);
  }

  /**
   * Compare-and-set a transition; undefined when the action is not in one of `from` (someone
   * else moved it); STORE.CONFLICT when it kept changing.
   */
  async transition(id: string, from: Action['status'][], patch: Partial<Action>): Promise<Action | undefined> {
    return updateWithRetry({
      what: `action ${id}`,
      read: async () => {
        const a = await this.store.getAction(id);
        if (!a) throw new CordonError(ErrorCode.INPUT_INVALID, `no action ${id}`);
        return a;
      },
      mutate: (a) => transitionAction(a, from, patch, this.now().toISOString()),
      write: (next) => this.store.updateAction(next),
    });
  }
}
