import {
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeInstanceAttributeCommand,
  DescribeNetworkInterfacesCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupEgressCommand,
} from '@aws-sdk/client-ec2';
import { AttachUserPolicyCommand, DetachUserPolicyCommand, IAMClient, ListAccessKeysCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { AWS_DENY_ALL_ARN, AwsSandbox } from '../../../../sandbox/aws';

const ACCT = '123412341234';
const REGION = 'us-east-1';

/** A Cordon-like EC2 containment: groups per interface, attributes, isolation group without egress. */
async function containInstance(ec2: EC2Client, instanceId: string, vpcId: string): Promise<() => Promise<void>> {
  const { NetworkInterfaces = [] } = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] }));
  const prior = NetworkInterfaces.map((e) => ({ id: e.NetworkInterfaceId ?? '', groups: (e.Groups ?? []).map((g) => g.GroupId ?? '') }));
  const term = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'disableApiTermination' }));
  const shutdown = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'instanceInitiatedShutdownBehavior' }));

  const { GroupId = '' } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: `cordon-isolation-${instanceId}`, Description: 'isolation', VpcId: vpcId }));
  const allEgress = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] }];
  await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId, IpPermissions: allEgress }));
  await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, DisableApiTermination: { Value: true } }));
  await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, InstanceInitiatedShutdownBehavior: { Value: 'stop' } }));
  for (const eni of prior) await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni.id, Groups: [GroupId] }));

  return async () => {
    for (const eni of [...prior].reverse()) await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni.id, Groups: eni.groups }));
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, DisableApiTermination: { Value: term.DisableApiTermination?.Value ?? false } }));
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, InstanceInitiatedShutdownBehavior: { Value: shutdown.InstanceInitiatedShutdownBehavior?.Value ?? 'stop' } }));
    // Put the egress back in the other order than AWS created it: the snapshot must not care.
    await ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId, IpPermissions: [{ IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }] }));
    await ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId }));
  };
}

describe('snapshotState', () => {
  it('deep-equals before and after an exact revert, and differs in between', async () => {
    const sandbox = new AwsSandbox({ seed: 21 });
    const inst = sandbox.createInstance({ accountId: ACCT, region: REGION, enis: 3, ipv6: true, volumes: 2, tags: { Owner: 'ops@example.com' } });
    sandbox.createUser(ACCT, 'eve');
    sandbox.createAccessKey(ACCT, 'eve');
    sandbox.createAccessKey(ACCT, 'eve', { status: 'Inactive' });
    const before = sandbox.snapshotState(ACCT);

    const ec2 = sandbox.ec2(ACCT, REGION);
    const iam: IAMClient = sandbox.iam(ACCT);
    const revertInstance = await containInstance(ec2, inst.instanceId, inst.vpcId);
    await iam.send(new AttachUserPolicyCommand({ UserName: 'eve', PolicyArn: AWS_DENY_ALL_ARN }));
    const keys = (await iam.send(new ListAccessKeysCommand({ UserName: 'eve' }))).AccessKeyMetadata ?? [];
    const active = keys.filter((k) => k.Status === 'Active');
    for (const k of active) await iam.send(new UpdateAccessKeyCommand({ UserName: 'eve', AccessKeyId: k.AccessKeyId, Status: 'Inactive' }));

    const during = sandbox.snapshotState(ACCT);
    expect(during).not.toEqual(before);
    expect(during.regions[REGION]?.ec2.networkInterfaces[inst.networkInterfaceIds[1] ?? '']?.groupIds).toHaveLength(1);

    await revertInstance();
    await iam.send(new DetachUserPolicyCommand({ UserName: 'eve', PolicyArn: AWS_DENY_ALL_ARN }));
    for (const k of active) await iam.send(new UpdateAccessKeyCommand({ UserName: 'eve', AccessKeyId: k.AccessKeyId, Status: 'Active' }));

    expect(sandbox.snapshotState(ACCT)).toEqual(before);
  });

  it('catches a revert that is not exact', async () => {
    const sandbox = new AwsSandbox();
    const inst = sandbox.createInstance({ accountId: ACCT, region: REGION, enis: 2 });
    const before = sandbox.snapshotState(ACCT);
    const ec2 = sandbox.ec2(ACCT, REGION);
    // Swapping the groups of the two interfaces keeps the same set of groups overall.
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: inst.networkInterfaceIds[0], Groups: inst.securityGroupIds[1] }));
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: inst.networkInterfaceIds[1], Groups: inst.securityGroupIds[0] }));
    expect(sandbox.snapshotState(ACCT)).not.toEqual(before);
  });

  it('is a detached, JSON-serializable copy', async () => {
    const sandbox = new AwsSandbox();
    const inst = sandbox.createInstance({ accountId: ACCT, region: REGION });
    const snap = sandbox.snapshotState(ACCT);
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    const eni = snap.regions[REGION]?.ec2.networkInterfaces[inst.networkInterfaceIds[0] ?? ''];
    eni?.groupIds.push('sg-0000000000000000f');
    expect(sandbox.snapshotState(ACCT)).not.toEqual(snap);
    // Reads in a region with nothing in it do not show up as a change.
    const before = sandbox.snapshotState(ACCT);
    await sandbox.ec2(ACCT, 'ap-southeast-2').send(new DescribeNetworkInterfacesCommand({}));
    expect(sandbox.snapshotState(ACCT)).toEqual(before);
    expect(sandbox.snapshotState(ACCT, { keepRuleIds: true }).regions[REGION]?.ec2.securityGroups[inst.securityGroupIds[0]?.[0] ?? '']?.egress[0]?.ruleId).toMatch(/^sgr-/);
  });
});
