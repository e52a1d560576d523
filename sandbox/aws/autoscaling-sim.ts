import type {
  DescribeAutoScalingInstancesCommandInput,
  DescribeAutoScalingInstancesCommandOutput,
  EnterStandbyCommandInput,
  EnterStandbyCommandOutput,
  ExitStandbyCommandInput,
  ExitStandbyCommandOutput,
  Activity,
} from '@aws-sdk/client-auto-scaling';
import { SimError } from './sim-errors';
import { AccountState, AutoScalingGroup, AutoScalingState, regionOf } from './sim-state';
import { AuthzTarget, CallContext, SandboxWorld, SimHandler, strField } from './sim-world';

type Out<T> = Omit<T, '$metadata'>;

/**
 * EC2 Auto Scaling: group membership, Standby and health-check replacement, after
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-enter-exit-standby.html and
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-health-checks.html.
 * - An instance enters Standby only from InService and leaves it only from Standby.
 * - Entering Standby may decrement the desired capacity, but not below the minimum size;
 *   leaving it increments the desired capacity, which may not exceed the maximum size.
 * - Instances in Standby are not health-checked; an InService instance that fails its
 *   health checks is terminated and replaced ({@link runHealthChecks}).
 * Not modelled: launching the replacement instances, lifecycle hooks, warm pools.
 */
export function autoScalingOf(account: AccountState, region: string): AutoScalingState {
  const r = regionOf(account, region);
  // Worlds exported before Auto Scaling was simulated have no such key.
  r.autoscaling ??= { groups: {} };
  return r.autoscaling;
}

function groupOf(ctx: CallContext, name: string | undefined): AutoScalingGroup {
  const g = name ? autoScalingOf(ctx.account, ctx.region).groups[name] : undefined;
  if (!g) throw new SimError('ValidationError', `AutoScalingGroup name not found - no such group: ${name ?? ''}`);
  return g;
}

function activity(ctx: CallContext, g: AutoScalingGroup, description: string, cause: string): Activity {
  return {
    ActivityId: ctx.world.ids.uuid(),
    AutoScalingGroupName: g.name,
    Description: description,
    Cause: cause,
    StartTime: new Date(ctx.now),
    StatusCode: 'InProgress',
    Progress: 50,
    Details: '{}',
  };
}

function members(g: AutoScalingGroup, ids: string[] | undefined): string[] {
  if (!ids?.length) throw new SimError('ValidationError', 'The parameter InstanceIds must be provided.');
  for (const id of ids) if (!g.instances[id]) throw new SimError('ValidationError', `The instance ${id} is not part of Auto Scaling group ${g.name}.`);
  return ids;
}

const DescribeAutoScalingInstances = (input: DescribeAutoScalingInstancesCommandInput, ctx: CallContext): Out<DescribeAutoScalingInstancesCommandOutput> => {
  const wanted = input.InstanceIds;
  const out = Object.values(autoScalingOf(ctx.account, ctx.region).groups).flatMap((g) =>
    Object.entries(g.instances)
      .filter(([id, m]) => (!wanted?.length || wanted.includes(id)) && m.lifecycleState !== 'Terminated')
      .map(([id, m]) => ({
        InstanceId: id,
        AutoScalingGroupName: g.name,
        AvailabilityZone: `${ctx.region}a`,
        LifecycleState: m.lifecycleState,
        HealthStatus: m.healthStatus.toUpperCase(),
        ProtectedFromScaleIn: m.protectedFromScaleIn,
      })),
  );
  return { AutoScalingInstances: out };
};

const EnterStandby = (input: EnterStandbyCommandInput, ctx: CallContext): Out<EnterStandbyCommandOutput> => {
  const g = groupOf(ctx, input.AutoScalingGroupName);
  if (input.ShouldDecrementDesiredCapacity === undefined) throw new SimError('ValidationError', 'The parameter ShouldDecrementDesiredCapacity must be provided.');
  const ids = members(g, input.InstanceIds);
  for (const id of ids) if (g.instances[id]?.lifecycleState !== 'InService') throw new SimError('ValidationError', `The instance ${id} is not in InService.`);
  if (input.ShouldDecrementDesiredCapacity && g.desiredCapacity - ids.length < g.minSize) {
    throw new SimError(
      'ValidationError',
      `AutoScalingGroup ${g.name} has min-size=${g.minSize}, max-size=${g.maxSize}, and desired-size=${g.desiredCapacity}. To place into standby ${ids.length} instances, please update the AutoScalingGroup sizes appropriately.`,
    );
  }
  for (const id of ids) (g.instances[id] as { lifecycleState: string }).lifecycleState = 'Standby';
  if (input.ShouldDecrementDesiredCapacity) g.desiredCapacity -= ids.length;
  return {
    Activities: ids.map((id) =>
      activity(ctx, g, `Moving EC2 instance to Standby: ${id}`, `At ${new Date(ctx.now).toISOString()} an instance was moved to standby in response to a user request${input.ShouldDecrementDesiredCapacity ? ', shrinking the capacity' : ''}.`),
    ),
  };
};

