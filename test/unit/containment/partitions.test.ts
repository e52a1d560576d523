import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { AttachRolePolicyCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import { AwsSandbox } from '../../../sandbox/aws';
import { loadConfig } from '../../../src/config/load-config';
import { parseTarget } from '../../../src/domain/actions/target';
import { containmentHarness, PROD, ROLE, SECURITY_ACCOUNT } from '../../support/aws';

/** Issue 15, point 17: ARNs, AssumeRole and the member role work in aws, aws-cn and aws-us-gov. */
describe('partitions', () => {
  it.each([
    ['aws-cn', 'cn-north-1'],
    ['aws-us-gov', 'us-gov-west-1'],
  ] as const)('%s: an IAM role is contained and reverted through the role ARN and AWSDenyAll of that partition', async (partition, region) => {
    const h = containmentHarness({ partition: { partition, region } });
    const role = h.sb.createRole(PROD, 'app-role');
    expect(role.arn).toBe(`arn:${partition}:iam::${PROD}:role/app-role`);
    const planned = await h.service.plan({ target: role.arn, requestedBy: 'U0ALICE', dryRun: false });
    expect(planned.target.partition).toBe(partition);
    expect((await h.service.apply(planned.id, 'U0ALICE'))!.status).toBe('applied');
    expect(h.sb.snapshotState(PROD).iam.roles['app-role']!.attachedPolicyArns).toEqual([`arn:${partition}:iam::aws:policy/AWSDenyAll`]);
    expect((await h.service.revert(planned.id, 'U0BOSS'))!.status).toBe('reverted');
    expect(h.sb.snapshotState(PROD).iam.roles['app-role']!.attachedPolicyArns).toEqual([]);
  });

  it("aws-us-gov: an instance's role deny names the instance by its GovCloud ARN, so the instance's own credentials are the ones denied", async () => {
    const region = 'us-gov-west-1';
    const h = containmentHarness({ partition: { partition: 'aws-us-gov', region } });
    const inst = h.sb.createInstance({ accountId: PROD, region, instanceProfileRole: 'web-role' });
    const planned = await h.service.plan({ target: `arn:aws-us-gov:ec2:${region}:${PROD}:instance/${inst.instanceId}`, requestedBy: 'U0ALICE', dryRun: false });
    expect((await h.service.apply(planned.id, 'U0ALICE'))!.status).toBe('applied');
    const policies = h.sb.snapshotState(PROD).iam.roles['web-role']!.inlinePolicies;
    expect(policies[`cordon-instance-${inst.instanceId}`]).toContain(`arn:aws-us-gov:ec2:${region}:${PROD}:instance/${inst.instanceId}`);
    const stolen = h.sb.instanceCredentials(PROD, region, inst.instanceId);
    const err = await h.sb.iam(PROD, { credentials: stolen, region, maxAttempts: 1 }).send(new ListUsersCommand({})).catch((e: unknown) => e as Error);
    expect(err).toMatchObject({ name: 'AccessDenied' });
  });

  it('aws-us-gov: a role protected by a GovCloud ARN pattern of the config is refused containment, and the commercial pattern is refused at load', async () => {
    const example = readFileSync(join(__dirname, '..', '..', '..', 'cordon.config.example.yaml'), 'utf8').replace('regions: [us-east-1]', 'regions: [us-gov-west-1]');
    const load = (yaml: string) => loadConfig({ CORDON_CONFIG: 'x.yaml' }, () => yaml);
    // The commercial pattern would protect no GovCloud principal: the config is refused, not run.
    expect(() => load(example)).toThrow('x.yaml is invalid');
    const config = load(example.replace('arn:aws:iam::*:role/security-audit-*', 'arn:aws-us-gov:iam::*:role/BreakGlass'));
    expect(config.partition).toBe('aws-us-gov');

    const h = containmentHarness({ partition: { partition: 'aws-us-gov', region: 'us-gov-west-1' }, protectedPrincipals: config.containment.protectedPrincipals });
    const role = h.sb.createRole(PROD, 'BreakGlass');
    expect(role.arn).toBe(`arn:aws-us-gov:iam::${PROD}:role/BreakGlass`);
    const before = h.sb.snapshotState(PROD);
    const err = (await h.service.plan({ target: role.arn, requestedBy: 'U0ALICE', dryRun: false }).catch((e: unknown) => e)) as { code: string; message: string };
    expect(err.code).toBe('CONTAINMENT.PROTECTED');
    expect(err.message).toContain('protected principal "arn:aws-us-gov:iam::*:role/BreakGlass"');
    expect(h.sb.mutations()).toEqual([]);
    expect(h.sb.snapshotState(PROD)).toEqual(before);
    expect(await h.store.listActions({})).toEqual([]);
  });

  it('a bare access key id takes the configured partition', async () => {
    const h = containmentHarness({ partition: { partition: 'aws-cn', region: 'cn-north-1' } });
    h.sb.createUser(PROD, 'dev');
    const key = h.sb.createAccessKey(PROD, 'dev');
    const planned = await h.service.plan({ target: key.accessKeyId, requestedBy: 'U0ALICE', dryRun: false });
    expect(planned.target).toMatchObject({ partition: 'aws-cn', accountId: PROD });
    expect(parseTarget(key.accessKeyId, { partition: 'aws-us-gov' }).partition).toBe('aws-us-gov');
  });

  it('an ARN of another partition than the configured one is refused before any AWS call, naming both', async () => {
    const h = containmentHarness({ partition: { partition: 'aws-cn', region: 'cn-north-1' } });
    h.sb.createRole(PROD, 'app-role');
    const calls = h.sb.calls().length;
    const err = (await h.service.plan({ target: `arn:aws:iam::${PROD}:role/app-role`, requestedBy: 'U0ALICE', dryRun: false }).catch((e: unknown) => e)) as { code: string; message: string };
    expect(err.code).toBe('ARN.INVALID');
    expect(err.message).toContain('it is in partition aws, and Cordon runs in aws-cn');
    // The forms shown are those Cordon accepts here: China's, not the commercial partition's.
    expect(err.message).toContain('Accepted: arn:aws-cn:ec2:<region>:<account>:instance/i-<id>; arn:aws-cn:iam::<account>:user/<name>;');
    expect(err.message.split('Accepted:')[1]).not.toContain('arn:aws:');
    expect(h.sb.calls()).toHaveLength(calls);
    expect(await h.store.listActions({})).toEqual([]);
    // A region of another partition than the ARN's is no ARN at all.
    expect(() => parseTarget(`arn:aws:ec2:cn-north-1:${PROD}:instance/i-0123456789abcdef0`)).toThrow('region cn-north-1 is in partition aws-cn, not aws');
  });
});

describe('ARN.INVALID shows the forms of every partition Cordon accepts', () => {
  const refusal = (raw: string, where?: Parameters<typeof parseTarget>[1]): { code?: string; message: string; details?: { accepted?: string[] } } => {
    try {
      parseTarget(raw, where);
    } catch (e) {
      return e as { code?: string; message: string; details?: { accepted?: string[] } };
    }
    throw new Error(`${raw} was accepted`);
  };

  it('with no configured partition: forms with <partition>, and the partitions named', () => {
    const err = refusal(`arn:aws-us-gov:s3:::bucket`);
    expect(err.code).toBe('ARN.INVALID');
    expect(err.message).toContain('arn:<partition>:ec2:<region>:<account>:instance/i-<id>; arn:<partition>:iam::<account>:user/<name>; arn:<partition>:iam::<account>:role/<name>; arn:<partition>:lambda:<region>:<account>:function:<name>');
    expect(err.message).toMatch(/<partition> is aws, aws-cn or aws-us-gov$/);
    expect(err.message).not.toContain('arn:aws:');
    expect(err.details?.accepted).toHaveLength(6);
  });

  it.each(['aws', 'aws-cn', 'aws-us-gov'] as const)('configured %s: the forms are in that partition, and each is one parseTarget accepts', (partition) => {
    const err = refusal('arn:nope:ec2:x:y:z', { partition });
    const forms = err.details?.accepted ?? [];
    expect(forms.filter((f) => f.startsWith('arn:'))).toHaveLength(4);
    expect(err.message).toContain(`Accepted: arn:${partition}:ec2:`);
    const region = partition === 'aws' ? 'us-east-1' : partition === 'aws-cn' ? 'cn-north-1' : 'us-gov-west-1';
    const filled = forms
      .filter((f) => f.startsWith('arn:'))
      .map((f) => f.replace('<region>', region).replace('<account>', PROD).replace('i-<id>', 'i-0123456789abcdef0').replace('<name>', 'app'));
    for (const arn of filled) expect(parseTarget(arn, { partition }).partition).toBe(partition);
  });

  it('an IAM ARN with a region is shown the IAM form of its own partition', () => {
    expect(refusal(`arn:aws-us-gov:iam:us-gov-west-1:${PROD}:role/app`).message).toContain('IAM ARNs have no region (arn:aws-us-gov:iam::<account>:…)');
  });
});

describe('the simulated AWS models partitions', () => {
  const CN = '444444444444';

  it("STS refuses to assume a role of another partition than its endpoint's region", async () => {
    const sb = new AwsSandbox({ accountPartitions: { [CN]: 'aws-cn', [SECURITY_ACCOUNT]: 'aws-cn' } });
    sb.createMemberRole(CN, ROLE, { trustedPrincipalArn: `arn:aws-cn:iam::${SECURITY_ACCOUNT}:role/sandbox-admin`, externalId: 'x'.repeat(16) });
    const input = { RoleArn: `arn:aws-cn:iam::${CN}:role/${ROLE}`, RoleSessionName: 's1', ExternalId: 'x'.repeat(16) };
    const wrong = await sb.sts(SECURITY_ACCOUNT, { region: 'us-east-1', maxAttempts: 1 }).send(new AssumeRoleCommand(input)).catch((e: unknown) => e as Error);
    expect(wrong).toMatchObject({ name: 'ValidationError' });
    expect((wrong as Error).message).toContain('Partition "aws-cn" is not valid');
    const right = await sb.sts(SECURITY_ACCOUNT, { region: 'cn-northwest-1', maxAttempts: 1 }).send(new AssumeRoleCommand(input));
    expect(right.AssumedRoleUser?.Arn).toBe(`arn:aws-cn:sts::${CN}:assumed-role/${ROLE}/s1`);
  });

  it("an AWS managed policy ARN is the partition's own: aws's AWSDenyAll is refused in aws-cn", async () => {
    const sb = new AwsSandbox({ accountPartitions: { [CN]: 'aws-cn' } });
    sb.createRole(CN, 'app');
    const iam = sb.iam(CN, { region: 'cn-north-1', maxAttempts: 1 });
    const err = await iam.send(new AttachRolePolicyCommand({ RoleName: 'app', PolicyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' })).catch((e: unknown) => e as Error);
    expect(err).toMatchObject({ name: 'ValidationError', message: 'Invalid ARN partition' });
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'app', PolicyArn: 'arn:aws-cn:iam::aws:policy/AWSDenyAll' }));
    expect(sb.snapshotState(CN).iam.roles.app!.attachedPolicyArns).toEqual(['arn:aws-cn:iam::aws:policy/AWSDenyAll']);
  });
});
