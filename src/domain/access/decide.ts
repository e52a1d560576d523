import type { Role } from './roles';
import { CordonError, ErrorCode } from '../../errors';
import { REQUIRED_ROLE, roleAtLeast, type Intent } from './intents';
import type { RoleSource } from './role-resolver';

/**
 * Codes of access refusals. The two new codes live here because `src/errors.ts`
 * is owned elsewhere; they should move into `ErrorCode` when it is next edited.
 */
export const AccessErrorCode = {
  DENIED: ErrorCode.ACCESS_DENIED,
  WRONG_WORKSPACE: 'ACCESS.WRONG_WORKSPACE',
  SELF_APPROVAL: 'ACCESS.SELF_APPROVAL',
} as const;

/** One of the {@link AccessErrorCode} values. */
export type AccessErrorCodeValue = (typeof AccessErrorCode)[keyof typeof AccessErrorCode];

/**
 * Everything `decide` needs, already established by the caller: who Slack says
 * is asking (user and team), which team this Cordon serves, and the resolved role.
 */
export interface AccessRequest {
  intent: Intent;
  userId: string;
  /** Team id from the signed Slack payload. */
  teamId: string;
  /** `workspace.teamId` from the config. */
  expectedTeamId: string;
  role: Role;
  source: RoleSource;
  /** approve / reject: the user who requested the action, from the stored record (never the payload). */
  requesterId?: string;
  /** What the intent is about (case id, action id, ARN), for the audit trail only. */
  target?: string;
}

/** The request may go ahead. */
export interface AccessGrant {
  allowed: true;
  intent: Intent;
  role: Role;
  source: RoleSource;
  needed: Role;
}

/** The request is refused; `reason` is written for the person who asked. */
export interface AccessDenial {
  allowed: false;
  code: AccessErrorCodeValue;
  reason: string;
  intent: Intent;
  role: Role;
  needed: Role;
}

/** Outcome of one access check. */
export type AccessDecision = AccessGrant | AccessDenial;

const ARTICLE: Record<Role, string> = { viewer: 'a', responder: 'a', commander: 'a', admin: 'an' };

function neededPhrase(needed: Role): string {
  return needed === 'admin' ? 'admin' : `${needed} or above`;
}

/**
 * Decides one request against docs/architecture.md §6. The order matters: a foreign workspace is
 * refused before its role is even considered (its user ids mean nothing here),
 * then the role table, then the four-eyes rule, which binds admins too so no
 * single person can both ask for and sign off a containment.
 */
export function decide(request: AccessRequest): AccessDecision {
  const { intent, role } = request;
  const needed: Role = REQUIRED_ROLE[intent] ?? 'admin';
  const deny = (code: AccessErrorCodeValue, reason: string): AccessDenial => ({ allowed: false, code, reason, intent, role, needed });

  if (!request.teamId || request.teamId !== request.expectedTeamId) {
    return deny(AccessErrorCode.WRONG_WORKSPACE, 'This Cordon serves a different Slack workspace; requests from yours are refused.');
  }
  if (!roleAtLeast(role, needed)) {
    return deny(AccessErrorCode.DENIED, `You are ${ARTICLE[role] ?? 'a'} ${role}; \`${intent}\` needs ${neededPhrase(needed)}.`);
  }
  if (intent === 'approve') {
    // Without the stored requester the four-eyes rule cannot be checked, so refuse.
    if (!request.requesterId) {
      return deny(AccessErrorCode.DENIED, 'Cordon cannot tell who requested this action, so it cannot be approved; request it again.');
    }
    if (request.requesterId === request.userId) {
      return deny(AccessErrorCode.SELF_APPROVAL, 'You requested this action; another commander must approve it.');
    }
  }
  return { allowed: true, intent, role, source: request.source, needed };
}

/** The error a service throws for a refusal; `details` carries what runbooks and tests key on. */
export function toAccessError(decision: AccessDenial): CordonError {
  return new CordonError(decision.code, decision.reason, { intent: decision.intent, role: decision.role, needed: decision.needed });
}

/** One audit-trail entry: plain JSON so every store (SQLite, DynamoDB, log line) keeps it as is. */
export interface AccessAuditRecord {
  /** ISO 8601 time of the decision. */
  at: string;
  userId: string;
  teamId: string;
  intent: Intent;
  role: Role;
  roleSource: RoleSource;
  allowed: boolean;
  code?: AccessErrorCodeValue;
  reason?: string;
  target?: string;
  requesterId?: string;
}

/**
 * Builds the audit entry for a decision, allowed or denied (docs/architecture.md §6). Absent
 * fields are left out rather than set to `undefined`, so the entry survives a
 * JSON round trip unchanged.
 */
export function auditRecord(request: AccessRequest, decision: AccessDecision, at: Date): AccessAuditRecord {
  const roleSource: RoleSource = request.source.kind === 'group' ? { kind: 'group', groupId: request.source.groupId } : { kind: request.source.kind };
  return {
    at: at.toISOString(),
    userId: request.userId,
    teamId: request.teamId,
    intent: request.intent,
    role: request.role,
    roleSource,
    allowed: decision.allowed,
    ...(decision.allowed ? {} : { code: decision.code, reason: decision.reason }),
    ...(request.target !== undefined ? { target: request.target } : {}),
    ...(request.requesterId !== undefined ? { requesterId: request.requesterId } : {}),
  };
}
