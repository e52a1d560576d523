import {
  DeleteFunctionConcurrencyCommand,
  DeleteProvisionedConcurrencyConfigCommand,
  GetFunctionConfigurationCommand,
  GetFunctionConcurrencyCommand,
  ListFunctionsCommand,
  ListProvisionedConcurrencyConfigsCommand,
  PutFunctionConcurrencyCommand,
  PutProvisionedConcurrencyConfigCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import type { Json, PlanStep } from '../../domain/actions/action';
import { CordonError, ErrorCode } from '../../errors';
import { awsErrorName, param, principalRefusal, type Playbook } from '../playbook';
import { denyAllArn, denyAllStep, applyDenyAll, revertDenyAll } from './iam-deny';
import { readRole, type RoleFacts } from './iam-role';

/** One provisioned concurrency config: a published version or an alias, and how many environments. */
interface Provisioned {
  qualifier: string;
  count: number;
}

function provisionedOf(step: PlanStep): Provisioned[] {
  const v = step.params.configs;
  if (!Array.isArray(v)) throw new Error(`step ${step.id} has no configs`);
  return v.map((c) => {
    const o = c as { qualifier?: unknown; count?: unknown };
    if (typeof o.qualifier !== 'string' || typeof o.count !== 'number') throw new Error(`step ${step.id} has a malformed config`);
    return { qualifier: o.qualifier, count: o.count };
  });
}

/**
 * Lambda: remove the provisioned concurrency configs (they count toward reserved
 * concurrency, so a reservation of 0 is refused while they exist:
 * https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html), then reserved
 * concurrency 0 (no new invocations), and AWSDenyAll on the execution role. Revert
 * restores the reservation, then the provisioned configs, then detaches the deny.
 */
export const lambdaFunctionPlaybook: Playbook = {
  services: ['lambda', 'iam'],
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
    const notes: string[] = [];
    const readExecutionRole = async (): Promise<RoleFacts | undefined> => {
      if (!roleName) return undefined;
      try {
        return await readRole(ctx.clients.iam(), roleName, ctx.target.accountId);
      } catch (err) {
        // A function whose role was deleted still runs until invoked code needs AWS: throttle it all the same.
        if (err instanceof CordonError && err.code === ErrorCode.AWS_FAILED && /does not exist/.test(err.message)) {
          notes.push(`:warning: Execution role ${roleName} no longer exists: there is no role to deny; the function is still throttled.`);
          return undefined;
        }
        throw err;
      }
    };
    const [concurrency, role, sharing, provisioned] = await Promise.all([
      lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: name })),
      readExecutionRole(),
      listFunctionsUsing(lambda, roleArn, name),
      listProvisioned(lambda, name),
    ]);
    const reserved = concurrency.ReservedConcurrentExecutions;
    const plan: PlanStep[] = [];
    if (provisioned.length) {
      plan.push({
        id: `provisioned:${name}`,
        stage: 1,
        op: 'lambda.provisioned-remove',
        description: `Remove the provisioned concurrency of ${name} (${provisioned.map((p) => `${p.qualifier}: ${p.count}`).join(', ')}); it counts toward reserved concurrency, so 0 is refused while it exists. Revert puts it back`,
        params: { name, configs: provisioned.map((p) => ({ qualifier: p.qualifier, count: p.count })) },
        revertible: true,
      });
    }
    plan.push({
      id: `concurrency:${name}`,
      stage: 2,
      op: 'lambda.concurrency-zero',
      description: `Set reserved concurrency of ${name} to 0 (was ${reserved === undefined ? 'unreserved' : reserved})`,
      params: { name, previous: reserved ?? null },
      revertible: true,
    });
    if (role) {
      const refusal = principalRefusal(ctx.settings, { kind: 'role', ...role });
      const denyAll = denyAllStep('role', role.name, ctx.target.partition, role.attached.length, 1);
      if (refusal) notes.push(`:warning: Execution role ${role.name} is not changed: ${refusal.message} The function is still throttled.`);
      else if (role.attached.includes(denyAllArn(ctx.target.partition)) && !ctx.heldByCordon?.has(denyAll.id)) notes.push(`AWSDenyAll is already attached to role ${role.name}; left as it is`);
      // Not essential: a failed deny must not keep the function from being throttled.
      else plan.push({ ...denyAll, essential: false });
      if (sharing.length) {
        notes.push(`:warning: Execution role ${role.name} is shared with ${sharing.length} other function(s) (${sharing.slice(0, 5).join(', ')}): they lose AWS access too.`);
      }
    }
    return {
      prior: {
        functionName: name,
        reservedConcurrency: reserved ?? null,
        provisionedConcurrency: provisioned.map((p) => ({ qualifier: p.qualifier, count: p.count })),
        roleArn: roleArn ?? null,
        sharedWith: sharing,
      },
      plan,
      notes,
    };
  },
  async apply(step, ctx): Promise<{ [key: string]: Json } | undefined> {
    const lambda = ctx.clients.lambda(ctx.target.region as string);
    if (step.op === 'lambda.provisioned-remove') {
      for (const p of provisionedOf(step)) {
        try {
          await lambda.send(new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: param(step, 'name'), Qualifier: p.qualifier }));
        } catch (err) {
          if (awsErrorName(err) !== 'ProvisionedConcurrencyConfigNotFoundException') throw err;
        }
      }
      return undefined;
    }
    if (step.op === 'lambda.concurrency-zero') {
      await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: param(step, 'name'), ReservedConcurrentExecutions: 0 }));
      return undefined;
    }
    if (step.op === 'iam.role-deny-all') return applyDenyAll(ctx.clients.iam(), 'role', step);
    throw new Error(`lambda-function cannot apply ${step.op}`);
  },
  async revert(step, record, ctx) {
    const lambda = ctx.clients.lambda(ctx.target.region as string);
    if (step.op === 'lambda.provisioned-remove') {
      // After the reservation is back (stage 2 reverts first): provisioned concurrency must fit inside it.
      for (const p of provisionedOf(step)) {
        await lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: param(step, 'name'), Qualifier: p.qualifier, ProvisionedConcurrentExecutions: p.count }));
      }
      return;
    }
    if (step.op === 'lambda.concurrency-zero') {
      const previous = step.params.previous;
      if (typeof previous === 'number') await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: param(step, 'name'), ReservedConcurrentExecutions: previous }));
      else await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: param(step, 'name') }));
      return;
    }
    if (step.op === 'iam.role-deny-all') return revertDenyAll(ctx.clients.iam(), 'role', step, record);
    throw new Error(`lambda-function cannot revert ${step.op}`);
  },
};

async function listProvisioned(lambda: LambdaClient, name: string): Promise<Provisioned[]> {
  const out: Provisioned[] = [];
  let marker: string | undefined;
  do {
    const page = await lambda.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: name, MaxItems: 50, ...(marker ? { Marker: marker } : {}) }));
    for (const c of page.ProvisionedConcurrencyConfigs ?? []) {
      const qualifier = c.FunctionArn?.split(':').pop();
      if (qualifier && c.RequestedProvisionedConcurrentExecutions) out.push({ qualifier, count: c.RequestedProvisionedConcurrentExecutions });
    }
    marker = page.NextMarker;
  } while (marker);
  return out.sort((a, b) => a.qualifier.localeCompare(b.qualifier));
}

async function listFunctionsUsing(lambda: LambdaClient, roleArn: string | undefined, except: string): Promise<string[]> {
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
