import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  DeleteSecurityGroupCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  EC2ServiceException,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
} from '@aws-sdk/client-ec2';
import { AwsSandbox } from '../../../../sandbox/aws';

const ACCT = '111122223333';
const REGION = 'eu-west-1';

async function rejection(p: Promise<unknown>): Promise<EC2ServiceException> {
  try {
    await p;
  } catch (err) {
    if (err instanceof EC2ServiceException) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('EC2 sandbox', () => {
  let sandbox: AwsSandbox;

  beforeEach(() => {
    sandbox = new AwsSandbox({ seed: 7 });
  });

  it('gives a new security group the AWS default allow-all egress (IPv4 only in an IPv4 VPC)', async () => {
    const vpc = sandbox.createVpc({ accountId: ACCT, region: REGION });
    const ec2 = sandbox.ec2(ACCT, REGION);
    const created = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'cordon-isolation', Description: 'isolation', VpcId: vpc.vpcId }));
    const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [created.GroupId ?? ''] }));
    expect(SecurityGroups?.[0]?.IpPermissions).toEqual([]);
    expect(SecurityGroups?.[0]?.IpPermissionsEgress).toEqual([
      { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] },
    ]);
  });

  it('adds ::/0 egress too when the VPC has IPv6, and revoking both leaves no egress', async () => {
    const vpc = sandbox.createVpc({ accountId: ACCT, region: REGION, ipv6: true });
    const ec2 = sandbox.ec2(ACCT, REGION);
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'iso6', Description: 'isolation', VpcId: vpc.vpcId }));
    const before = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId ?? ''] }));
    expect(before.SecurityGroups?.[0]?.IpPermissionsEgress).toEqual([
      { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }], PrefixListIds: [], UserIdGroupPairs: [] },
    ]);

    const revoked = await ec2.send(
      new RevokeSecurityGroupEgressCommand({ GroupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] }] }),
    );
    expect(revoked.RevokedSecurityGroupRules).toHaveLength(2);
    const after = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId ?? ''] }));
    expect(after.SecurityGroups?.[0]?.IpPermissionsEgress).toEqual([]);

    // Revoking what is no longer there is an error, as in EC2.
    const err = await rejection(ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] })));
    expect(err.name).toBe('InvalidPermission.NotFound');
  });

  it('refuses a duplicate ingress rule and keeps rules per interface', async () => {
    const inst = sandbox.createInstance({ accountId: ACCT, region: REGION, enis: 2 });
    const ec2 = sandbox.ec2(ACCT, REGION);
    const groupId = inst.securityGroupIds[0]?.[0] ?? '';
    const err = await rejection(
      ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] })),
    );
    expect(err.name).toBe('InvalidPermission.Duplicate');
    const { NetworkInterfaces } = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [inst.instanceId] }] }));
    expect(NetworkInterfaces?.map((e) => e.Groups?.map((g) => g.GroupId))).toEqual(inst.securityGroupIds);
  });

  it('refuses ModifyInstanceAttribute Groups on a multi-ENI instance, accepts it per interface', async () => {
    const inst = sandbox.createInstance({ accountId: ACCT, region: REGION, enis: 2 });
    const ec2 = sandbox.ec2(ACCT, REGION);
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'quarantine', Description: 'q', VpcId: inst.vpcId }));
    const gid = GroupId ?? '';

    const err = await rejection(ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: inst.instanceId, Groups: [gid] })));
    expect(err.name).toBe('InvalidInstanceID');
    expect(err.message).toBe(`There are multiple interfaces attached to instance '${inst.instanceId}'. Please specify an interface ID for the operation instead.`);
    expect(err.$metadata.httpStatusCode).toBe(400);

    for (const eni of inst.networkInterfaceIds) {
      await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: [gid] }));
    }
    const { NetworkInterfaces } = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: inst.networkInterfaceIds }));
    expect(NetworkInterfaces?.map((e) => e.Groups?.map((g) => g.GroupId))).toEqual([[gid], [gid]]);
  });

  it('accepts ModifyInstanceAttribute Groups on a single-ENI instance, one attribute per call', async () => {
    const inst = sandbox.createInstance({ accountId: ACCT, region: REGION, enis: 1 });
    const ec2 = sandbox.ec2(ACCT, REGION);
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'quarantine', Description: 'q', VpcId: inst.vpcId }));
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: inst.instanceId, Groups: [GroupId ?? ''] }));
    const attr = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: inst.instanceId, Attribute: 'groupSet' }));
    expect(attr.Groups?.map((g) => g.GroupId)).toEqual([GroupId]);

    const both = await rejection(
      ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: inst.instanceId, DisableApiTermination: { Value: true }, InstanceInitiatedShutdownBehavior: { Value: 'stop' } })),
    );
    expect(both.name).toBe('InvalidParameterCombination');

    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: inst.instanceId, DisableApiTermination: { Value: true } }));
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: inst.instanceId, InstanceInitiatedShutdownBehavior: { Value: 'terminate' } }));
    const term = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: inst.instanceId, Attribute: 'disableApiTermination' }));
    const shutdown = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: inst.instanceId, Attribute: 'instanceInitiatedShutdownBehavior' }));
    expect(term.DisableApiTermination?.Value).toBe(true);
    expect(shutdown.InstanceInitiatedShutdownBehavior?.Value).toBe('terminate');
  });

  it('answers DryRun with DryRunOperation when permitted, and changes nothing', async () => {
    const inst = sandbox.createInstance({ accountId: ACCT, region: REGION });
    const ec2 = sandbox.ec2(ACCT, REGION);
    const before = sandbox.snapshotState(ACCT);

    const err = await rejection(ec2.send(new ModifyInstanceAttributeCommand({ DryRun: true, InstanceId: inst.instanceId, DisableApiTermination: { Value: true } })));
    expect(err.name).toBe('DryRunOperation');
    expect(err.message).toBe('Request would have succeeded, but DryRun flag is set.');
    expect(err.$metadata.httpStatusCode).toBe(412);

    const snap = await rejection(ec2.send(new CreateSnapshotCommand({ DryRun: true, VolumeId: inst.volumeIds[0] })));
    expect(snap.name).toBe('DryRunOperation');

    expect(sandbox.snapshotState(ACCT)).toEqual(before);
    expect(sandbox.mutations()).toEqual([]);
    expect(sandbox.calls({ command: 'ModifyInstanceAttribute' })[0]).toMatchObject({ dryRun: true, outcome: 'DryRunOperation', mutating: true });
  });

  it('answers DryRun with the validation error a real call would get', async () => {
    const ec2 = sandbox.ec2(ACCT, REGION);
    const err = await rejection(ec2.send(new ModifyInstanceAttributeCommand({ DryRun: true, InstanceId: 'i-0123456789abcdef0', DisableApiTermination: { Value: true } })));
    expect(err.name).toBe('InvalidInstanceID.NotFound');
  });

  it('answers DryRun with UnauthorizedOperation when an identity policy denies the action', async () => {
    const inst = sandbox.createInstance({ accountId: ACCT, region: REGION });
    sandbox.createRole(ACCT, 'responder', {
      inlinePolicies: { 'no-modify': { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'ec2:ModifyInstanceAttribute', Resource: '*' }] } },
    });
    const ec2 = sandbox.ec2(ACCT, REGION, { principal: `arn:aws:iam::${ACCT}:role/responder` });
    const before = sandbox.snapshotState(ACCT);

    const err = await rejection(ec2.send(new ModifyInstanceAttributeCommand({ DryRun: true, InstanceId: inst.instanceId, DisableApiTermination: { Value: true } })));
    expect(err.name).toBe('UnauthorizedOperation');
    expect(err.$metadata.httpStatusCode).toBe(403);
    expect(sandbox.snapshotState(ACCT)).toEqual(before);

    // The same principal may still do what is not denied.
    const ok = await rejection(ec2.send(new CreateSnapshotCommand({ DryRun: true, VolumeId: inst.volumeIds[0] })));
    expect(ok.name).toBe('DryRunOperation');
  });

  it('requires an Allow under full IAM enforcement, so a read-only role gets UnauthorizedOperation on DryRun', async () => {
    const strict = new AwsSandbox({ iamEnforcement: 'full' });
    const inst = strict.createInstance({ accountId: ACCT, region: REGION });
    strict.createRole(ACCT, 'auditor', { attachedPolicyArns: ['arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess'] });
    const ec2 = strict.ec2(ACCT, REGION, { principal: `arn:aws:iam::${ACCT}:role/auditor` });
    await expect(ec2.send(new DescribeInstancesCommand({ InstanceIds: [inst.instanceId] }))).resolves.toBeDefined();
    const err = await rejection(ec2.send(new ModifyInstanceAttributeCommand({ DryRun: true, InstanceId: inst.instanceId, DisableApiTermination: { Value: true } })));
    expect(err.name).toBe('UnauthorizedOperation');
    expect(err.message).toContain('no identity-based policy allows the ec2:ModifyInstanceAttribute action');
  });

  it('authorizes each resource a request names: the interface and every group, as AWS evaluates each pair', async () => {
    const strict = new AwsSandbox({ iamEnforcement: 'full' });
    const inst = strict.createInstance({ accountId: ACCT, region: REGION });
    const vpc = inst.vpcId;
    const admin = strict.ec2(ACCT, REGION);
    const quarantine = (await admin.send(new CreateSecurityGroupCommand({ GroupName: 'q', Description: 'q', VpcId: vpc }))).GroupId!;
    const other = (await admin.send(new CreateSecurityGroupCommand({ GroupName: 'o', Description: 'o', VpcId: vpc }))).GroupId!;
    const eni = (await admin.send(new DescribeInstancesCommand({ InstanceIds: [inst.instanceId] }))).Reservations![0]!.Instances![0]!.NetworkInterfaces![0]!.NetworkInterfaceId!;
    const allow = (resources: string[]) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Action: 'ec2:ModifyNetworkInterfaceAttribute', Resource: resources }] });
    const sgArn = (g: string) => `arn:aws:ec2:${REGION}:${ACCT}:security-group/${g}`;

    // Allowed on interfaces only: a request that also names a group is refused for the group.
    strict.createRole(ACCT, 'eni-only', { inlinePolicies: { p: allow([`arn:aws:ec2:${REGION}:${ACCT}:network-interface/*`]) } });
    const eniOnly = strict.ec2(ACCT, REGION, { principal: `arn:aws:iam::${ACCT}:role/eni-only` });
    const before = strict.snapshotState(ACCT);
    const refused = await rejection(eniOnly.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: [quarantine] })));
    expect(refused.name).toBe('UnauthorizedOperation');
    expect(strict.snapshotState(ACCT)).toEqual(before);

    // Allowed on interfaces and on one group: naming another group as well is refused.
    strict.createRole(ACCT, 'one-group', { inlinePolicies: { p: allow([`arn:aws:ec2:${REGION}:${ACCT}:network-interface/*`, sgArn(quarantine)]) } });
    const oneGroup = strict.ec2(ACCT, REGION, { principal: `arn:aws:iam::${ACCT}:role/one-group` });
    expect((await rejection(oneGroup.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: [quarantine, other] })))).name).toBe('UnauthorizedOperation');
    await oneGroup.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: [quarantine] }));
    const groups = (await admin.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }))).NetworkInterfaces![0]!.Groups!.map((g) => g.GroupId);
    expect(groups).toEqual([quarantine]);

    // An explicit deny of one named group refuses the request, though everything is allowed.
    strict.createRole(ACCT, 'deny-other', {
      inlinePolicies: { p: { Version: '2012-10-17', Statement: [...allow(['*']).Statement, { Effect: 'Deny', Action: 'ec2:*', Resource: sgArn(other) }] } },
    });
    const denyOther = strict.ec2(ACCT, REGION, { principal: `arn:aws:iam::${ACCT}:role/deny-other` });
    const denied = await rejection(denyOther.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: [quarantine, other] })));
    expect(denied.name).toBe('UnauthorizedOperation');
    expect(denied.message).toContain('explicit deny');
  });

  it('builds ARNs in the account\'s partition, and a policy for another partition grants nothing there', async () => {
    const GOV = '444455556666';
    const region = 'us-gov-west-1';
    const strict = new AwsSandbox({ iamEnforcement: 'full', accountPartitions: { [GOV]: 'aws-us-gov' } });
    const inst = strict.createInstance({ accountId: GOV, region });
    const admin = strict.ec2(GOV, region);
    const sg = (await admin.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups!.find((g) => g.VpcId === inst.vpcId)!;
    expect(sg.SecurityGroupArn).toBe(`arn:aws-us-gov:ec2:${region}:${GOV}:security-group/${sg.GroupId}`);

    const modify = (Resource: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Action: 'ec2:ModifyInstanceAttribute', Resource }] });
    strict.createRole(GOV, 'commercial', { inlinePolicies: { p: modify('arn:aws:ec2:*:*:instance/*') } });
    strict.createRole(GOV, 'gov', { inlinePolicies: { p: modify('arn:aws-us-gov:ec2:*:*:instance/*') } });
    const call = new ModifyInstanceAttributeCommand({ DryRun: true, InstanceId: inst.instanceId, DisableApiTermination: { Value: true } });
    expect((await rejection(strict.ec2(GOV, region, { principal: `arn:aws-us-gov:iam::${GOV}:role/commercial` }).send(call))).name).toBe('UnauthorizedOperation');
    expect((await rejection(strict.ec2(GOV, region, { principal: `arn:aws-us-gov:iam::${GOV}:role/gov` }).send(call))).name).toBe('DryRunOperation');
  });

  it('reports unknown and malformed ids with the real error codes', async () => {
    const ec2 = sandbox.ec2(ACCT, REGION);
    expect((await rejection(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })))).name).toBe('InvalidInstanceID.NotFound');
    expect((await rejection(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['web-1'] })))).name).toBe('InvalidInstanceID.Malformed');
    expect((await rejection(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] })))).name).toBe('InvalidGroup.NotFound');
    expect((await rejection(ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: 'eni-0123456789abcdef0', Groups: ['sg-0123456789abcdef0'] })))).name).toBe(
      'InvalidNetworkInterfaceID.NotFound',
    );
    expect((await rejection(ec2.send(new CreateSnapshotCommand({ VolumeId: 'vol-0123456789abcdef0' })))).name).toBe('InvalidVolume.NotFound');
  });

  it('keeps snapshots with their tags, and refuses to delete a group in use', async () => {
    const inst = sandbox.createInstance({ accountId: ACCT, region: REGION, volumes: 2 });
    const ec2 = sandbox.ec2(ACCT, REGION);
    for (const volumeId of inst.volumeIds) {
      const snap = await ec2.send(
        new CreateSnapshotCommand({ VolumeId: volumeId, TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'cordon:case', Value: 'IR-1' }] }] }),
      );
      expect(snap.State).toBe('pending');
    }
    const { Snapshots } = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag:cordon:case', Values: ['IR-1'] }] }));
    expect(Snapshots?.map((s) => s.VolumeId).sort()).toEqual([...inst.volumeIds].sort());
    expect(Snapshots?.every((s) => s.State === 'completed')).toBe(true);

    await ec2.send(new CreateTagsCommand({ Resources: [inst.instanceId], Tags: [{ Key: 'cordon:case', Value: 'IR-1' }] }));
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:cordon:case', Values: ['IR-*'] }] }));
    expect(Reservations?.[0]?.Instances?.[0]?.InstanceId).toBe(inst.instanceId);

    const inUse = await rejection(ec2.send(new DeleteSecurityGroupCommand({ GroupId: inst.securityGroupIds[0]?.[0] })));
    expect(inUse.name).toBe('DependencyViolation');
  });
});

