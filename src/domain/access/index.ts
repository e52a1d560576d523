export { ROLES, type Role } from './roles';
export { INTENTS, REQUIRED_ROLE, ROLE_RANK, isIntent, isRole, roleAtLeast, type Intent } from './intents';
export { resolveRole, type ResolvedRole, type RoleMapping, type RoleSource, type RoleSubject } from './role-resolver';
export {
  AccessErrorCode,
  auditRecord,
  decide,
  toAccessError,
  type AccessAuditRecord,
  type AccessDecision,
  type AccessDenial,
  type AccessErrorCodeValue,
  type AccessGrant,
  type AccessRequest,
} from './decide';
export { APPROVAL_INTENTS, approvalExpiresAt, approvalRuleFor, isExpired, type ApprovalIntent, type ApprovalRule, type ApprovalTarget, type ResourceKind } from './approval-rules';
