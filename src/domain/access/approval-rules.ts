import type { ResourceKind } from '../actions/resource-kind';

export type { ResourceKind } from '../actions/resource-kind';

/** What an approval rule can hold for a second commander. */
export const APPROVAL_INTENTS = ['contain', 'revert'] as const;
export type ApprovalIntent = (typeof APPROVAL_INTENTS)[number];

/** One `access.approvals` entry: containment (or its revert) matching it waits for a second commander's approval. */
export interface ApprovalRule {
  name: string;
  accounts?: readonly string[];
  environments?: readonly string[];
  kinds?: readonly ResourceKind[];
  /** Omitted: both (the config's default), so a two-person containment is not undone by one. */
  intents?: readonly ApprovalIntent[];
}

/** What a containment request acts on, as far as approval rules care. */
export interface ApprovalTarget {
  accountId: string;
  environment: string;
  kind: ResourceKind;
}

/**
 * An empty list counts as omitted (matches all), as in suppression rules: if a
 * config says `accounts: []`, requiring approval is the safe reading of the mistake.
 */
function dimensionMatches<T extends string>(listed: readonly T[] | undefined, value: T): boolean {
  return !listed || listed.length === 0 || listed.includes(value);
}

/**
 * The first rule, in config order, whose every listed dimension includes the
 * target's value. First match wins so the rule name shown on the plan is predictable.
 */
export function approvalRuleFor(target: ApprovalTarget, rules: readonly ApprovalRule[], intent: ApprovalIntent = 'contain'): ApprovalRule | undefined {
  return rules.find(
    (rule) =>
      (!rule.intents || rule.intents.includes(intent)) &&
      dimensionMatches(rule.accounts, target.accountId) &&
      dimensionMatches(rule.environments, target.environment) &&
      dimensionMatches(rule.kinds, target.kind),
  );
}

/** When a pending approval requested at `requestedAt` lapses (`ttlMs` is `access.approvalTtl`). */
export function approvalExpiresAt(requestedAt: Date, ttlMs: number): Date {
  return new Date(requestedAt.getTime() + ttlMs);
}

/**
 * Whether an approval with this ISO expiry has lapsed. The expiry instant itself
 * counts as expired (as the action service does); an unreadable time counts as
 * expired too, so a corrupt record cannot be approved forever.
 */
export function isExpired(expiresAt: string, now: Date): boolean {
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) return true;
  return now.getTime() >= at;
}
