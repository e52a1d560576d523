import type { Role } from './roles';
import { isRole, ROLE_RANK } from './intents';

/** Where a user's role came from, so `/ir whoami` can explain it and audits can record it. */
export type RoleSource = { kind: 'user' } | { kind: 'group'; groupId: string } | { kind: 'default' };

/** A user's effective role and the mapping that granted it. */
export interface ResolvedRole {
  role: Role;
  source: RoleSource;
}

/** Who is asking: the Slack user and the user groups Slack says they belong to. */
export interface RoleSubject {
  userId: string;
  userGroups: readonly string[];
}

/** The part of the `access` config that maps people to roles. */
export interface RoleMapping {
  default: Role;
  users: Readonly<Record<string, Role>>;
  groups: Readonly<Record<string, Role>>;
}

/** Own, known-role value only: config records are plain objects, so `constructor` etc. must not leak in. */
function mapped(table: Readonly<Record<string, Role>>, key: string): Role | undefined {
  if (!Object.hasOwn(table, key)) return undefined;
  const value = table[key];
  return isRole(value) ? value : undefined;
}

/**
 * The highest role among the user's explicit mapping, any group they are in,
 * and the default. Mappings only ever raise a role: being in a viewer group
 * does not demote a user the config names as commander.
 *
 * Ties prefer the user mapping, then the first matching group in config order
 * (not Slack's membership order, which is not stable), then the default, so
 * `/ir whoami` names the most specific reason.
 */
export function resolveRole(input: RoleSubject, access: RoleMapping): ResolvedRole {
  const memberOf = new Set(input.userGroups);
  const candidates: { role: Role | undefined; source: RoleSource }[] = [
    { role: mapped(access.users, input.userId), source: { kind: 'user' } },
    ...Object.keys(access.groups)
      .filter((groupId) => memberOf.has(groupId))
      .map((groupId) => ({ role: mapped(access.groups, groupId), source: { kind: 'group', groupId } as const })),
    // A corrupt default falls back to the least role rather than failing open.
    { role: isRole(access.default) ? access.default : 'viewer', source: { kind: 'default' } },
  ];

  let best: ResolvedRole = { role: 'viewer', source: { kind: 'default' } };
  let bestRank = -1;
  for (const { role, source } of candidates) {
    // Strictly greater, so the earlier (more specific) candidate keeps a tie.
    if (role !== undefined && ROLE_RANK[role] > bestRank) {
      best = { role, source };
      bestRank = ROLE_RANK[role];
    }
  }
  return best;
}
