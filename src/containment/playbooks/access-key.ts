import { GetAccessKeyLastUsedCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import type { PlanStep } from '../../domain/actions/action';
import { CordonError, ErrorCode } from '../../errors';
import { awsErrorName, type Playbook, type Prepared } from '../playbook';
import { keySteps } from './iam-user';

/** Access key: deactivate an `AKIA` key (owner found with GetAccessKeyLastUsed); `ASIA` keys name their principal instead. */
export const accessKeyPlaybook: Playbook = {
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
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: userName, MaxItems: 100 }));
    const status = keys.AccessKeyMetadata?.find((k) => k.AccessKeyId === keyId)?.Status ?? 'Unknown';
    const plan: PlanStep[] = status === 'Active' ? [keySteps.step(userName, keyId)] : [];
    const notes = [`Owner: IAM user ${userName}.`, ...(status === 'Active' ? [] : [`The key is already ${status.toLowerCase()}; nothing to change.`])];
    return { prior: { keyId, userName, status }, plan, notes };
  },
  async apply(step, ctx) {
    return keySteps.apply(ctx.clients.iam(), step);
  },
  async revert(step, _record, ctx) {
    return keySteps.revert(ctx.clients.iam(), step);
  },
};