describe('EC2 sandbox: behaviours containment must survive', () => {
  it('refuses termination protection on a Spot Instance with the real error, and says it is Spot', async () => {
    const sandbox = new AwsSandbox({ seed: 7 });
    const spot = sandbox.createInstance({ accountId: ACCT, region: REGION, spot: true });
    const ondemand = sandbox.createInstance({ accountId: ACCT, region: REGION });
    const ec2 = sandbox.ec2(ACCT, REGION, { maxAttempts: 1 });
    const err = await rejection(ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: spot.instanceId, DisableApiTermination: { Value: true } })));
    expect([err.name, err.message]).toEqual(['UnsupportedOperation', "Modifying 'disableApiTermination' is not supported for spot instances."]);
    await expect(ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: spot.instanceId, Attribute: 'disableApiTermination', Value: 'true' }))).rejects.toMatchObject({ name: 'UnsupportedOperation' });
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: ondemand.instanceId, DisableApiTermination: { Value: true } }));
    expect(sandbox.snapshotState(ACCT).regions[REGION]!.ec2.instances[spot.instanceId]!.disableApiTermination).toBe(false);
    const lifecycle = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [spot.instanceId, ondemand.instanceId] }))).Reservations!.flatMap((r) => r.Instances!).map((i) => [i.InstanceId, i.InstanceLifecycle]);
    expect(lifecycle).toEqual(expect.arrayContaining([[spot.instanceId, 'spot'], [ondemand.instanceId, undefined]]));
  });

  it('hides a new security group from other calls for the configured time (eventual consistency), then finds it', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const sandbox = new AwsSandbox({ seed: 7, clock: () => clock, groupVisibilityDelayMs: 2000 });
    const inst = sandbox.createInstance({ accountId: ACCT, region: REGION });
    const ec2 = sandbox.ec2(ACCT, REGION, { maxAttempts: 1 });
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'fresh', Description: 'fresh', VpcId: inst.vpcId }));
    const eni = inst.networkInterfaceIds[0]!;
    for (const call of [
      () => ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: [GroupId!] })),
      () => ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] })),
      () => ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId!] })),
    ]) {
      await expect(call()).rejects.toMatchObject({ name: 'InvalidGroup.NotFound' });
    }
    // The name is taken at once, though: a second create is a duplicate.
    await expect(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'fresh', Description: 'fresh', VpcId: inst.vpcId }))).rejects.toMatchObject({ name: 'InvalidGroup.Duplicate' });
    clock += 2000;
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: [GroupId!] }));
    expect(sandbox.snapshotState(ACCT).regions[REGION]!.ec2.networkInterfaces[eni]!.groupIds).toEqual([GroupId]);
  });

  it('attaches interfaces from another VPC in the same AZ, each with groups of its own VPC only', async () => {
    const sandbox = new AwsSandbox({ seed: 7 });
    const other = sandbox.createVpc({ accountId: ACCT, region: REGION });
    const inst = sandbox.createInstance({ accountId: ACCT, region: REGION, enis: 2, interfaceVpcIds: [undefined, other.vpcId] });
    const late = sandbox.attachInterface({ accountId: ACCT, region: REGION, instanceId: inst.instanceId, vpcId: other.vpcId });
    const ec2 = sandbox.ec2(ACCT, REGION, { maxAttempts: 1 });
    const described = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [inst.instanceId] }))).Reservations![0]!.Instances![0]!;
    expect(described.NetworkInterfaces!.map((n) => n.VpcId)).toEqual([inst.vpcId, other.vpcId, other.vpcId]);
    // A group of the instance's VPC does not fit the interface from the other VPC.
    await expect(ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: late.networkInterfaceId, Groups: [inst.securityGroupIds[0]![0]!] }))).rejects.toMatchObject({ name: 'InvalidGroup.NotFound' });
  });

  it('fails the n-th call of a command when asked to let the first ones through', async () => {
    const sandbox = new AwsSandbox({ seed: 7 });
    const inst = sandbox.createInstance({ accountId: ACCT, region: REGION });
    const ec2 = sandbox.ec2(ACCT, REGION, { maxAttempts: 1 });
    sandbox.failCall('CreateTags', { code: 'UnauthorizedOperation', after: 1, times: 1 });
    const tag = (v: string) => ec2.send(new CreateTagsCommand({ Resources: [inst.instanceId], Tags: [{ Key: 'k', Value: v }] }));
    await tag('1');
    await expect(tag('2')).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    await tag('3');
    expect(sandbox.snapshotState(ACCT).regions[REGION]!.ec2.instances[inst.instanceId]!.tags).toEqual([{ Key: 'k', Value: '3' }]);
  });
});
