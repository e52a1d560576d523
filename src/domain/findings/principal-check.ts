import { containableTarget } from '../actions/target';
import type { Finding } from './finding';

/**
 * Whether the IAM user or role a finding names is still the principal the finding saw
 * (issue 15, point 14). A finding names a user or role by name; a name can be deleted and
 * given to a new user or role, which gets a new unique id ("If you delete a user and create
 * a new one with the same name, the new user has a different unique ID",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids).
 * GuardDuty's `accessKeyDetails.principalId` is that unique id: the `UserId` (`AIDA…`) of an
 * IAM user, `<RoleId>:<session name>` (`AROA…:…`) for an assumed-role session
 * (https://docs.aws.amazon.com/guardduty/latest/APIReference/API_AccessKeyDetails.html).
 * Cordon compares it with what IAM holds now before the Contain button offers the principal,
 * and never guesses: a mismatch is shown, a check that could not run offers nothing.
 */
export interface PrincipalCheck {
  /** The ARN the Contain button would act on. */
  target: string;
  kind: 'iam-user' | 'iam-role';
  /** The user or role name (the finding's, attacker-side text). */
  name: string;
  /** The finding's `principalId`, absent when the finding gives none. */
  principalId?: string;
  /**
   * `pending`: asked of the worker, no answer yet; `verified`: the unique id matches;
   * `mismatch`: IAM holds another principal under the name (or none); `unchecked`: the check
   * could not run, or never completed however often it was asked for ({@link sweepPendingCheck};
   * `reason` says why).
   */
  status: 'pending' | 'verified' | 'mismatch' | 'unchecked';
  /** The `UserId` / `RoleId` IAM answered; absent when the name is gone. */
  foundId?: string;
  reason?: string;
  checkedAt?: string;
  /** When the check was first asked of the worker (the finding stored with it pending). */
  requestedAt?: string;
  /** When the sweep last asked again (absent until it has). */
  reaskedAt?: string;
  /** How many times the sweep asked again. */
  reasks?: number;
}

/**
 * A pending check not answered this long after it was (last) asked for is asked for again by
 * the clock's sweep: the request may have been lost (the process died between storing the
 * finding and queueing the job, the queue refused, the job was dropped). A check runs in
 * seconds; two minutes leaves a busy worker room without leaving a card "checking…" for long.
 */
export const PRINCIPAL_CHECK_GRACE_MS = 2 * 60_000;
/** Asked again at most this many times; after that, the check is recorded as not completed. */
export const PRINCIPAL_CHECK_MAX_REASKS = 3;
/** A check pending this long after it was first asked for is recorded as not completed, however often it was asked. */
export const PRINCIPAL_CHECK_GIVE_UP_MS = 30 * 60_000;
/** How the verdict of a check that never completed begins (the card and a refusal show it). */
export const CHECK_NOT_COMPLETED = 'the check could not be completed';

/**
 * When a pending check was last asked for: the sweep's last re-ask, else the first request;
 * `''` (due at once) when it was never asked for: stored before requests were recorded, or
 * stored outside a case and cased since. The stores index pending checks on it. Pure.
 */
export function lastAskedAt(check: PrincipalCheck): string {
  return check.reaskedAt ?? check.requestedAt ?? '';
}

/**
 * What the sweep does with a check still pending at `now`: wait (asked within the grace
 * period), ask (again; the returned check records it), or give up with an `unchecked` verdict
 * that says the check could not be completed, so the card stops saying "checking…" and
 * Contain stays refused from the card, as for any check that could not confirm the
 * principal. Pure.
 */
