import { GetRoleCommand, ListAttachedRolePoliciesCommand, type IAMClient } from '@aws-sdk/client-iam';
import type { PlanStep } from '../../domain/actions/action';
import { CordonError, ErrorCode } from '../../errors';
import { awsErrorName, principalRefusal, type Playbook } from '../playbook';
import { applyDenyAll, denyAllArn, denyAllStep, revertDenyAll } from './iam-deny';
import { applyRevoke, revokeStep, REVOKE_SESSIONS_POLICY } from './revocation';

export { REVOKE_SESSIONS_POLICY };

/** A role as the plan needs it. */
export interface RoleFacts {
  name: string;
  arn: string;
  path: string;
  tags: { Key?: string | undefined; Value?: string | undefined }[];
  attached: string[];
}

/** Reads a role and its attached policies; a missing role is a clear error. */
export async function readRole(iam: IAMClient, roleName: string, accountId: string): Promise<RoleFacts> {
  let role;
  try {
    role = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
  } catch (err) {
    if (awsErrorName(err) === 'NoSuchEntityException') throw new CordonError(ErrorCode.AWS_FAILED, `IAM role ${roleName} does not exist in account ${accountId}`);
    throw err;
  }
  const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, MaxItems: 100 }));
  return {
    name: roleName,
    arn: role?.Arn ?? '',
    path: role?.Path ?? '/',
    tags: role?.Tags ?? [],
    attached: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? ''),
  };
}

/**
 * IAM role: revoke the sessions issued before apply (kept on revert), attach AWSDenyAll
 * (detached on revert). Roles AWS lets no one change and protected roles are refused here,
 * before anything changes.
 */
export const iamRolePlaybook: Playbook = {
  services: ['iam'],
  async prepare(ctx) {
    const name = ctx.target.id;
    const role = await readRole(ctx.clients.iam(), name, ctx.target.accountId);
    const refusal = principalRefusal(ctx.settings, { kind: 'role', ...role });
    if (refusal) throw refusal;
    const plan: PlanStep[] = [revokeStep('role', name, 'every session of this role')];
    const notes = [
      `Revert detaches AWSDenyAll but keeps ${REVOKE_SESSIONS_POLICY}: sessions of ${name} issued before the moment of apply stay blocked after Revert (stolen sessions must not come back); sessions issued after Revert work.`,
    ];
    const denyAll = denyAllStep('role', name, ctx.target.partition, role.attached.length, 1);
    if (role.attached.includes(denyAllArn(ctx.target.partition)) && !ctx.heldByCordon?.has(denyAll.id)) notes.push(`AWSDenyAll is already attached to ${name}; left as it is`);
    else plan.push(denyAll);
    return { prior: { roleName: name, attachedPolicies: role.attached }, plan, notes };
  },
  async apply(step, ctx) {
    const iam = ctx.clients.iam();
    // `iam.role-revoke-sessions`: plans stored before revocation moved to apply time.
    if (step.op === 'iam.revoke-sessions' || step.op === 'iam.role-revoke-sessions') {
      return applyRevoke(iam, { ...step, params: { holder: 'role', policyName: REVOKE_SESSIONS_POLICY, instanceArn: null, ...step.params } }, ctx);
    }
    if (step.op === 'iam.role-deny-all') return applyDenyAll(iam, 'role', step);
    throw new Error(`iam-role cannot apply ${step.op}`);
  },
  async revert(step, record, ctx) {
    if (step.op === 'iam.role-deny-all') return revertDenyAll(ctx.clients.iam(), 'role', step, record);
    throw new Error(`iam-role cannot revert ${step.op}`);
  },
};
