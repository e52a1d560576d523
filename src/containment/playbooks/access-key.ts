import { GetAccessKeyLastUsedCommand } from '@aws-sdk/client-iam';
import type { PlanStep } from '../../domain/actions/action';
import { CordonError, ErrorCode } from '../../errors';
import { awsErrorName, principalRefusal, type Playbook, type Prepared } from '../playbook';
import { keySteps, reactivationNote, readKeys, readUser } from './iam-user';
import { applyRevoke, revokeStep, REVOKE_SESSIONS_POLICY } from './revocation';

/**
 * Access key: deactivate an `AKIA` key (owner found with GetAccessKeyLastUsed) and deny
 * the owner's temporary credentials issued before apply, since session credentials minted
 * with the key outlive its deactivation; `ASIA` keys name their principal instead.
 */
export const accessKeyPlaybook: Playbook = {
  services: ['iam'],
  async prepare(ctx): Promise<Prepared> {
    const keyId = ctx.target.id;
    if (ctx.target.temporary) {
      const principal = ctx.knownPrincipal;
      return {
        prior: { keyId, temporary: true, principal: principal ?? null },
        plan: [],
        notes: [
          `${keyId} is a temporary (ASIA) key: AWS cannot deactivate it. Contain the principal that issued it instead${
            principal ? `: \`/ir contain ${principal}\`` : ' (not named by this case\'s findings; find it in CloudTrail by the key id)'
          }.`,
        ],
      };
    }
    const iam = ctx.clients.iam();
    let userName: string | undefined;
    try {
      userName = (await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: keyId }))).UserName;
    } catch (err) {
      if (awsErrorName(err) === 'NoSuchEntityException' || awsErrorName(err) === 'AccessDeniedException') {
        throw new CordonError(ErrorCode.AWS_FAILED, `access key ${keyId} was not found in account ${ctx.target.accountId}`);
      }
      throw err;
    }
    if (!userName) throw new CordonError(ErrorCode.AWS_FAILED, `access key ${keyId} has no IAM user owner in account ${ctx.target.accountId}`);
    const owner = await readUser(iam, userName, ctx.target.accountId);
    const refusal = principalRefusal(ctx.settings, { kind: 'user', ...owner });
    if (refusal) throw refusal;
    const key = (await readKeys(iam, userName, ctx)).find((k) => k.keyId === keyId) ?? { keyId, status: 'Unknown', createdAt: null, duringIncident: false };
    const step = keySteps.step(userName, key);
    const deactivate = key.status === 'Active' || !!ctx.heldByCordon?.has(step.id);
    const plan: PlanStep[] = deactivate ? [step] : [];
    const notes = [`Owner: IAM user ${userName}.`, ...(deactivate ? [] : [`The key is already ${key.status.toLowerCase()}; nothing to change.`])];
    // Session credentials minted with the key keep working after it is deactivated: only a deny on the owner stops them.
    plan.push(revokeStep('user', userName, `temporary credentials (GetSessionToken, GetFederationToken) minted with ${keyId} or any other key of this user`));
    notes.push(
      `Revert keeps ${REVOKE_SESSIONS_POLICY} on ${userName}: session credentials minted before the moment of apply, with ${keyId} or another of its keys, stay blocked after Revert; the key itself and credentials minted after Revert work.`,
    );
    const reactivate = deactivate ? reactivationNote([key]) : undefined;
    if (reactivate) notes.push(reactivate);
    return { prior: { keyId, userName, status: key.status, createdAt: key.createdAt }, plan, notes };
  },
  async apply(step, ctx) {
    if (step.op === 'iam.revoke-sessions') return applyRevoke(ctx.clients.iam(), step, ctx);
    return keySteps.apply(ctx.clients.iam(), step);
  },
  async revert(step, _record, ctx) {
    if (step.op === 'iam.key-deactivate') return keySteps.revert(ctx.clients.iam(), step);
    throw new Error(`access-key cannot revert ${step.op}`);
  },
};
