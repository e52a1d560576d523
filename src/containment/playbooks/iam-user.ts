import { GetUserCommand, ListAccessKeysCommand, ListAttachedUserPoliciesCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import type { PlanStep } from '../../domain/actions/action';
import { CordonError, ErrorCode } from '../../errors';
import { awsErrorName, param, type Playbook } from '../playbook';
import { applyDenyAll, denyAllArn, denyAllStep, revertDenyAll } from './iam-deny';

function keyStep(userName: string, keyId: string): PlanStep {
  return {
    id: `deactivate-key:${keyId}`,
    stage: 1,
    op: 'iam.key-deactivate',
    description: `Deactivate access key ${keyId} of user ${userName}`,
    params: { userName, keyId },
    revertible: true,
  };
}

/** Deactivates one key; revert reactivates it (only keys that were active get a step). */
export const keySteps = {
  async apply(iam: import('@aws-sdk/client-iam').IAMClient, step: PlanStep): Promise<undefined> {
    await iam.send(new UpdateAccessKeyCommand({ UserName: param(step, 'userName'), AccessKeyId: param(step, 'keyId'), Status: 'Inactive' }));
    return undefined;
  },
  async revert(iam: import('@aws-sdk/client-iam').IAMClient, step: PlanStep): Promise<void> {
    await iam.send(new UpdateAccessKeyCommand({ UserName: param(step, 'userName'), AccessKeyId: param(step, 'keyId'), Status: 'Active' }));
  },
  step: keyStep,
};

/** IAM user: deny everything, deactivate the active keys; revert detaches and reactivates exactly those keys. */
export const iamUserPlaybook: Playbook = {
  async prepare(ctx) {
    const iam = ctx.clients.iam();
    const name = ctx.target.id;
    try {
      await iam.send(new GetUserCommand({ UserName: name }));
    } catch (err) {
      if (awsErrorName(err) === 'NoSuchEntityException') {
        throw new CordonError(ErrorCode.AWS_FAILED, `IAM user ${name} does not exist in account ${ctx.target.accountId}`);
      }
      throw err;
    }
    const [attached, keys] = await Promise.all([
      iam.send(new ListAttachedUserPoliciesCommand({ UserName: name, MaxItems: 100 })),
      iam.send(new ListAccessKeysCommand({ UserName: name, MaxItems: 100 })),
    ]);
    const attachedArns = (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? '');
    const keyStates = (keys.AccessKeyMetadata ?? []).map((k) => ({ keyId: k.AccessKeyId ?? '', status: k.Status ?? 'Unknown' }));
    const plan: PlanStep[] = [];
    const notes: string[] = [];
    if (attachedArns.includes(denyAllArn(ctx.target.partition))) notes.push(`AWSDenyAll is already attached to ${name}; left as it is`);
    else plan.push(denyAllStep('user', name, ctx.target.partition, attachedArns.length, 1));
    for (const k of keyStates) {
      if (k.status === 'Active') plan.push(keyStep(name, k.keyId));
      else notes.push(`Access key ${k.keyId} is already ${k.status.toLowerCase()}; revert leaves it so`);
    }
    return { prior: { userName: name, attachedPolicies: attachedArns, accessKeys: keyStates }, plan, notes };
  },
  async apply(step, ctx) {
    const iam = ctx.clients.iam();
    if (step.op === 'iam.user-deny-all') return applyDenyAll(iam, 'user', step);
    if (step.op === 'iam.key-deactivate') return keySteps.apply(iam, step);
    throw new Error(`iam-user cannot apply ${step.op}`);
  },
  async revert(step, record, ctx) {
    const iam = ctx.clients.iam();
    if (step.op === 'iam.user-deny-all') return revertDenyAll(iam, 'user', step, record);
    if (step.op === 'iam.key-deactivate') return keySteps.revert(iam, step);
    throw new Error(`iam-user cannot revert ${step.op}`);
  },
};