const ExitStandby = (input: ExitStandbyCommandInput, ctx: CallContext): Out<ExitStandbyCommandOutput> => {
  const g = groupOf(ctx, input.AutoScalingGroupName);
  const ids = members(g, input.InstanceIds);
  for (const id of ids) if (g.instances[id]?.lifecycleState !== 'Standby') throw new SimError('ValidationError', `The instance ${id} is not in Standby.`);
  if (g.desiredCapacity + ids.length > g.maxSize) {
    throw new SimError('ValidationError', `New SetDesiredCapacity value ${g.desiredCapacity + ids.length} is above max value ${g.maxSize} for the AutoScalingGroup.`);
  }
  for (const id of ids) (g.instances[id] as { lifecycleState: string }).lifecycleState = 'InService';
  g.desiredCapacity += ids.length;
  return { Activities: ids.map((id) => activity(ctx, g, `Moving EC2 instance out of Standby: ${id}`, 'An instance was moved out of standby in response to a user request, increasing the capacity.')) };
};

/** Auto Scaling command handlers, keyed by command name without the `Command` suffix. */
export const AUTOSCALING_HANDLERS = {
  DescribeAutoScalingInstances,
  EnterStandby,
  ExitStandby,
} satisfies Record<string, SimHandler>;

export function autoScalingAuthzTarget(_command: string, input: unknown, ctx: CallContext): AuthzTarget {
  const name = strField(input, 'AutoScalingGroupName');
  const g = name ? autoScalingOf(ctx.account, ctx.region).groups[name] : undefined;
  return { resources: [g?.arn ?? '*'] };
}

/** Options for seeding a group around instances that already exist. */
export interface SeedGroupOptions {
  name: string;
  instanceIds: string[];
  minSize?: number;
  maxSize?: number;
  desiredCapacity?: number;
  healthCheckType?: 'EC2' | 'ELB';
}

/** A group holding `instanceIds` (InService, healthy), each tagged `aws:autoscaling:groupName` as AWS does. */
export function seedAutoScalingGroup(world: SandboxWorld, account: AccountState, region: string, opts: SeedGroupOptions): AutoScalingGroup {
  const state = autoScalingOf(account, region);
  if (state.groups[opts.name]) throw new SimError('AlreadyExists', `AutoScalingGroup by this name already exists - A group with the name ${opts.name} already exists`);
  const ec2 = regionOf(account, region).ec2;
  const g: AutoScalingGroup = {
    name: opts.name,
    arn: `arn:${account.partition}:autoscaling:${region}:${account.accountId}:autoScalingGroup:${world.ids.uuid()}:autoScalingGroupName/${opts.name}`,
    minSize: opts.minSize ?? 1,
    maxSize: opts.maxSize ?? Math.max(opts.instanceIds.length * 2, 1),
    desiredCapacity: opts.desiredCapacity ?? opts.instanceIds.length,
    healthCheckType: opts.healthCheckType ?? 'ELB',
    instances: {},
  };
  for (const id of opts.instanceIds) {
    const inst = ec2.instances[id];
    if (!inst) throw new Error(`AwsSandbox: no instance ${id} in ${account.accountId}/${region}`);
    inst.tags = [...inst.tags.filter((t) => t.Key !== 'aws:autoscaling:groupName'), { Key: 'aws:autoscaling:groupName', Value: opts.name }];
    g.instances[id] = { lifecycleState: 'InService', healthStatus: 'Healthy', protectedFromScaleIn: false };
  }
  state.groups[opts.name] = g;
  return g;
}

/**
 * One round of health checks. With ELB health checks, an InService instance whose every
 * interface sits only in groups that allow no inbound traffic cannot answer the load
 * balancer: it is marked unhealthy and terminated (the evidence with it). Instances in
 * Standby are not checked. Returns the instances terminated.
 */
export function runHealthChecks(account: AccountState, region: string): string[] {
  const ec2 = regionOf(account, region).ec2;
  const terminated: string[] = [];
  for (const g of Object.values(autoScalingOf(account, region).groups)) {
    if (g.healthCheckType !== 'ELB') continue;
    for (const [id, m] of Object.entries(g.instances)) {
      if (m.lifecycleState !== 'InService') continue;
      const inst = ec2.instances[id];
      if (!inst || inst.state === 'terminated') continue;
      const enis = Object.values(ec2.networkInterfaces).filter((n) => n.attachment?.instanceId === id);
      const reachable = enis.some((n) => n.groupIds.some((gid) => (ec2.securityGroups[gid]?.ingress.length ?? 0) > 0));
      if (reachable) continue;
      m.healthStatus = 'Unhealthy';
      m.lifecycleState = 'Terminated';
      inst.state = 'terminated';
      terminated.push(id);
    }
  }
  return terminated;
}
