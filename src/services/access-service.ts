import type { Role } from '../domain/access/roles';
import { auditRecord, decide, isIntent, resolveRole, toAccessError, type ResolvedRole, type RoleMapping } from '../domain/access';
import { CordonError, ErrorCode } from '../errors';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import type { Authorizer, Requester } from './action-service';

/** Port: the members of a user group (the Slack adapter asks `usergroups.users.list`). */
export interface GroupDirectory {
  members(groupId: string): Promise<string[]>;
}

/**
 * Roles from the config's user ids and Slack user groups (members fetched with
 * `usergroups.users.list`, cached for `groupCacheTtl`), decisions from the docs/architecture.md §6
 * table, and every decision, allowed or denied, in the audit trail.
 */
export class AccessService implements Authorizer {
  private readonly groupCache = new Map<string, { users: Set<string>; at: number }>();

  constructor(
    private readonly groups: GroupDirectory,
    private readonly store: Store,
    private readonly log: Logger,
    private readonly opts: { access: RoleMapping; groupCacheTtlMs: number; teamId: string; now: () => Date },
  ) {}

  private async groupsOf(userId: string): Promise<string[]> {
    const now = this.opts.now().getTime();
    const out: string[] = [];
    for (const groupId of Object.keys(this.opts.access.groups)) {
      let hit = this.groupCache.get(groupId);
      if (!hit || now - hit.at > this.opts.groupCacheTtlMs) {
        try {
          hit = { users: new Set(await this.groups.members(groupId)), at: now };
          this.groupCache.set(groupId, hit);
        } catch (err) {
          // A group Slack cannot list grants nothing; the user still has their other roles.
          this.log.warn({ groupId, err: (err as Error).message }, 'cannot list user group members');
          continue;
        }
      }
      if (hit.users.has(userId)) out.push(groupId);
    }
    return out;
  }

  async roleOf(userId: string): Promise<ResolvedRole> {
    return resolveRole({ userId, userGroups: await this.groupsOf(userId) }, this.opts.access);
  }

  async authorize(who: Requester, intent: string, context: { caseId?: string; actionId?: string; requesterId?: string; target?: string } = {}): Promise<void> {
    if (!isIntent(intent)) throw new CordonError(ErrorCode.INPUT_INVALID, `unknown intent ${intent}`);
    const resolved = await this.roleOf(who.userId);
    const request = {
      intent,
      userId: who.userId,
      teamId: who.teamId,
      expectedTeamId: this.opts.teamId,
      role: resolved.role,
      source: resolved.source,
      ...(context.requesterId ? { requesterId: context.requesterId } : {}),
      ...(context.target ? { target: context.target } : {}),
    };
    const decision = decide(request);
    const record = auditRecord(request, decision, this.opts.now());
    await this.store.appendAudit({
      at: record.at,
      actor: who.userId,
      event: `access.${intent}`,
      allowed: decision.allowed,
      ...(context.caseId ? { caseId: context.caseId } : {}),
      ...(context.actionId ? { actionId: context.actionId } : {}),
      detail: { ...record },
    });
    if (!decision.allowed) {
      this.log.info({ userId: who.userId, intent, code: decision.code, caseId: context.caseId, actionId: context.actionId }, 'access denied');
      throw toAccessError(decision);
    }
  }

  /** `/ir whoami`: checked and audited like every request, then the role and where it came from. */
  async whoami(who: Requester): Promise<string> {
    await this.authorize(who, 'whoami');
    return this.describe(who.userId);
  }

  /** The role of a user and where it came from, in words. */
  async describe(userId: string): Promise<string> {
    const { role, source } = await this.roleOf(userId);
    const from =
      source.kind === 'user' ? 'your Slack user id in the config (access.users)' : source.kind === 'group' ? `the user group <!subteam^${source.groupId}> (access.groups)` : 'the default for everyone not listed (access.default)';
    return `You are a *${role}* in Cordon, from ${from}.\n${ROLE_CAN[role]}`;
  }
}

const ROLE_CAN: Record<Role, string> = {
  viewer: 'You can see status, timelines and reports.',
  responder: 'You can request containment (and dry runs), escalate, acknowledge and add notes.',
  commander: 'You can approve and reject plans, revert actions, resolve and close cases, and manage suppressions.',
  admin: 'You can do everything a commander can.',
};
