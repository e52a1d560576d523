import { DescribeInstancesCommand, EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  DetachUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  IAMClient,
  IAMServiceException,
  LimitExceededException,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AWS_DENY_ALL_ARN, AWS_MANAGED_POLICIES, AwsSandbox } from '../../../../sandbox/aws';

const ACCT = '444455556666';

async function rejection(p: Promise<unknown>): Promise<Error & { $metadata?: { attempts?: number; httpStatusCode?: number }; Code?: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

/** Ten AWS managed policies other than AWSDenyAll: a principal at the default quota. */
const TEN_POLICIES = [...AWS_MANAGED_POLICIES.keys()].filter((arn) => arn !== AWS_DENY_ALL_ARN).slice(0, 10);

describe('IAM sandbox', () => {
  let sandbox: AwsSandbox;
  let iam: IAMClient;

  beforeEach(() => {
    sandbox = new AwsSandbox({ seed: 3 });
    iam = sandbox.iam(ACCT, { maxAttempts: 1 });
  });

  it('enforces the quota of 10 managed policies per user and per role', async () => {
    expect(TEN_POLICIES).toHaveLength(10);
    sandbox.createUser(ACCT, 'alice', { attachedPolicyArns: TEN_POLICIES });
    sandbox.createRole(ACCT, 'app', { attachedPolicyArns: TEN_POLICIES });

    const userErr = await rejection(iam.send(new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: AWS_DENY_ALL_ARN })));
    expect(userErr).toBeInstanceOf(LimitExceededException);
    expect(userErr.name).toBe('LimitExceededException');
    expect(userErr.Code).toBe('LimitExceeded');
    expect(userErr.message).toBe('Cannot exceed quota for PoliciesPerUser: 10');
    expect(userErr.$metadata?.httpStatusCode).toBe(409);

    const roleErr = await rejection(iam.send(new AttachRolePolicyCommand({ RoleName: 'app', PolicyArn: AWS_DENY_ALL_ARN })));
    expect(roleErr.message).toBe('Cannot exceed quota for PoliciesPerRole: 10');

    await iam.send(new DetachUserPolicyCommand({ UserName: 'alice', PolicyArn: TEN_POLICIES[0] }));
    await iam.send(new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: AWS_DENY_ALL_ARN }));
    const attached = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'alice' }));
    expect(attached.AttachedPolicies).toHaveLength(10);
    expect(attached.AttachedPolicies?.map((p) => p.PolicyArn)).toContain(AWS_DENY_ALL_ARN);
  });

  it('lets the SDK retry LimitExceededException as throttling, as the real SDK does', async () => {
    // The SDK's throttling list contains "LimitExceededException": a full quota is
    // retried with backoff by a plain client. Cordon's IAM clients do not (src/aws/aws-clients.ts).
    sandbox.createUser(ACCT, 'alice', { attachedPolicyArns: TEN_POLICIES });
    const retrying = sandbox.iam(ACCT, { maxAttempts: 2 });
    const err = await rejection(retrying.send(new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: AWS_DENY_ALL_ARN })));
    expect(err.name).toBe('LimitExceededException');
    expect(err.$metadata?.attempts).toBe(2);
    expect(sandbox.calls({ command: 'AttachUserPolicy' }).map((c) => [c.attempt, c.outcome])).toEqual([
      [1, 'LimitExceeded'],
      [2, 'LimitExceeded'],
    ]);
  });

  it('answers unknown entities with NoSuchEntityException', async () => {
    const err = await rejection(iam.send(new GetUserCommand({ UserName: 'nobody' })));
    expect(err).toBeInstanceOf(NoSuchEntityException);
    expect(err).toBeInstanceOf(IAMServiceException);
    expect(err.Code).toBe('NoSuchEntity');
    expect(err.message).toBe('The user with name nobody cannot be found.');
    const missingPolicy = await rejection(iam.send(new AttachUserPolicyCommand({ UserName: 'nobody', PolicyArn: 'arn:aws:iam::aws:policy/DoesNotExist' })));
    expect(missingPolicy.name).toBe('NoSuchEntityException');
  });

  it('returns inline and trust policies URL-encoded, as IAM does', async () => {
    sandbox.createRole(ACCT, 'app');
    const doc = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] });
    await iam.send(new PutRolePolicyCommand({ RoleName: 'app', PolicyName: 'cordon-deny', PolicyDocument: doc }));
    const got = await iam.send(new GetRolePolicyCommand({ RoleName: 'app', PolicyName: 'cordon-deny' }));
    expect(got.PolicyDocument).toBe(encodeURIComponent(doc));
    expect(decodeURIComponent(got.PolicyDocument ?? '')).toBe(doc);
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'app' }))).PolicyNames).toEqual(['cordon-deny']);
    const role = await iam.send(new GetRoleCommand({ RoleName: 'app' }));
    expect(JSON.parse(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? ''))).toMatchObject({ Statement: [{ Action: 'sts:AssumeRole' }] });

    const malformed = await rejection(iam.send(new PutRolePolicyCommand({ RoleName: 'app', PolicyName: 'bad', PolicyDocument: '{not json' })));
    expect(malformed.name).toBe('MalformedPolicyDocumentException');
  });

  it('caps the aggregate inline policy size of a user at 2048 characters', async () => {
    sandbox.createUser(ACCT, 'bob');
    const big = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'x'.repeat(2000), Effect: 'Deny', Action: '*', Resource: '*' }] });
    const err = await rejection(iam.send(new PutUserPolicyCommand({ UserName: 'bob', PolicyName: 'big', PolicyDocument: big })));
    expect(err.name).toBe('LimitExceededException');
    expect(err.message).toBe('Maximum policy size of 2048 bytes exceeded for user bob');
  });

  it('deactivates access keys for real: the key stops working and works again when reactivated', async () => {
    sandbox.createUser(ACCT, 'carol');
    const created = await iam.send(new CreateAccessKeyCommand({ UserName: 'carol' }));
    const key = created.AccessKey;
    expect(key?.AccessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    const stolen = new STSClient({
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' },
    });
    sandbox.attach(stolen);
    const who = await stolen.send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(`arn:aws:iam::${ACCT}:user/carol`);

    const lastUsed = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key?.AccessKeyId }));
    expect(lastUsed.UserName).toBe('carol');
    expect(lastUsed.AccessKeyLastUsed?.LastUsedDate).toBeInstanceOf(Date);
    expect(lastUsed.AccessKeyLastUsed?.ServiceName).toBe('sts');

    await iam.send(new UpdateAccessKeyCommand({ UserName: 'carol', AccessKeyId: key?.AccessKeyId, Status: 'Inactive' }));
    const listed = await iam.send(new ListAccessKeysCommand({ UserName: 'carol' }));
    expect(listed.AccessKeyMetadata?.map((k) => k.Status)).toEqual(['Inactive']);
    const refused = await rejection(stolen.send(new GetCallerIdentityCommand({})));
    expect(refused.name).toBe('InvalidClientTokenId');

    await iam.send(new UpdateAccessKeyCommand({ UserName: 'carol', AccessKeyId: key?.AccessKeyId, Status: 'Active' }));
    await expect(stolen.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({ Account: ACCT });
  });

  it('scopes an instance-profile role deny to one instance with ec2:SourceInstanceARN', async () => {
    const region = 'us-east-1';
    const a = sandbox.createInstance({ accountId: ACCT, region, instanceProfileRole: 'web' });
    const b = sandbox.createInstance({ accountId: ACCT, region, instanceProfileRole: 'web' });
    expect(a.instanceProfileArn).toBe(b.instanceProfileArn);
    const deny = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { ArnEquals: { 'ec2:SourceInstanceARN': `arn:aws:ec2:${region}:${ACCT}:instance/${a.instanceId}` } } }],
    };
    await iam.send(new PutRolePolicyCommand({ RoleName: 'web', PolicyName: 'cordon-deny-instance', PolicyDocument: JSON.stringify(deny) }));
    const fromA = sandbox.attach(new IAMClient({ region, maxAttempts: 1, credentials: sandbox.instanceCredentials(ACCT, region, a.instanceId) }));
    const fromB = sandbox.attach(new IAMClient({ region, maxAttempts: 1, credentials: sandbox.instanceCredentials(ACCT, region, b.instanceId) }));
    expect((await rejection(fromA.send(new GetRoleCommand({ RoleName: 'web' })))).name).toBe('AccessDenied');
    await expect(fromB.send(new GetRoleCommand({ RoleName: 'web' }))).resolves.toMatchObject({ Role: { RoleName: 'web' } });
  });

  it('makes AWSDenyAll bite on the user it is attached to, GetCallerIdentity excepted', async () => {
    sandbox.createUser(ACCT, 'dave');
    const creds = sandbox.createAccessKey(ACCT, 'dave');
    const asDave = { region: 'us-east-1', maxAttempts: 1, credentials: creds };
    const daveIam = sandbox.attach(new IAMClient(asDave));
    await expect(daveIam.send(new GetUserCommand({}))).resolves.toMatchObject({ User: { UserName: 'dave' } });

    await iam.send(new AttachUserPolicyCommand({ UserName: 'dave', PolicyArn: AWS_DENY_ALL_ARN }));
    const denied = await rejection(daveIam.send(new GetUserCommand({})));
    expect(denied.name).toBe('AccessDenied');
    const daveEc2 = sandbox.attach(new EC2Client(asDave));
    const ec2Denied = await rejection(daveEc2.send(new DescribeInstancesCommand({})));
    expect(ec2Denied).toBeInstanceOf(EC2ServiceException);
    expect(ec2Denied.name).toBe('UnauthorizedOperation');
    const daveSts = sandbox.attach(new STSClient(asDave));
    await expect(daveSts.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({ Arn: `arn:aws:iam::${ACCT}:user/dave` });
  });
});
