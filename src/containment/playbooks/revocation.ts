import { PutRolePolicyCommand, PutUserPolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import type { Json, PlanStep } from '../../domain/actions/action';
import { param, type StepContext } from '../playbook';

/**
 * Revocation of credentials issued before containment: an inline deny on
 * `aws:TokenIssueTime` earlier than the moment the step runs (apply, not plan: sessions
 * issued while a plan waited for approval are stolen just the same). Revert keeps it, so
 * nothing an attacker already holds comes back; credentials issued after it are unaffected,
 * and long-term keys carry no `aws:TokenIssueTime`, so the condition never matches them.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html
 */
export const REVOKE_SESSIONS_POLICY = 'cordon-revoke-sessions';

/** Per-instance name in plans stored before one policy per instance (`iam.instance-cordon`) replaced it. */
export function instanceRevokePolicy(instanceId: string): string {
  return `cordon-revoke-${instanceId}`;
}

/**
 * The one inline policy a contained instance puts on its (often shared) instance-profile
 * role: deny all to its sessions while contained, swapped on Revert for the revocation of
 * the sessions it got before apply. One per instance, not two: a role's inline policies
 * share one size quota (10,240 characters without whitespace,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html), which a
 * fleet role with two per instance ran out of at about 20 instances.
 */
export function instanceCordonPolicy(instanceId: string): string {
  return `cordon-instance-${instanceId}`;
}

/** Denies every request made with credentials issued before `before`; for an instance, only its own sessions. */
export function revokeDocument(before: string, instanceArn?: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'CordonRevokeOlderSessions',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': before }, ...(instanceArn ? { StringEquals: { 'ec2:SourceInstanceARN': instanceArn } } : {}) },
      },
    ],
  });
}

type Holder = 'user' | 'role';

/** The plan step; kept on revert. `what` says whose credentials, for the plan. */
export function revokeStep(holder: Holder, name: string, what: string, opts: { stage?: number; essential?: boolean; instanceArn?: string; instanceId?: string } = {}): PlanStep {
  const policyName = opts.instanceId ? instanceRevokePolicy(opts.instanceId) : REVOKE_SESSIONS_POLICY;
  return {
    id: `revoke-sessions:${holder}/${name}${opts.instanceId ? `/${opts.instanceId}` : ''}`,
    stage: opts.stage ?? 1,
    op: 'iam.revoke-sessions',
    description: `Put inline policy ${policyName} on ${holder} ${name}: deny ${what} issued before the moment this step runs (kept on revert)`,
    params: { holder, name, policyName, instanceArn: opts.instanceArn ?? null },
    revertible: false,
    ...(opts.essential === false ? { essential: false } : {}),
  };
}

/** Puts the deny with the time of apply, and records that time. */
export async function applyRevoke(iam: IAMClient, step: PlanStep, ctx: Pick<StepContext, 'now'>): Promise<{ [key: string]: Json }> {
  const before = ctx.now().toISOString();
  const instanceArn = typeof step.params.instanceArn === 'string' ? step.params.instanceArn : undefined;
  const doc = revokeDocument(before, instanceArn);
  const name = param(step, 'name');
  const PolicyName = param(step, 'policyName');
  if (param(step, 'holder') === 'user') await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName, PolicyDocument: doc }));
  else await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName, PolicyDocument: doc }));
  return { before };
}