export function sweepPendingCheck(check: PrincipalCheck, now: Date): { kind: 'wait' } | { kind: 'ask'; check: PrincipalCheck } | { kind: 'give-up'; check: PrincipalCheck } {
  if (check.status !== 'pending') return { kind: 'wait' };
  const at = now.toISOString();
  // Never asked for: this is the first request, not a re-ask, and the limits count from now.
  if (!check.requestedAt) return { kind: 'ask', check: { ...check, requestedAt: at } };
  if (Date.parse(lastAskedAt(check)) + PRINCIPAL_CHECK_GRACE_MS > now.getTime()) return { kind: 'wait' };
  const reasks = check.reasks ?? 0;
  const waited = now.getTime() - Date.parse(check.requestedAt);
  if (reasks >= PRINCIPAL_CHECK_MAX_REASKS || waited >= PRINCIPAL_CHECK_GIVE_UP_MS) {
    const minutes = Math.max(1, Math.round(waited / 60_000));
    const asked = reasks + 1;
    const why = `${CHECK_NOT_COMPLETED}: asked of the worker ${asked} time${asked === 1 ? '' : 's'} over ${minutes} minute${minutes === 1 ? '' : 's'}, no answer`;
    return { kind: 'give-up', check: uncheckedPrincipal(check, why, at) };
  }
  return { kind: 'ask', check: { ...check, reaskedAt: at, reasks: reasks + 1 } };
}

/** The unique id a principalId names: all of it for a user, the RoleId before `:` for a role session. */
export function uniqueIdOf(principalId: string): string {
  const i = principalId.indexOf(':');
  return i < 0 ? principalId : principalId.slice(0, i);
}

/**
 * The check a new finding needs: when its Contain target is an IAM user or role (named by
 * its access key details), pending if it gives a principalId, else unchecked. Pure.
 */
export function principalCheckFor(f: Finding): PrincipalCheck | undefined {
  const target = containableTarget(f.resources);
  const r = target ? f.resources.find((x) => x.arn === target) : undefined;
  if (!target || !r || (r.kind !== 'iam-user' && r.kind !== 'iam-role')) return undefined;
  const base = { target, kind: r.kind, name: r.id } as const;
  const principalId = f.actor.principalId?.trim();
  if (!principalId) return { ...base, status: 'unchecked', reason: 'the finding gives no principalId to compare with' };
  return { ...base, principalId, status: 'pending' };
}

/** The verdict once IAM answered: `foundId` is the UserId / RoleId, undefined when no such principal exists. Pure. */
export function judgePrincipal(check: PrincipalCheck, foundId: string | undefined, at: string): PrincipalCheck {
  const { reason: _r, foundId: _f, ...rest } = check;
  if (!check.principalId) return { ...rest, status: 'unchecked', reason: 'the finding gives no principalId to compare with', checkedAt: at };
  if (foundId === undefined) return { ...rest, status: 'mismatch', reason: `no ${check.kind === 'iam-user' ? 'user' : 'role'} of that name exists now`, checkedAt: at };
  return { ...rest, foundId, status: uniqueIdOf(check.principalId) === foundId ? 'verified' : 'mismatch', checkedAt: at };
}

/** The verdict when the check could not run. Pure. */
export function uncheckedPrincipal(check: PrincipalCheck, reason: string, at: string): PrincipalCheck {
  const { foundId: _f, ...rest } = check;
  return { ...rest, status: 'unchecked', reason, checkedAt: at };
}

/**
 * What the card and a refusal say about a check, in plain words (the name and ids are the
 * finding's, attacker-side text: escape before rendering as mrkdwn). Pure.
 */
export function principalCheckWords(c: PrincipalCheck): string {
  const what = `IAM ${c.kind === 'iam-user' ? 'user' : 'role'} ${c.name}`;
  const idName = c.kind === 'iam-user' ? 'UserId' : 'RoleId';
  switch (c.status) {
    case 'pending':
      return `Checking that ${what} is the principal the finding saw (its ${idName} against the finding's principalId ${c.principalId ?? ''})…`;
    case 'verified':
      return `${what} is the principal the finding saw: its ${idName} ${c.foundId ?? ''} matches the finding's principalId.`;
    case 'mismatch':
      return c.foundId
        ? `${what} is NOT the principal the finding saw: the finding's principalId is ${c.principalId ?? ''}, but the ${idName} under that name is now ${c.foundId} (deleted and created again?). Cordon will not contain it from this finding.`
        : `${what} is NOT the principal the finding saw: ${c.reason ?? 'IAM holds none under that name'} (the finding's principalId is ${c.principalId ?? ''}). Cordon will not contain it from this finding.`;
    case 'unchecked':
      return `Could not confirm that ${what} is the principal the finding saw: ${c.reason ?? 'the check did not run'}. Check it yourself, then use /ir contain ${c.target}.`;
  }
}
