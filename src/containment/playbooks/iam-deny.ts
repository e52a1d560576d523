import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import type { Json, PlanStep, StepRecord } from '../../domain/actions/action';
import { awsErrorName, param } from '../playbook';

/** The managed policy docs/architecture.md §7 attaches; the member role may attach nothing else. */
export function denyAllArn(partition: string): string {
  return `arn:${partition}:iam::aws:policy/AWSDenyAll`;
}

/** Inline fallback name (the member role may only write `cordon-*` inline policies). */
export const INLINE_DENY_ALL = 'cordon-deny-all';

/** IAM's managed-policy quota per user or role. */
export const MANAGED_POLICY_QUOTA = 10;

export const DENY_ALL_DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'CordonDenyAll', Effect: 'Deny', Action: '*', Resource: '*' }],
});

type Principal = 'user' | 'role';

/** Plans the deny-all step; `attachedCount` decides managed vs inline up front, apply still falls back. */
export function denyAllStep(principal: Principal, name: string, partition: string, attachedCount: number, stage: number): PlanStep {
  const inline = attachedCount >= MANAGED_POLICY_QUOTA;
  return {
    id: `deny-all:${principal}/${name}`,
    stage,
    op: `iam.${principal}-deny-all`,
    description: inline
      ? `Put inline deny-all policy ${INLINE_DENY_ALL} on ${principal} ${name} (its ${MANAGED_POLICY_QUOTA} managed-policy slots are full)`
      : `Attach ${denyAllArn(partition)} to ${principal} ${name}`,
    params: { name, policyArn: denyAllArn(partition), mode: inline ? 'inline' : 'managed' },
    revertible: true,
  };
}

/** Attaches AWSDenyAll, or puts the inline deny-all when the quota is full. Returns how it was done. */
export async function applyDenyAll(iam: IAMClient, principal: Principal, step: PlanStep): Promise<{ [key: string]: Json }> {
  const name = param(step, 'name');
  const policyArn = param(step, 'policyArn');
  if (param(step, 'mode') === 'managed') {
    try {
      if (principal === 'user') await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: policyArn }));
      else await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: policyArn }));
      return { mode: 'managed' };
    } catch (err) {
      // Someone attached a policy since planning: the quota bites now. Inline is equivalent.
      if (awsErrorName(err) !== 'LimitExceededException') throw err;
    }
  }
  if (principal === 'user') {
    await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: INLINE_DENY_ALL, PolicyDocument: DENY_ALL_DOCUMENT }));
  } else {
    await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: INLINE_DENY_ALL, PolicyDocument: DENY_ALL_DOCUMENT }));
  }
  return { mode: 'inline' };
}

/** Undoes exactly what apply did (managed detach or inline delete); absent already counts as done. */
export async function revertDenyAll(iam: IAMClient, principal: Principal, step: PlanStep, record: StepRecord): Promise<void> {
  const name = param(step, 'name');
  const mode = record.result?.mode ?? param(step, 'mode');
  const tries: (() => Promise<unknown>)[] =
    record.status === 'unknown'
      ? // The process died mid-step: undo whichever form may have landed.
        [() => detach(iam, principal, name, param(step, 'policyArn')), () => deleteInline(iam, principal, name)]
      : mode === 'inline'
        ? [() => deleteInline(iam, principal, name)]
        : [() => detach(iam, principal, name, param(step, 'policyArn'))];
  for (const t of tries) {
    try {
      await t();
    } catch (err) {
      if (awsErrorName(err) !== 'NoSuchEntityException') throw err;
    }
  }
}

function detach(iam: IAMClient, principal: Principal, name: string, policyArn: string): Promise<unknown> {
  return principal === 'user'
    ? iam.send(new DetachUserPolicyCommand({ UserName: name, PolicyArn: policyArn }))
    : iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: policyArn }));
}

function deleteInline(iam: IAMClient, principal: Principal, name: string): Promise<unknown> {
  return principal === 'user'
    ? iam.send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: INLINE_DENY_ALL }))
    : iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: INLINE_DENY_ALL }));
}
