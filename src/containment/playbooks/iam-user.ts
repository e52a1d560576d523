import { GetUserCommand, ListAccessKeysCommand, ListAttachedUserPoliciesCommand, UpdateAccessKeyCommand, type IAMClient } from '@aws-sdk/client-iam';
import type { PlanStep } from '../../domain/actions/action';
import { CordonError, ErrorCode } from '../../errors';
import { awsErrorName, param, principalRefusal, type PlanContext, type Playbook } from '../playbook';
import { applyDenyAll, denyAllArn, denyAllStep, revertDenyAll } from './iam-deny';
import { applyRevoke, revokeStep, REVOKE_SESSIONS_POLICY } from './revocation';

/** A key as the plan records it: `duringIncident` when it was created after the case opened. */
interface KeyFacts {
  keyId: string;
  status: string;
  createdAt: string | null;
  duringIncident: boolean;
}

function keyStep(userName: string, k: KeyFacts): PlanStep {
  return {
    id: `deactivate-key:${k.keyId}`,
    stage: 1,
    op: 'iam.key-deactivate',
    description: `Deactivate access key ${k.keyId} of user ${userName}${k.duringIncident ? ` (created ${k.createdAt ?? '?'}, during the incident)` : ''}`,
    params: { userName, keyId: k.keyId, createdAt: k.createdAt, duringIncident: k.duringIncident },
    revertible: true,
  };
}

/** Reads a user (tags for the protection rules); a missing user is a clear error. */
export async function readUser(iam: IAMClient, name: string, accountId: string): Promise<{ name: string; arn: string; tags: { Key?: string | undefined; Value?: string | undefined }[] }> {
  try {
    const u = (await iam.send(new GetUserCommand({ UserName: name }))).User;
    return { name, arn: u?.Arn ?? '', tags: u?.Tags ?? [] };
  } catch (err) {
    if (awsErrorName(err) === 'NoSuchEntityException') throw new CordonError(ErrorCode.AWS_FAILED, `IAM user ${name} does not exist in account ${accountId}`);
    throw err;
  }
}

/** The user's keys with their creation time, flagged when created since the incident began. */
export async function readKeys(iam: IAMClient, userName: string, ctx: Pick<PlanContext, 'incidentStart'>): Promise<KeyFacts[]> {
  const keys = await iam.send(new ListAccessKeysCommand({ UserName: userName, MaxItems: 100 }));
  return (keys.AccessKeyMetadata ?? []).map((k) => ({
    keyId: k.AccessKeyId ?? '',
    status: k.Status ?? 'Unknown',
    createdAt: k.CreateDate ? k.CreateDate.toISOString() : null,
    duringIncident: !!(k.CreateDate && ctx.incidentStart && k.CreateDate.getTime() >= ctx.incidentStart.getTime()),
  }));
}

/** What the plan says about the keys Revert would reactivate (point 11: never without asking). */
export function reactivationNote(keys: KeyFacts[]): string | undefined {
  if (!keys.length) return undefined;
  const fresh = keys.filter((k) => k.duringIncident);
  return `Revert reactivates ${keys.map((k) => k.keyId).join(', ')} unless a commander leaves some off (\`/ir revert <action-id> --keep-off <key-id>\`)${
    fresh.length ? `. :warning: Created during the incident, so possibly the attacker's: ${fresh.map((k) => k.keyId).join(', ')}` : ''
  }.`;
}

/** Deactivates one key; revert reactivates it (only keys that were active get a step). */
export const keySteps = {
  async apply(iam: IAMClient, step: PlanStep): Promise<undefined> {
    await iam.send(new UpdateAccessKeyCommand({ UserName: param(step, 'userName'), AccessKeyId: param(step, 'keyId'), Status: 'Inactive' }));
    return undefined;
  },
  async revert(iam: IAMClient, step: PlanStep): Promise<void> {
    await iam.send(new UpdateAccessKeyCommand({ UserName: param(step, 'userName'), AccessKeyId: param(step, 'keyId'), Status: 'Active' }));
  },
  step: keyStep,
};

/**
 * IAM user: deny everything, deactivate the active keys, and deny the user's temporary
 * credentials (GetSessionToken, GetFederationToken) issued before apply. Revert detaches
 * the deny and reactivates exactly those keys (minus any a commander leaves off); the
 * revocation stays.
 */
export const iamUserPlaybook: Playbook = {
  services: ['iam'],
  async prepare(ctx) {
    const iam = ctx.clients.iam();
    const name = ctx.target.id;
    const user = await readUser(iam, name, ctx.target.accountId);
    const refusal = principalRefusal(ctx.settings, { kind: 'user', ...user });
    if (refusal) throw refusal;
    const [attached, keyStates] = await Promise.all([iam.send(new ListAttachedUserPoliciesCommand({ UserName: name, MaxItems: 100 })), readKeys(iam, name, ctx)]);
    const attachedArns = (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? '');
    const plan: PlanStep[] = [];
    const notes: string[] = [];
    const denyAll = denyAllStep('user', name, ctx.target.partition, attachedArns.length, 1);
    if (attachedArns.includes(denyAllArn(ctx.target.partition)) && !ctx.heldByCordon?.has(denyAll.id)) notes.push(`AWSDenyAll is already attached to ${name}; left as it is`);
    else plan.push(denyAll);
    const reactivated: KeyFacts[] = [];
    for (const k of keyStates) {
      const step = keyStep(name, k);
      // Inactive because another live action deactivated it: this action holds it too.
      if (k.status === 'Active' || ctx.heldByCordon?.has(step.id)) {
        plan.push(step);
        reactivated.push(k);
      } else notes.push(`Access key ${k.keyId} is already ${k.status.toLowerCase()}; revert leaves it so`);
    }
    plan.push(revokeStep('user', name, 'temporary credentials (GetSessionToken, GetFederationToken) of this user'));
    notes.push(
      `Revert keeps ${REVOKE_SESSIONS_POLICY} on ${name}: temporary credentials it issued before the moment of apply (GetSessionToken, GetFederationToken, with any of its keys) stay blocked after Revert; its long-term keys and credentials issued after Revert work.`,
    );
    const reactivate = reactivationNote(reactivated);
    if (reactivate) notes.push(reactivate);
    return { prior: { userName: name, attachedPolicies: attachedArns, accessKeys: keyStates.map((k) => ({ ...k })) }, plan, notes };
  },
  async apply(step, ctx) {
    const iam = ctx.clients.iam();
    if (step.op === 'iam.user-deny-all') return applyDenyAll(iam, 'user', step);
    if (step.op === 'iam.key-deactivate') return keySteps.apply(iam, step);
    if (step.op === 'iam.revoke-sessions') return applyRevoke(iam, step, ctx);
    throw new Error(`iam-user cannot apply ${step.op}`);
  },
  async revert(step, record, ctx) {
    const iam = ctx.clients.iam();
    if (step.op === 'iam.user-deny-all') return revertDenyAll(iam, 'user', step, record);
    if (step.op === 'iam.key-deactivate') return keySteps.revert(iam, step);
    throw new Error(`iam-user cannot revert ${step.op}`);
  },
};
