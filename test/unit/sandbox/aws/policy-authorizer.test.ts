import { CreateSecurityGroupCommand, CreateSnapshotCommand, DeleteTagsCommand, ModifyInstanceAttributeCommand } from '@aws-sdk/client-ec2';
import { CreateFilterCommand } from '@aws-sdk/client-guardduty';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AwsSandbox, type PolicyAuthorizerRequest, type PolicyVerdict } from '../../../../sandbox/aws';

const ACCT = '111122223333';
const REGION = 'eu-west-1';

/** The hook a test plugs an IAM evaluator into: what the sandbox asks it, and how a refusal is answered. */
describe('AwsSandbox.setPolicyAuthorizer', () => {
  function setup(decide: (r: PolicyAuthorizerRequest) => PolicyVerdict['decision'] = () => 'allow') {
    const sb = new AwsSandbox({ seed: 3 });
    const asked: PolicyAuthorizerRequest[] = [];
    sb.setPolicyAuthorizer((r) => {
      asked.push(r);
      return Promise.resolve({ decision: decide(r) });
    });
    return { sb, asked };
  }
  const resources = (r: PolicyAuthorizerRequest) => Object.fromEntries(r.resources.map((x) => [x.arn, x.context]));

  it('ModifyInstanceAttribute: the instance with its tags and ec2:Attribute as the request names it', async () => {
    // Denied (the sandbox does not simulate a userData change; the authorizer is asked before the handler runs).
    const { sb, asked } = setup(() => 'explicit-deny');
    const inst = sb.createInstance({ accountId: ACCT, region: REGION, tags: { team: 'web' } });
    await expect(sb.ec2(ACCT, REGION, { maxAttempts: 1 }).send(new ModifyInstanceAttributeCommand({ InstanceId: inst.instanceId, UserData: { Value: new TextEncoder().encode('x') } }))).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    expect(asked.map((r) => r.action)).toEqual(['ec2:ModifyInstanceAttribute']);
    expect(resources(asked[0]!)).toEqual({
      [`arn:aws:ec2:${REGION}:${ACCT}:instance/${inst.instanceId}`]: { 'aws:ResourceTag/team': 'web', 'ec2:ResourceTag/team': 'web', 'ec2:Attribute': 'userData' },
    });
  });

  it('CreateSecurityGroup: request tags on the new group only, the VPC with its own tags, and ec2:CreateTags with ec2:CreateAction for the tags given', async () => {
    const { sb, asked } = setup();
    const vpc = sb.createVpc({ accountId: ACCT, region: REGION, tags: { env: 'prod' } });
    await sb.ec2(ACCT, REGION).send(new CreateSecurityGroupCommand({ GroupName: 'g', Description: 'g', VpcId: vpc.vpcId, TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'cordon:purpose', Value: 'isolation' }] }] }));
    expect(asked.map((r) => [r.action, r.context])).toEqual([
      ['ec2:CreateSecurityGroup', {}],
      ['ec2:CreateTags', { 'ec2:CreateAction': 'CreateSecurityGroup' }],
    ]);
    const requestTags = { 'aws:RequestTag/cordon:purpose': 'isolation', 'aws:TagKeys': ['cordon:purpose'] };
    expect(resources(asked[0]!)).toEqual({
      [`arn:aws:ec2:${REGION}:${ACCT}:security-group/*`]: requestTags,
      [`arn:aws:ec2:${REGION}:${ACCT}:vpc/${vpc.vpcId}`]: { 'aws:ResourceTag/env': 'prod', 'ec2:ResourceTag/env': 'prod' },
    });
    expect(resources(asked[1]!)).toEqual({ [`arn:aws:ec2:${REGION}:${ACCT}:security-group/*`]: requestTags });
  });

  it('CreateSnapshot: the volume without request tags, the snapshot (no account in its ARN) with them', async () => {
    const { sb, asked } = setup();
    const inst = sb.createInstance({ accountId: ACCT, region: REGION, volumes: 1 });
    await sb.ec2(ACCT, REGION).send(new CreateSnapshotCommand({ VolumeId: inst.volumeIds[0]!, TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'cordon:case', Value: 'C1' }] }] }));
    expect(resources(asked[0]!)).toEqual({
      [`arn:aws:ec2:${REGION}:${ACCT}:volume/${inst.volumeIds[0]!}`]: {},
      [`arn:aws:ec2:${REGION}::snapshot/*`]: { 'aws:RequestTag/cordon:case': 'C1', 'aws:TagKeys': ['cordon:case'] },
    });
  });

  it('GuardDuty CreateFilter is authorized on the filter, not the detector', async () => {
    const { sb, asked } = setup();
    const detector = sb.createDetector(ACCT, REGION);
    await sb.guardduty(ACCT, REGION).send(new CreateFilterCommand({ DetectorId: detector, Name: 'cordon-s-1', Action: 'ARCHIVE', FindingCriteria: { Criterion: { type: { Equals: ['x'] } } } }));
    expect(asked.map((r) => r.resources.map((x) => x.arn))).toEqual([[`arn:aws:guardduty:${REGION}:${ACCT}:detector/${detector}/filter/cordon-s-1`]]);
  });

  it('a refusal is answered as the service answers it, with no state change; EC2 authorizes a DryRun before DryRunOperation', async () => {
    const { sb } = setup((r) => (r.action === 'ec2:DeleteTags' ? 'implicit-deny' : r.action === 'iam:PutRolePolicy' ? 'explicit-deny' : 'allow'));
    const inst = sb.createInstance({ accountId: ACCT, region: REGION, tags: { team: 'web' } });
    sb.createRole(ACCT, 'app');
    const before = sb.snapshotState(ACCT);
    const ec2 = sb.ec2(ACCT, REGION, { maxAttempts: 1 });
    await expect(ec2.send(new DeleteTagsCommand({ Resources: [inst.instanceId] }))).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    await expect(ec2.send(new DeleteTagsCommand({ Resources: [inst.instanceId], DryRun: true }))).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    await expect(sb.iam(ACCT, { maxAttempts: 1 }).send(new PutRolePolicyCommand({ RoleName: 'app', PolicyName: 'p', PolicyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}' }))).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining('explicit deny') as unknown,
    });
    expect(sb.snapshotState(ACCT)).toEqual(before);
    // Off again: the sandbox's own rules only.
    sb.setPolicyAuthorizer(undefined);
    await ec2.send(new DeleteTagsCommand({ Resources: [inst.instanceId] }));
    expect(sb.snapshotState(ACCT).regions[REGION]!.ec2.instances[inst.instanceId]!.tags).toEqual([]);
  });
});
