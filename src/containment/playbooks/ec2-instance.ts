import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type EC2Client,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { DeleteRolePolicyCommand, GetInstanceProfileCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import type { Json, PlanStep } from '../../domain/actions/action';
import { CordonError, ErrorCode } from '../../errors';
import { awsErrorName, param, paramList, type PlanContext, type Playbook, type Prepared, type StepContext } from '../playbook';

/** Tag that marks Cordon's per-VPC groups, so later actions reuse them. */
export const PURPOSE_TAG = 'cordon:purpose';
export const CASE_TAG = 'cordon:case';
export const ACTION_TAG = 'cordon:action';
/** Left on the instance by revert, as evidence that it was contained and released. */
export const RELEASED_TAG = 'cordon:released';

const ALL_V4: IpPermission = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };
const ALL_V6: IpPermission = { IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] };

type Purpose = 'untrack' | 'isolation';

function groupName(purpose: Purpose, vpcId: string): string {
  return `cordon-${purpose}-${vpcId}`;
}

function rolePolicyName(instanceId: string): string {
  return `cordon-isolate-${instanceId}`;
}

/** Deny everything to sessions of this role that come from this instance only. */
export function instanceDenyDocument(instanceArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'CordonIsolateInstance', Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEquals: { 'ec2:SourceInstanceARN': instanceArn } } }],
  });
}

function rulesOf(g: SecurityGroup | undefined): { ingress: number; egress: number } {
  return { ingress: g?.IpPermissions?.length ?? 0, egress: g?.IpPermissionsEgress?.length ?? 0 };
}

async function tolerate(fn: () => Promise<unknown>, ...names: string[]): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!names.includes(awsErrorName(err) ?? '')) throw err;
  }
}

/** Creates (or finds) the VPC's group and makes its rules exactly what the purpose needs. */
async function ensureGroup(ec2: EC2Client, purpose: Purpose, vpcId: string, ipv6: boolean, existing: string | undefined): Promise<string> {
  let groupId = existing;
  if (!groupId) {
    try {
      const created = await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: groupName(purpose, vpcId),
          Description:
            purpose === 'untrack'
              ? 'Cordon: allow-all hop that makes existing connections untracked before isolation'
              : 'Cordon: isolation, no traffic in or out',
          VpcId: vpcId,
          TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: PURPOSE_TAG, Value: purpose }] }],
        }),
      );
      groupId = created.GroupId;
    } catch (err) {
      if (awsErrorName(err) !== 'InvalidGroup.Duplicate') throw err;
      const found = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'group-name', Values: [groupName(purpose, vpcId)] }] }));
      groupId = found.SecurityGroups?.[0]?.GroupId;
    }
    if (!groupId) throw new Error(`no ${purpose} group in ${vpcId}`);
  }
  const id = groupId;
  if (purpose === 'untrack') {
    // Allow everything both ways: connections through it are untracked, so moving on to
    // the isolation group cuts them instead of letting tracked flows live on.
    await Promise.all([
      tolerate(() => ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: ipv6 ? [ALL_V4, ALL_V6] : [ALL_V4] })), 'InvalidPermission.Duplicate'),
      ipv6 ? tolerate(() => ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: id, IpPermissions: [ALL_V6] })), 'InvalidPermission.Duplicate') : Promise.resolve(),
    ]);
  } else {
    // A new group comes with allow-all egress (IPv4, and IPv6 in an IPv6 VPC): revoke both.
    await Promise.all([
      tolerate(() => ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: id, IpPermissions: [ALL_V4] })), 'InvalidPermission.NotFound'),
      tolerate(() => ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: id, IpPermissions: [ALL_V6] })), 'InvalidPermission.NotFound'),
    ]);
  }
  return id;
}

/** Removes every rule from an existing isolation group someone loosened. */
async function tightenIsolation(ec2: EC2Client, groupId: string): Promise<void> {
  const g = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups?.[0];
  const jobs: Promise<unknown>[] = [];
  if (g?.IpPermissions?.length) jobs.push(ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: g.IpPermissions })));
  if (g?.IpPermissionsEgress?.length) jobs.push(ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: g.IpPermissionsEgress })));
  await Promise.all(jobs);
}

function groupIdFor(purpose: Purpose, step: PlanStep, ctx: StepContext): string {
  const fixed = step.params.groupId;
  if (typeof fixed === 'string') return fixed;
  const made = ctx.results.get(`ensure-group:${purpose}`)?.groupId;
  if (typeof made !== 'string') throw new Error(`the ${purpose} group was not created before ${step.id}`);
  return made;
}

