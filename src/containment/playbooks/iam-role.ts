import { GetRoleCommand, ListAttachedRolePoliciesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import type { PlanStep } from '../../domain/actions/action';
import { CordonError, ErrorCode } from '../../errors';
import { awsErrorName, param, type Playbook } from '../playbook';
import { applyDenyAll, denyAllArn, denyAllStep, revertDenyAll } from './iam-deny';

export const REVOKE_SESSIONS_POLICY = 'cordon-revoke-sessions';

/** Denies every session issued before `before`: stolen role credentials stop working, new ones are unaffected. */
export function revokeSessionsDocument(before: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'CordonRevokeOlderSessions', Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': before } } }],
  });
}

/** Reads a role and its attached policies; a missing role is a clear error. */
export async function readRole(iam: import('@aws-sdk/client-iam').IAMClient, roleName: string, accountId: string): Promise<string[]> {
  try {
    await iam.send(new GetRoleCommand({ RoleName: roleName }));
  } catch (err) {
    if (awsErrorName(err) === 'NoSuchEntityException') throw new CordonError(ErrorCode.AWS_FAILED, `IAM role ${roleName} does not exist in account ${accountId}`);
    throw err;
  }
  const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, MaxItems: 100 }));
  return (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? '');
}

/** IAM role: revoke issued sessions (kept on revert), attach AWSDenyAll (detached on revert). */
export const iamRolePlaybook: Playbook = {
  async prepare(ctx) {
    const name = ctx.target.id;
    const attached = await readRole(ctx.clients.iam(), name, ctx.target.accountId);
    const before = ctx.now.toISOString();
    const plan: PlanStep[] = [
      {
        id: `revoke-sessions:role/${name}`,
        stage: 1,
        op: 'iam.role-revoke-sessions',
        description: `Put inline policy ${REVOKE_SESSIONS_POLICY} on role ${name}: deny every session issued before ${before}`,
        params: { name, before },
        revertible: false,
      },
    ];
    const notes = ['Revert detaches AWSDenyAll but keeps the session revocation: stolen sessions must not come back.'];
    if (attached.includes(denyAllArn(ctx.target.partition))) notes.push(`AWSDenyAll is already attached to ${name}; left as it is`);
    else plan.push(denyAllStep('role', name, ctx.target.partition, attached.length, 1));
    return { prior: { roleName: name, attachedPolicies: attached }, plan, notes };
  },
  async apply(step, ctx) {
    const iam = ctx.clients.iam();
    if (step.op === 'iam.role-revoke-sessions') {
      await iam.send(
        new PutRolePolicyCommand({ RoleName: param(step, 'name'), PolicyName: REVOKE_SESSIONS_POLICY, PolicyDocument: revokeSessionsDocument(param(step, 'before')) }),
      );
      return undefined;
    }
    if (step.op === 'iam.role-deny-all') return applyDenyAll(iam, 'role', step);
    throw new Error(`iam-role cannot apply ${step.op}`);
  },
  async revert(step, record, ctx) {
    if (step.op === 'iam.role-deny-all') return revertDenyAll(ctx.clients.iam(), 'role', step, record);
    throw new Error(`iam-role cannot revert ${step.op}`);
  },
};
