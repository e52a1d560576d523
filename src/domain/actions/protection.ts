/**
 * Principals Cordon refuses to change (issue 15, points 12 and 13). Pure: the playbooks
 * read the role or user, these rules decide.
 */

/** IAM paths of roles AWS lets no one change through IAM, with the tool that does. */
const AWS_MANAGED_PATHS: { prefix: string; rule: string; pointer: string }[] = [
  {
    prefix: '/aws-reserved/sso.amazonaws.com/',
    rule: 'identity-center-role',
    pointer:
      'it is an IAM Identity Center role (from a permission set): IAM refuses changes to it. Revoke the person\'s active sessions and remove the permission set assignment in IAM Identity Center instead (https://docs.aws.amazon.com/singlesignon/latest/userguide/useraccess.html#revoke-user-permissions, https://docs.aws.amazon.com/singlesignon/latest/userguide/using-service-linked-roles.html)',
  },
  {
    prefix: '/aws-service-role/',
    rule: 'service-linked-role',
    pointer:
      'it is a service-linked role: only the AWS service that owns it can change it. Contain the resource or the principal that uses the service instead (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html)',
  },
];

/** Why a role with this path cannot be changed by anyone, or undefined. */
export function awsManagedRole(path: string | undefined): { rule: string; reason: string } | undefined {
  const hit = AWS_MANAGED_PATHS.find((p) => (path ?? '/').startsWith(p.prefix));
  return hit ? { rule: hit.rule, reason: hit.pointer } : undefined;
}

/** The tag that marks a user or role Cordon must never change, whatever its value. */
export const PROTECTED_TAG = 'cordon:protected';

/**
 * Role names protected whatever the config says: the role AWS Organizations creates for
 * administrators, and Cordon's own function roles (serverless.yml names them
 * `cordon-<stage>-<region>-<function>`). The containment role is added from the config.
 */
export const BUILT_IN_PROTECTED = ['OrganizationAccountAccessRole', 'cordon-*-slack', 'cordon-*-findings', 'cordon-*-worker', 'cordon-*-ticker'];

/** A user or role as IAM describes it. */
export interface PrincipalFacts {
  kind: 'user' | 'role';
  name: string;
  arn: string;
  tags: { Key?: string | undefined; Value?: string | undefined }[];
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

/**
 * The protection rule a principal falls under, or undefined. `patterns` are names or ARNs,
 * `*` matching anything; a name matches users and roles alike. An ARN pattern is matched as
 * written, partition included: the config refuses one whose partition is not Cordon's
 * (src/config/load-config.ts), which would otherwise protect nothing.
 */
export function protectionRule(p: PrincipalFacts, patterns: readonly string[]): string | undefined {
  if (p.tags.some((t) => t.Key === PROTECTED_TAG)) return `tag ${PROTECTED_TAG}`;
  const hit = patterns.find((pat) => (pat.startsWith('arn:') ? globMatch(pat, p.arn) : globMatch(pat, p.name)));
  return hit ? `protected principal "${hit}"` : undefined;
}