/**
 * EC2 instance (docs/architecture.md §7): tags, termination protection, shutdown → stop, a deny on
 * the instance-profile role limited to this instance, EBS snapshots, then each network
 * interface through the untrack group into the isolation group.
 */
export const ec2InstancePlaybook: Playbook = {
  async prepare(ctx): Promise<Prepared> {
    const region = ctx.target.region as string;
    const ec2 = ctx.clients.ec2(region);
    const id = ctx.target.id;
    let instance;
    try {
      instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0];
    } catch (err) {
      if (awsErrorName(err) !== 'InvalidInstanceID.NotFound' && awsErrorName(err) !== 'InvalidInstanceID.Malformed') throw err;
    }
    if (!instance) throw new CordonError(ErrorCode.AWS_FAILED, `EC2 instance ${id} does not exist in ${ctx.target.accountId}/${region}`);
    const vpcId = instance.VpcId;
    if (!vpcId) throw new CordonError(ErrorCode.AWS_FAILED, `EC2 instance ${id} is not in a VPC; EC2-Classic cannot be isolated with security groups`);
    const profileName = instance.IamInstanceProfile?.Arn?.split('/').pop();
    const [termination, shutdown, groups, vpcs, profile] = await Promise.all([
      ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'disableApiTermination' })),
      ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'instanceInitiatedShutdownBehavior' })),
      ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: `tag:${PURPOSE_TAG}`, Values: ['untrack', 'isolation'] }] })),
      ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })),
      profileName ? ctx.clients.iam().send(new GetInstanceProfileCommand({ InstanceProfileName: profileName })) : Promise.resolve(undefined),
    ]);
    const ipv6 = (vpcs.Vpcs?.[0]?.Ipv6CidrBlockAssociationSet ?? []).some((a) => a.Ipv6CidrBlockState?.State === 'associated' || !a.Ipv6CidrBlockState);
    const byPurpose = (p: Purpose) => groups.SecurityGroups?.find((g) => g.Tags?.some((t) => t.Key === PURPOSE_TAG && t.Value === p));
    const untrackGroup = byPurpose('untrack');
    const isolationGroup = byPurpose('isolation');
    const roleName = profile?.InstanceProfile?.Roles?.[0]?.RoleName;
    const enis = (instance.NetworkInterfaces ?? [])
      .map((n) => ({ id: n.NetworkInterfaceId ?? '', groups: (n.Groups ?? []).map((g) => g.GroupId ?? '').sort(), ipv6: (n.Ipv6Addresses ?? []).length > 0 }))
      .filter((n) => n.id)
      .sort((a, b) => a.id.localeCompare(b.id));
    const volumes = (instance.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId).filter((v): v is string => !!v);
    const tags = Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    const priorTermination = termination.DisableApiTermination?.Value ?? false;
    const priorShutdown = shutdown.InstanceInitiatedShutdownBehavior?.Value ?? 'stop';
    const instanceArn = `arn:${ctx.target.partition}:ec2:${region}:${ctx.target.accountId}:instance/${id}`;

    const plan: PlanStep[] = [];
    const notes: string[] = [];
    const priorTags: { [k: string]: Json } = {};
    for (const k of [CASE_TAG, ACTION_TAG]) priorTags[k] = tags[k] ?? null;
    plan.push({
      id: 'tag',
      stage: 1,
      op: 'ec2.tag',
      description: `Tag ${id} ${CASE_TAG}=${ctx.caseId ?? 'none'}, ${ACTION_TAG}=${ctx.actionId}`,
      params: { instanceId: id, caseId: ctx.caseId ?? 'none', actionId: ctx.actionId },
      revertible: true,
    });
    if (!priorTermination) {
      plan.push({ id: 'termination-protection', stage: 1, op: 'ec2.termination-protection', description: `Turn termination protection on for ${id}`, params: { instanceId: id }, revertible: true });
    }
    if (priorShutdown !== 'stop') {
      plan.push({ id: 'shutdown-behavior', stage: 1, op: 'ec2.shutdown-behavior', description: `Set shutdown behavior of ${id} to stop (was ${priorShutdown})`, params: { instanceId: id, previous: priorShutdown }, revertible: true });
    }
    if (roleName) {
      plan.push({
        id: `role-deny:${roleName}`,
        stage: 1,
        op: 'iam.instance-role-deny',
        description: `Put inline policy ${rolePolicyName(id)} on role ${roleName}: deny all to sessions from this instance only (ec2:SourceInstanceARN); other instances sharing the role keep working`,
        params: { roleName, policyName: rolePolicyName(id), instanceArn },
        revertible: true,
      });
    }
    if (ctx.settings.snapshots) {
      for (const v of volumes) {
        plan.push({ id: `snapshot:${v}`, stage: 1, op: 'ec2.snapshot', description: `Snapshot EBS volume ${v} (kept as evidence)`, params: { volumeId: v, instanceId: id, caseId: ctx.caseId ?? 'none', actionId: ctx.actionId }, revertible: false });
      }
    } else if (volumes.length) notes.push('Snapshots are off in the config: no EBS evidence is taken.');
    const untrackSeconds = ctx.settings.untrackSeconds;
    const purposes: Purpose[] = untrackSeconds > 0 ? ['untrack', 'isolation'] : ['isolation'];
    for (const p of purposes) {
      const g = p === 'untrack' ? untrackGroup : isolationGroup;
      const loose = p === 'isolation' && g && (rulesOf(g).ingress > 0 || rulesOf(g).egress > 0);
      if (!g || loose || (p === 'untrack' && ipv6)) {
        plan.push({
          id: `ensure-group:${p}`,
          stage: 1,
          op: 'ec2.ensure-group',
          description: g
            ? `${loose ? 'Remove every rule from' : 'Check the rules of'} ${p} group ${g.GroupId ?? ''} in ${vpcId}`
            : `Create the ${p} security group ${groupName(p, vpcId)} in ${vpcId} (${p === 'untrack' ? `allow all in and out, IPv4${ipv6 ? ' and IPv6' : ''}` : `no ingress; default egress revoked (0.0.0.0/0${ipv6 ? ' and ::/0' : ''})`})`,
          params: { purpose: p, vpcId, ipv6, existing: g?.GroupId ?? null, loose: !!loose },
          revertible: false,
        });
      }
    }
    let stage = 2;
    if (untrackSeconds > 0) {
      for (const n of enis) {
        plan.push({
          id: `untrack:${n.id}`,
          stage,
          op: 'ec2.eni-groups',
          description: `Move ${n.id} to the untrack group (was ${n.groups.join(', ') || 'no groups'})`,
          params: { eniId: n.id, purpose: 'untrack', groupId: untrackGroup?.GroupId ?? null, previous: n.groups },
          revertible: true,
        });
      }
      stage++;
      plan.push({ id: 'wait-untrack', stage, op: 'wait', description: `Wait ${untrackSeconds}s so tracked connections become untracked`, params: { seconds: untrackSeconds }, revertible: false });
      notes.push(`:warning: For ${untrackSeconds}s the instance sits in an allow-all group (open in and out) before isolation.`);
      stage++;
    }
    for (const n of enis) {
      plan.push({
        id: `isolate:${n.id}`,
        stage,
        op: 'ec2.eni-groups',
        description: `Move ${n.id} to the isolation group`,
        params: { eniId: n.id, purpose: 'isolation', groupId: isolationGroup && !rulesOf(isolationGroup).ingress && !rulesOf(isolationGroup).egress ? (isolationGroup.GroupId ?? null) : null, previous: n.groups },
        revertible: true,
      });
    }
    if (!enis.length) notes.push(`${id} has no network interface to isolate.`);
    return {
      prior: { instanceId: id, vpcId, ipv6, enis, volumes, roleName: roleName ?? null, disableApiTermination: priorTermination, shutdownBehavior: priorShutdown, tags: priorTags },
      plan,
      notes,
    };
  },

  async dryRunCheck(ctx: PlanContext, prepared: Prepared): Promise<string[]> {
    const ec2 = ctx.clients.ec2(ctx.target.region as string);
    const probe = async (label: string, fn: () => Promise<unknown>): Promise<string> => {
      try {
        await fn();
        return `DryRun ${label}: unexpected success`;
      } catch (err) {
        const name = awsErrorName(err);
        if (name === 'DryRunOperation') return `DryRun ${label}: permitted`;
        if (name === 'UnauthorizedOperation') return `:x: DryRun ${label}: NOT permitted`;
        return `DryRun ${label}: ${name ?? 'error'}`;
      }
    };
    const id = ctx.target.id;
    const enis = (prepared.prior.enis as { id: string; groups: string[] }[] | undefined) ?? [];
    const volumes = (prepared.prior.volumes as string[] | undefined) ?? [];
    return Promise.all([
      probe('ModifyInstanceAttribute', () => ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiTermination: { Value: true }, DryRun: true }))),
      probe('CreateTags', () => ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: ACTION_TAG, Value: ctx.actionId }], DryRun: true }))),
      ...enis.map((n) => probe(`ModifyNetworkInterfaceAttribute ${n.id}`, () => ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: n.id, Groups: n.groups, DryRun: true })))),
      ...(ctx.settings.snapshots ? volumes.map((v) => probe(`CreateSnapshot ${v}`, () => ec2.send(new CreateSnapshotCommand({ VolumeId: v, DryRun: true })))) : []),
    ]);
  },

  async apply(step, ctx): Promise<{ [key: string]: Json } | undefined> {
    const region = ctx.target.region as string;
    const ec2 = ctx.clients.ec2(region);
    switch (step.op) {
      case 'ec2.tag':
        await ec2.send(
          new CreateTagsCommand({ Resources: [param(step, 'instanceId')], Tags: [{ Key: CASE_TAG, Value: param(step, 'caseId') }, { Key: ACTION_TAG, Value: param(step, 'actionId') }] }),
        );
        return undefined;
      case 'ec2.termination-protection':
        await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: param(step, 'instanceId'), DisableApiTermination: { Value: true } }));
        return undefined;
      case 'ec2.shutdown-behavior':
        await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: param(step, 'instanceId'), InstanceInitiatedShutdownBehavior: { Value: 'stop' } }));
        return undefined;
      case 'iam.instance-role-deny':
        await ctx.clients
          .iam()
          .send(new PutRolePolicyCommand({ RoleName: param(step, 'roleName'), PolicyName: param(step, 'policyName'), PolicyDocument: instanceDenyDocument(param(step, 'instanceArn')) }));
        return undefined;
      case 'ec2.snapshot': {
        const snap = await ec2.send(
          new CreateSnapshotCommand({
            VolumeId: param(step, 'volumeId'),
            Description: `Cordon evidence: ${param(step, 'instanceId')}, case ${param(step, 'caseId')}, action ${param(step, 'actionId')}`,
            TagSpecifications: [
              {
                ResourceType: 'snapshot',
                Tags: [
                  { Key: CASE_TAG, Value: param(step, 'caseId') },
                  { Key: ACTION_TAG, Value: param(step, 'actionId') },
                  { Key: 'cordon:instance', Value: param(step, 'instanceId') },
                ],
              },
            ],
          }),
        );
        return { snapshotId: snap.SnapshotId ?? null };
      }
      case 'ec2.ensure-group': {
        const purpose = param(step, 'purpose') as Purpose;
        const vpcId = param(step, 'vpcId');
        const existing = typeof step.params.existing === 'string' ? step.params.existing : undefined;
        const groupId = await ctx.once(`${ctx.target.accountId}/${region}/${vpcId}/${purpose}`, () => ensureGroup(ec2, purpose, vpcId, step.params.ipv6 === true, existing));
        if (step.params.loose === true && existing) await tightenIsolation(ec2, existing);
        return { groupId };
      }
      case 'ec2.eni-groups': {
        const groupId = groupIdFor(param(step, 'purpose') as Purpose, step, ctx);
        await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: param(step, 'eniId'), Groups: [groupId] }));
        return { groupId };
      }
      case 'wait': {
        const seconds = step.params.seconds;
        await ctx.sleep((typeof seconds === 'number' ? seconds : 0) * 1000);
        return undefined;
      }
      default:
        throw new Error(`ec2-instance cannot apply ${step.op}`);
    }
  },

  async revert(step, _record, ctx) {
    const ec2 = ctx.clients.ec2(ctx.target.region as string);
    switch (step.op) {
      case 'ec2.tag': {
        const instanceId = param(step, 'instanceId');
        const prior = (ctx.prior.tags ?? {}) as { [k: string]: Json };
        const restore = Object.entries(prior).filter((e): e is [string, string] => typeof e[1] === 'string');
        const remove = Object.entries(prior).filter(([, v]) => v === null).map(([k]) => ({ Key: k }));
        if (remove.length) await ec2.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: remove }));
        await ec2.send(
          new CreateTagsCommand({
            Resources: [instanceId],
            Tags: [...restore.map(([Key, Value]) => ({ Key, Value })), { Key: RELEASED_TAG, Value: `${ctx.actionId} ${ctx.now().toISOString()}` }],
          }),
        );
        return;
      }
      case 'ec2.termination-protection':
        await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: param(step, 'instanceId'), DisableApiTermination: { Value: ctx.prior.disableApiTermination === true } }));
        return;
      case 'ec2.shutdown-behavior':
        await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: param(step, 'instanceId'), InstanceInitiatedShutdownBehavior: { Value: param(step, 'previous') } }));
        return;
      case 'iam.instance-role-deny':
        await tolerate(() => ctx.clients.iam().send(new DeleteRolePolicyCommand({ RoleName: param(step, 'roleName'), PolicyName: param(step, 'policyName') })), 'NoSuchEntityException');
        return;
      case 'ec2.eni-groups':
        await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: param(step, 'eniId'), Groups: paramList(step, 'previous') }));
        return;
      default:
        throw new Error(`ec2-instance cannot revert ${step.op}`);
    }
  },
};
