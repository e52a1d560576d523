import type { Role } from './roles';

/**
 * Everything a person can ask Cordon to do, grouped by the least role that may
 * do it (docs/architecture.md §6). Slash commands and buttons map onto these names so one
 * table governs both entry points.
 */
export const INTENTS = [
  'status',
  'timeline',
  'report',
  'whoami',
  'stats',
  'contain',
  'escalate',
  'ack',
  'note',
  'invite-owner',
  'dry-run',
  'approve',
  'reject',
  'revert',
  'resolve',
  'close',
  'suppress',
  'unsuppress',
  'merge',
  'split',
] as const;

/** One thing a user asks for; the unit access decisions are made on. */
export type Intent = (typeof INTENTS)[number];

/**
 * The docs/architecture.md §6 decision table as data. Frozen because a table that code can
 * widen at run time is not an access policy.
 */
export const REQUIRED_ROLE: Readonly<Record<Intent, Role>> = Object.freeze({
  status: 'viewer',
  timeline: 'viewer',
  report: 'viewer',
  whoami: 'viewer',
  stats: 'viewer',
  contain: 'responder',
  escalate: 'responder',
  ack: 'responder',
  note: 'responder',
  // A person brought into a private case channel: a responder's call, never a tag's.
  'invite-owner': 'responder',
  'dry-run': 'responder',
  approve: 'commander',
  reject: 'commander',
  revert: 'commander',
  resolve: 'commander',
  close: 'commander',
  suppress: 'commander',
  unsuppress: 'commander',
  merge: 'commander',
  split: 'commander',
});

/** Roles in increasing order of power; the numbers only matter relative to each other. */
export const ROLE_RANK: Readonly<Record<Role, number>> = Object.freeze({
  viewer: 0,
  responder: 1,
  commander: 2,
  admin: 3,
});

/**
 * Whether a string names a known role. Checked with `hasOwn` so inherited keys
 * such as `constructor` can never pass for a role.
 */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && Object.hasOwn(ROLE_RANK, value);
}

/** Whether a string names a known intent (payloads and command text are untrusted). */
export function isIntent(value: unknown): value is Intent {
  return typeof value === 'string' && Object.hasOwn(REQUIRED_ROLE, value);
}

/** True when `role` is `needed` or ranks above it. An unknown role is never enough. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  if (!isRole(role) || !isRole(needed)) return false;
  return ROLE_RANK[role] >= ROLE_RANK[needed];
}
