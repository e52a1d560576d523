import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, AssumeRoleCommandInput, GetCallerIdentityCommand, STSServiceException } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { AwsSandbox } from '../../../../sandbox/aws';

const HUB = '111111111111';
const MEMBER = '222222222222';
const REGION = 'us-east-1';
const HUB_ROLE = `arn:aws:iam::${HUB}:role/cordon`;
const MEMBER_ROLE = `arn:aws:iam::${MEMBER}:role/cordon-containment`;
const EXTERNAL_ID = 'cordon-ext-7f3a';

async function rejection(p: Promise<unknown>): Promise<STSServiceException | Error> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

function assume(extra: Partial<AssumeRoleCommandInput> = {}): AssumeRoleCommand {
  return new AssumeRoleCommand({ RoleArn: MEMBER_ROLE, RoleSessionName: 'cordon-A1', ExternalId: EXTERNAL_ID, ...extra });
}

describe('STS sandbox', () => {
  let sandbox: AwsSandbox;
  let now: number;

  beforeEach(() => {
    // Near real time: the SDK caches assumed credentials against the real clock.
    now = Date.now();
    sandbox = new AwsSandbox({ seed: 11, clock: () => now });
    sandbox.createMemberRole(MEMBER, 'cordon-containment', { trustedPrincipalArn: HUB_ROLE, externalId: EXTERNAL_ID });
  });

  it('checks the external id: wrong or missing is AccessDenied, right returns expiring credentials', async () => {
    const sts = sandbox.sts(HUB, { principal: HUB_ROLE, maxAttempts: 1 });
    const wrong = await rejection(sts.send(assume({ ExternalId: 'guess' })));
    expect(wrong).toBeInstanceOf(STSServiceException);
    expect(wrong.name).toBe('AccessDenied');
    expect(wrong.message).toContain(`is not authorized to perform: sts:AssumeRole on resource: ${MEMBER_ROLE}`);
    const missing = await rejection(sts.send(assume({ ExternalId: undefined })));
    expect(missing.name).toBe('AccessDenied');

    const ok = await sts.send(assume());
    expect(ok.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(ok.Credentials?.Expiration?.getTime()).toBe(now + 3600 * 1000);
    expect(ok.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${MEMBER}:assumed-role/cordon-containment/cordon-A1`);
  });

  it('refuses principals the trust policy does not name, and root', async () => {
    const other = sandbox.sts(HUB, { principal: `arn:aws:iam::${HUB}:role/someone-else`, maxAttempts: 1 });
    expect((await rejection(other.send(assume()))).name).toBe('AccessDenied');
    const root = sandbox.sts(HUB, { principal: `arn:aws:iam::${HUB}:root`, maxAttempts: 1 });
    const rootErr = await rejection(root.send(assume()));
    expect(rootErr.message).toBe('Roles may not be assumed by root accounts.');
  });

  it('lets a client holding the assumed credentials act in the member account', async () => {
    const memberInstance = sandbox.createInstance({ accountId: MEMBER, region: REGION });
    sandbox.createInstance({ accountId: HUB, region: REGION });
    const sts = sandbox.sts(HUB, { principal: HUB_ROLE });
    const { Credentials } = await sts.send(assume({ Tags: [{ Key: 'slack-user', Value: 'U024BE7LH' }] }));

    const asMember = sandbox.ec2(HUB, REGION, {
      credentials: { accessKeyId: Credentials?.AccessKeyId ?? '', secretAccessKey: Credentials?.SecretAccessKey ?? '', sessionToken: Credentials?.SessionToken ?? '' },
    });
    const { Reservations } = await asMember.send(new DescribeInstancesCommand({}));
    expect(Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId)).toEqual([memberInstance.instanceId]);

    const describe = sandbox.calls({ command: 'DescribeInstances' })[0];
    expect(describe).toMatchObject({ accountId: MEMBER, sessionName: 'cordon-A1', principal: `arn:aws:sts::${MEMBER}:assumed-role/cordon-containment/cordon-A1` });
    expect(sandbox.calls({ command: 'AssumeRole' })[0]?.input).toMatchObject({ RoleSessionName: 'cordon-A1', Tags: [{ Key: 'slack-user', Value: 'U024BE7LH' }] });
  });

  it('works through fromTemporaryCredentials, whose STS call goes to the sandbox too', async () => {
    const memberInstance = sandbox.createInstance({ accountId: MEMBER, region: REGION });
    const credentials = fromTemporaryCredentials({
      masterCredentials: sandbox.credentialsFor(HUB, HUB_ROLE),
      params: { RoleArn: MEMBER_ROLE, RoleSessionName: 'cordon-A2', ExternalId: EXTERNAL_ID },
      clientConfig: { region: REGION },
      clientPlugins: [sandbox.plugin()],
    });
    const ec2 = sandbox.attach(new EC2Client({ region: REGION, credentials }));
    const first = await ec2.send(new DescribeInstancesCommand({}));
    await ec2.send(new DescribeInstancesCommand({}));
    expect(first.Reservations?.[0]?.Instances?.[0]?.InstanceId).toBe(memberInstance.instanceId);
    // Cached: one AssumeRole for two calls.
    expect(sandbox.calls({ command: 'AssumeRole' })).toHaveLength(1);
    expect(sandbox.calls({ command: 'DescribeInstances' }).every((c) => c.accountId === MEMBER && c.sessionName === 'cordon-A2')).toBe(true);

    const viaHelper = sandbox.ec2(HUB, REGION, { credentials: sandbox.assumeRoleCredentials(HUB, { roleArn: MEMBER_ROLE, externalId: EXTERNAL_ID }, { principal: HUB_ROLE }) });
    const who = await viaHelper.send(new DescribeInstancesCommand({}));
    expect(who.Reservations).toHaveLength(1);
  });

  it('needs sts:TagSession in the trust policy to pass session tags, and valid tag characters', async () => {
    sandbox.createMemberRole(MEMBER, 'no-tags', { trustedPrincipalArn: HUB_ROLE, externalId: EXTERNAL_ID, allowTagSession: false });
    const sts = sandbox.sts(HUB, { principal: HUB_ROLE, maxAttempts: 1 });
    const roleArn = `arn:aws:iam::${MEMBER}:role/no-tags`;
    await expect(sts.send(assume({ RoleArn: roleArn }))).resolves.toBeDefined();
    const tagged = await rejection(sts.send(assume({ RoleArn: roleArn, Tags: [{ Key: 'slack-user', Value: 'U1' }] })));
    expect(tagged.name).toBe('AccessDenied');
    expect(tagged.message).toContain('sts:TagSession');

    const badValue = await rejection(sts.send(assume({ Tags: [{ Key: 'slack-name', Value: 'Zoë <admin>' }] })));
    expect(badValue.name).toBe('ValidationError');
  });

  it('caps role chaining at one hour', async () => {
    const sts = sandbox.sts(HUB, { principal: HUB_ROLE, maxAttempts: 1 });
    const err = await rejection(sts.send(assume({ DurationSeconds: 7200 })));
    expect(err.name).toBe('ValidationError');
    expect(err.message).toContain('role chaining');
  });

  it('revokes sessions issued before an aws:TokenIssueTime deny, not later ones', async () => {
    const sts = sandbox.sts(HUB, { principal: HUB_ROLE, maxAttempts: 1 });
    const old = (await sts.send(assume())).Credentials;
    const oldClient = sandbox.sts(HUB, { maxAttempts: 1, credentials: { accessKeyId: old?.AccessKeyId ?? '', secretAccessKey: 'x', sessionToken: old?.SessionToken ?? '' } });
    const oldEc2 = sandbox.ec2(HUB, REGION, { maxAttempts: 1, credentials: { accessKeyId: old?.AccessKeyId ?? '', secretAccessKey: 'x', sessionToken: old?.SessionToken ?? '' } });
    await expect(oldEc2.send(new DescribeInstancesCommand({}))).resolves.toBeDefined();

    now += 60_000;
    const revoke = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': new Date(now).toISOString() } } }],
    };
    await sandbox.iam(MEMBER).send(new PutRolePolicyCommand({ RoleName: 'cordon-containment', PolicyName: 'cordon-revoke', PolicyDocument: JSON.stringify(revoke) }));

    const denied = await rejection(oldEc2.send(new DescribeInstancesCommand({})));
    expect(denied.name).toBe('UnauthorizedOperation');
    await expect(oldClient.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({ Account: MEMBER });

    now += 1_000;
    const fresh = (await sts.send(assume({ RoleSessionName: 'cordon-A3' }))).Credentials;
    const freshEc2 = sandbox.ec2(HUB, REGION, { credentials: { accessKeyId: fresh?.AccessKeyId ?? '', secretAccessKey: 'x', sessionToken: fresh?.SessionToken ?? '' } });
    await expect(freshEc2.send(new DescribeInstancesCommand({}))).resolves.toBeDefined();
  });

  it('expires sessions on the sandbox clock and checks the session token', async () => {
    const sts = sandbox.sts(HUB, { principal: HUB_ROLE, maxAttempts: 1 });
    const creds = (await sts.send(assume({ DurationSeconds: 900 }))).Credentials;
    const noToken = sandbox.sts(HUB, { maxAttempts: 1, credentials: { accessKeyId: creds?.AccessKeyId ?? '', secretAccessKey: 'x' } });
    expect((await rejection(noToken.send(new GetCallerIdentityCommand({})))).name).toBe('InvalidClientTokenId');
    const client = sandbox.sts(HUB, { maxAttempts: 1, credentials: { accessKeyId: creds?.AccessKeyId ?? '', secretAccessKey: 'x', sessionToken: creds?.SessionToken ?? '' } });
    await expect(client.send(new GetCallerIdentityCommand({}))).resolves.toBeDefined();
    now += 901_000;
    expect((await rejection(client.send(new GetCallerIdentityCommand({})))).name).toBe('ExpiredToken');
  });
});
