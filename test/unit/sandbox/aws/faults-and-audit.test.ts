import {
  CreateSnapshotCommand,
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EC2ServiceException,
  ModifyInstanceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { AttachRolePolicyCommand, GetRoleCommand, LimitExceededException } from '@aws-sdk/client-iam';
import { GetFunctionCommand, PutFunctionConcurrencyCommand, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { AWS_DENY_ALL_ARN, AwsSandbox, isMutating } from '../../../../sandbox/aws';

const ACCT = '777788889999';
const REGION = 'us-west-2';

async function rejection(p: Promise<unknown>): Promise<Error & { $metadata?: { attempts?: number; httpStatusCode?: number }; $fault?: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('fault injection and audit', () => {
  it('throttles 30% of attempts with the real codes, and the SDK adaptive retry still gets every call through', async () => {
    const sandbox = new AwsSandbox({ seed: 5 });
    const inst = sandbox.createInstance({ accountId: ACCT, region: REGION, volumes: 2 });
    sandbox.createFunction({ accountId: ACCT, region: REGION, name: 'etl' });
    sandbox.setThrottleRate(0.3, { seed: 42 });
    const opts = { retryMode: 'adaptive' as const, maxAttempts: 10 };
    const ec2 = sandbox.ec2(ACCT, REGION, opts);
    const lambda = sandbox.lambda(ACCT, REGION, opts);

    await ec2.send(new DescribeInstancesCommand({ InstanceIds: [inst.instanceId] }));
    await ec2.send(new CreateTagsCommand({ Resources: [inst.instanceId], Tags: [{ Key: 'cordon:case', Value: 'IR-9' }] }));
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: inst.instanceId, DisableApiTermination: { Value: true } }));
    for (const volumeId of inst.volumeIds) await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId }));
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'etl', ReservedConcurrentExecutions: 0 }));
    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: 'etl' }));

    expect(fn.Concurrency?.ReservedConcurrentExecutions).toBe(0);
    const state = sandbox.snapshotState(ACCT).regions[REGION];
    expect(state?.ec2.instances[inst.instanceId]?.disableApiTermination).toBe(true);
    expect(Object.keys(state?.ec2.snapshots ?? {})).toHaveLength(2);

    const throttled = sandbox.calls({ outcome: 'error' });
    for (const t of throttled) expect(t.outcome).toBe(sandbox.throttlingCodes[t.service]);
    expect(new Set(throttled.map((t) => t.service))).toEqual(new Set(['ec2', 'lambda']));
    // Each throttled attempt was retried by the SDK with the next attempt number.
    const all = sandbox.calls();
    for (const t of throttled) {
      const retry = all.find((c) => c.seq > t.seq && c.command === t.command && c.attempt === t.attempt + 1);
      expect(retry).toBeDefined();
    }
    expect(sandbox.mutations().map((c) => c.command)).toEqual(['CreateTags', 'ModifyInstanceAttribute', 'CreateSnapshot', 'CreateSnapshot', 'PutFunctionConcurrency']);
  });

  it('surfaces throttling when the SDK may not retry', async () => {
    const sandbox = new AwsSandbox();
    sandbox.setThrottleRate(1);
    const ec2 = sandbox.ec2(ACCT, REGION, { maxAttempts: 1 });
    const err = await rejection(ec2.send(new DescribeSecurityGroupsCommand({})));
    expect(err).toBeInstanceOf(EC2ServiceException);
    expect(err.name).toBe('RequestLimitExceeded');
    expect(err.$fault).toBe('server');
    expect(err.$metadata?.httpStatusCode).toBe(503);
    const lambdaErr = await rejection(sandbox.lambda(ACCT, REGION, { maxAttempts: 1 }).send(new GetFunctionCommand({ FunctionName: 'x' })));
    expect(lambdaErr).toBeInstanceOf(TooManyRequestsException);
    sandbox.clearFaults();
    await expect(ec2.send(new DescribeSecurityGroupsCommand({}))).resolves.toBeDefined();
  });

  it('fails a named call the given number of times', async () => {
    const sandbox = new AwsSandbox();
    const inst = sandbox.createInstance({ accountId: ACCT, region: REGION });
    const ec2 = sandbox.ec2(ACCT, REGION, { maxAttempts: 1 });
    sandbox.failCall('CreateSnapshotCommand', { code: 'InternalError', message: 'An internal error has occurred', times: 1 });

    const err = await rejection(ec2.send(new CreateSnapshotCommand({ VolumeId: inst.volumeIds[0] })));
    expect(err.name).toBe('InternalError');
    expect(err.message).toBe('An internal error has occurred');
    expect(err.$metadata?.httpStatusCode).toBe(500);
    await expect(ec2.send(new CreateSnapshotCommand({ VolumeId: inst.volumeIds[0] }))).resolves.toMatchObject({ State: 'pending' });

    sandbox.createRole(ACCT, 'app');
    sandbox.failCall('AttachRolePolicy', { code: 'LimitExceeded', message: 'Cannot exceed quota for PoliciesPerRole: 10', service: 'iam' });
    const iam = sandbox.iam(ACCT, { maxAttempts: 1 });
    const limit = await rejection(iam.send(new AttachRolePolicyCommand({ RoleName: 'app', PolicyArn: AWS_DENY_ALL_ARN })));
    expect(limit).toBeInstanceOf(LimitExceededException);
    await expect(iam.send(new GetRoleCommand({ RoleName: 'app' }))).resolves.toBeDefined();
    expect(sandbox.snapshotState(ACCT).iam.roles.app?.attachedPolicyArns).toEqual([]);
  });

  it('adds real wall-clock latency to every attempt', async () => {
    const sandbox = new AwsSandbox();
    sandbox.setLatency(60);
    const ec2 = sandbox.ec2(ACCT, REGION);
    const started = Date.now();
    await ec2.send(new DescribeInstancesCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(sandbox.calls()[0]?.durationMs).toBeGreaterThanOrEqual(55);
  });

  it('records every call with who made it and how it ended', async () => {
    const sandbox = new AwsSandbox({ clock: () => Date.parse('2026-11-22T02:00:00Z') });
    const ec2 = sandbox.ec2(ACCT, REGION, { maxAttempts: 1, principal: `arn:aws:iam::${ACCT}:role/cordon` });
    await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['running'] }] }));
    await rejection(ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: 'i-0123456789abcdef0', DisableApiTermination: { Value: true } })));

    expect(sandbox.calls()).toEqual([
      expect.objectContaining({
        service: 'ec2',
        command: 'DescribeInstances',
        input: { Filters: [{ Name: 'instance-state-name', Values: ['running'] }] },
        accountId: ACCT,
        principal: `arn:aws:sts::${ACCT}:assumed-role/cordon/sandbox`,
        sessionName: 'sandbox',
        time: '2026-11-22T02:00:00.000Z',
        mutating: false,
        outcome: 'ok',
      }),
      expect.objectContaining({ command: 'ModifyInstanceAttribute', mutating: true, outcome: 'InvalidInstanceID.NotFound' }),
    ]);
    expect(sandbox.mutations()).toEqual([]);
  });

  it('classifies Describe/Get/List (and AssumeRole) as reads', () => {
    expect(['DescribeInstances', 'GetRolePolicyCommand', 'ListFindings', 'AssumeRole', 'GetCallerIdentity'].map(isMutating)).toEqual([false, false, false, false, false]);
    expect(['ModifyInstanceAttribute', 'CreateSnapshot', 'PutRolePolicyCommand', 'UpdateAccessKey', 'CreateFilter'].map(isMutating)).toEqual([true, true, true, true, true]);
  });
});
