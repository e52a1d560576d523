import { IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AwsSandbox } from '../../../sandbox/aws';
import { INLINE_POLICY_LIMITS } from '../../../sandbox/aws/iam-sim';
import { realClientFactory } from '../../../src/aws/aws-clients';
import { instanceDenyDocument } from '../../../src/containment/playbooks/ec2-instance';
import { revokeDocument } from '../../../src/containment/playbooks/revocation';
import { containmentHarness, PROD, REGION } from '../../support/aws';

/** The quota counts characters without whitespace (sandbox/aws/iam-sim.ts, as AWS does). */
const size = (doc: string): number => doc.replace(/\s/g, '').length;
const EC2_TRUST = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
const DENY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] });

/** A policy of the role's own that leaves exactly `room` characters of the inline quota. */
function filler(room: number): string {
  const empty = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Own', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/' }] });
  const pad = INLINE_POLICY_LIMITS.role - room - size(empty);
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Own', Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::b/${'x'.repeat(pad)}` }] });
}

/** Every PutRolePolicy attempt for `policy`, as the sandbox logged it (SDK retries are records of their own). */
function attempts(sb: AwsSandbox, policy: string): [number, string][] {
  return sb
    .calls({ command: 'PutRolePolicy' })
    .filter((c) => (c.input as { PolicyName?: string }).PolicyName === policy)
    .map((c) => [c.attempt, c.outcome]);
}

describe("IAM's LimitExceeded is a quota refusal, not throttling: Cordon's IAM clients do not retry it", () => {
  it('a containment whose instance deny exceeds the role inline-policy quota reaches its fallback after one PutRolePolicy attempt', async () => {
    // Retries allowed (the SDK's own list of throttling codes holds LimitExceededException):
    // every retry of a full quota would only hold the fallback back by the SDK's backoff.
    const t = { now: Date.now() };
    const h = containmentHarness({ maxAttempts: 5, clock: { now: () => t.now, sleep: (ms) => (t.now += ms) } });
    const role = 'full-role';
    // Room for the role-wide revocation, not for the per-instance deny.
    const room = size(revokeDocument('2026-01-01T00:00:00.000Z')) + 5;
    h.sb.createRole(PROD, role, { trustPolicy: EC2_TRUST, inlinePolicies: { 'own-policy': filler(room) } });
    const i = h.sb.createInstance({ accountId: PROD, region: REGION, instanceProfileRole: role });
    const target = `arn:aws:ec2:${REGION}:${PROD}:instance/${i.instanceId}`;
    expect(size(instanceDenyDocument(target))).toBeGreaterThan(room);
    t.now += 1000;
    const planned = await h.service.plan({ target, requestedBy: 'U0ALICE', dryRun: false });
    const applied = (await h.service.apply(planned.id, 'U0ALICE'))!;
    expect(applied.status).toBe('applied');
    expect(applied.steps.find((s) => s.stepId === `role-deny:${role}`)!.result).toMatchObject({ fallback: 'cordon-revoke-sessions' });
    expect(attempts(h.sb, `cordon-instance-${i.instanceId}`)).toEqual([[1, 'LimitExceeded']]);
    expect(attempts(h.sb, 'cordon-revoke-sessions')).toEqual([[1, 'ok']]);
    expect(Object.keys(h.sb.snapshotState(PROD).iam.roles[role]!.inlinePolicies).sort()).toEqual(['cordon-revoke-sessions', 'own-policy']);
  });

  it('IAM throttling (`Throttling`, HTTP 400) is still retried, and the call then succeeds', async () => {
    const h = containmentHarness({ maxAttempts: 3, retryMode: 'standard' });
    h.sb.createRole(PROD, 'app');
    const iam = h.factory.iam(() => Promise.resolve(h.sb.credentialsFor(PROD)));
    h.sb.failCall('PutRolePolicy', { code: 'Throttling', message: 'Rate exceeded', service: 'iam', times: 1 });
    await iam.send(new PutRolePolicyCommand({ RoleName: 'app', PolicyName: 'cordon-deny', PolicyDocument: DENY }));
    expect(attempts(h.sb, 'cordon-deny')).toEqual([
      [1, 'Throttling'],
      [2, 'ok'],
    ]);
    expect(Object.keys(h.sb.snapshotState(PROD).iam.roles.app!.inlinePolicies)).toEqual(['cordon-deny']);
  });

  it("the real client factory's IAM client: one attempt on LimitExceeded, retries on Throttling", async () => {
    const sb = new AwsSandbox({ seed: 3 });
    sb.createRole(PROD, 'app', { inlinePolicies: { 'own-policy': filler(10) } });
    const f = realClientFactory('us-east-1');
    await f.load!(['iam']);
    const dummy = () => Promise.resolve({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' });
    const iam: IAMClient = sb.attach(f.iam(dummy), { accountId: PROD });
    const full = await iam.send(new PutRolePolicyCommand({ RoleName: 'app', PolicyName: 'cordon-deny', PolicyDocument: DENY })).catch((e: unknown) => e as Error & { $metadata?: { attempts?: number } });
    expect((full as Error).name).toBe('LimitExceededException');
    expect(attempts(sb, 'cordon-deny')).toEqual([[1, 'LimitExceeded']]);

    sb.failCall('PutRolePolicy', { code: 'Throttling', message: 'Rate exceeded', service: 'iam', times: 1 });
    await iam.send(new PutRolePolicyCommand({ RoleName: 'app', PolicyName: 'own-policy', PolicyDocument: DENY }));
    expect(attempts(sb, 'own-policy')).toEqual([
      [1, 'Throttling'],
      [2, 'ok'],
    ]);
  });
});
