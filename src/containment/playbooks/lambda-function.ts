import { DeleteFunctionConcurrencyCommand, GetFunctionConfigurationCommand, GetFunctionConcurrencyCommand, ListFunctionsCommand, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import type { PlanStep } from '../../domain/actions/action';
import { CordonError, ErrorCode } from '../../errors';
import { awsErrorName, param, type Playbook } from '../playbook';
import { denyAllArn, denyAllStep, applyDenyAll, revertDenyAll } from './iam-deny';
import { readRole } from './iam-role';

/** Lambda: reserved concurrency 0 (no new invocations) and AWSDenyAll on the execution role. */
export const lambdaFunctionPlaybook: Playbook = {
  async prepare(ctx) {
    const lambda = ctx.clients.lambda(ctx.target.region as string);
    const name = ctx.target.id;
    let roleArn: string | undefined;
    try {
      // The configuration alone: GetFunction would also return a presigned URL to the code.
      roleArn = (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }))).Role;
    } catch (err) {
      if (awsErrorName(err) === 'ResourceNotFoundException') {
        throw new CordonError(ErrorCode.AWS_FAILED, `Lambda function ${name} does not exist in ${ctx.target.accountId}/${ctx.target.region ?? ''}`);
      }
      throw err;
    }
    const roleName = roleArn?.split('/').pop();
    const [concurrency, attached, sharing] = await Promise.all([
      lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: name })),
      roleName ? readRole(ctx.clients.iam(), roleName, ctx.target.accountId) : Promise.resolve([]),
      listFunctionsUsing(lambda, roleArn, name),
    ]);
    const reserved = concurrency.ReservedConcurrentExecutions;
    const plan: PlanStep[] = [
      {
        id: `concurrency:${name}`,
        stage: 1,
        op: 'lambda.concurrency-zero',
        description: `Set reserved concurrency of ${name} to 0 (was ${reserved === undefined ? 'unreserved' : reserved})`,
        params: { name, previous: reserved ?? null },
        revertible: true,
      },
    ];
    const notes: string[] = [];
    if (roleName) {
      if (attached.includes(denyAllArn(ctx.target.partition))) notes.push(`AWSDenyAll is already attached to role ${roleName}; left as it is`);
      else plan.push(denyAllStep('role', roleName, ctx.target.partition, attached.length, 1));
      if (sharing.length) {
        notes.push(`:warning: Execution role ${roleName} is shared with ${sharing.length} other function(s) (${sharing.slice(0, 5).join(', ')}): they lose AWS access too.`);
      }
    }
    return { prior: { functionName: name, reservedConcurrency: reserved ?? null, roleArn: roleArn ?? null, sharedWith: sharing }, plan, notes };
  },
  async apply(step, ctx) {
    if (step.op === 'lambda.concurrency-zero') {
      await ctx.clients.lambda(ctx.target.region as string).send(new PutFunctionConcurrencyCommand({ FunctionName: param(step, 'name'), ReservedConcurrentExecutions: 0 }));
      return undefined;
    }
    if (step.op === 'iam.role-deny-all') return applyDenyAll(ctx.clients.iam(), 'role', step);
    throw new Error(`lambda-function cannot apply ${step.op}`);
  },
  async revert(step, record, ctx) {
    if (step.op === 'lambda.concurrency-zero') {
      const lambda = ctx.clients.lambda(ctx.target.region as string);
      const previous = step.params.previous;
      if (typeof previous === 'number') await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: param(step, 'name'), ReservedConcurrentExecutions: previous }));
      else await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: param(step, 'name') }));
      return;
    }
    if (step.op === 'iam.role-deny-all') return revertDenyAll(ctx.clients.iam(), 'role', step, record);
    throw new Error(`lambda-function cannot revert ${step.op}`);
  },
};

async function listFunctionsUsing(lambda: import('@aws-sdk/client-lambda').LambdaClient, roleArn: string | undefined, except: string): Promise<string[]> {
  if (!roleArn) return [];
  const names: string[] = [];
  let marker: string | undefined;
  do {
    const page = await lambda.send(new ListFunctionsCommand({ MaxItems: 50, ...(marker ? { Marker: marker } : {}) }));
    for (const f of page.Functions ?? []) if (f.Role === roleArn && f.FunctionName && f.FunctionName !== except) names.push(f.FunctionName);
    marker = page.NextMarker;
  } while (marker);
  return names;
}
