import { ListUsersCommand } from '@aws-sdk/client-iam';
import type { AwsCredentialIdentity } from '@smithy/types';
import { INLINE_POLICY_LIMITS } from '../../../sandbox/aws/iam-sim';
import { instanceDenyDocument } from '../../../src/containment/playbooks/ec2-instance';
import { revokeDocument } from '../../../src/containment/playbooks/revocation';
import { ROLE_SESSION_MAX_MS } from '../../../src/containment/playbooks/spent-revocations';
import { renderStepReply } from '../../../src/slack/blocks/action-message';
import { containmentHarness, PROD, REGION } from '../../support/aws';

/**
 * One virtual clock for AWS and Cordon (the SDK checks expirations against the real clock).
 * One attempt per call. (Cordon's IAM clients do not retry LimitExceeded whatever the
 * attempts: test/unit/aws/iam-quota-retry.test.ts.)
 */
function clocked() {
  const t = { now: Date.now() };
  const h = containmentHarness({ maxAttempts: 1, clock: { now: () => t.now, sleep: (ms) => (t.now += ms) } });
  return { h, tick: (ms = 1000) => (t.now += ms), now: () => t.now };
}

type H = ReturnType<typeof containmentHarness>;

async function works(h: H, credentials: AwsCredentialIdentity): Promise<boolean> {
  try {
    await h.sb.iam(PROD, { credentials, maxAttempts: 1 }).send(new ListUsersCommand({}));
    return true;
  } catch (err) {
    if (/AccessDenied|InvalidClientTokenId/.test((err as { name?: string }).name ?? '')) return false;
    throw err;
  }
}

/** The quota counts characters without whitespace (sandbox/aws/iam-sim.ts, as AWS does). */
const size = (doc: string): number => doc.replace(/\s/g, '').length;
const arnOf = (id: string): string => `arn:aws:ec2:${REGION}:${PROD}:instance/${id}`;
const STAMP = '2026-01-01T00:00:00.000Z';
/** Instance ids have one length (i- and 17 hex digits): sizes are known before the instance is. */
const SOME_ARN = arnOf(`i-${'0'.repeat(17)}`);
const EC2_TRUST = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] };

/** An instance role that already holds a policy of its own leaving `room` characters of the quota. */
function fullRole(h: H, name: string, room: number): void {
  h.sb.createRole(PROD, name, { trustPolicy: EC2_TRUST, inlinePolicies: { 'own-policy': filler(room) } });
}

/** A policy of the role's own that leaves exactly `room` characters of the inline quota. */
function filler(room: number): string {
  const empty = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Own', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/' }] });
  const pad = INLINE_POLICY_LIMITS.role - room - size(empty);
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Own', Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::b/${'x'.repeat(pad)}` }] });
}

describe('EC2 instances sharing one instance-profile role', () => {
  it('20 contained at once all end applied (one policy each, no LimitExceeded); reverted, the role keeps 20 small revocations within the quota', async () => {
    const { h, tick } = clocked();
    const fleet = Array.from({ length: 20 }, () => h.sb.createInstance({ accountId: PROD, region: REGION, instanceProfileRole: 'fleet-role' }));
    const stolen = h.sb.instanceCredentials(PROD, REGION, fleet[0]!.instanceId);
    tick();
    const planned = await Promise.all(fleet.map((i) => h.service.plan({ target: arnOf(i.instanceId), requestedBy: 'U0ALICE', dryRun: false })));
    const applied = await Promise.all(planned.map((p) => h.service.apply(p.id, 'U0ALICE')));
    expect(applied.map((a) => a?.status)).toEqual(fleet.map(() => 'applied'));
    expect(h.sb.calls({ command: 'PutRolePolicy' }).filter((c) => c.outcome !== 'ok').map((c) => c.outcome)).toEqual([]);
    const contained = h.sb.snapshotState(PROD).iam.roles['fleet-role']!.inlinePolicies;
    expect(Object.keys(contained).sort()).toEqual(fleet.map((i) => `cordon-instance-${i.instanceId}`).sort());
    expect(await works(h, stolen)).toBe(false);

    tick();
    const reverted = await Promise.all(planned.map((p) => h.service.revert(p.id, 'U0BOSS')));
    expect(reverted.map((a) => a?.status)).toEqual(fleet.map(() => 'reverted'));
    const kept = h.sb.snapshotState(PROD).iam.roles['fleet-role']!.inlinePolicies;
    expect(Object.keys(kept).sort()).toEqual(fleet.map((i) => `cordon-instance-${i.instanceId}`).sort());
    for (const [k, i] of fleet.entries()) {
      const appliedAt = applied[k]!.steps.find((s) => s.stepId === 'role-deny:fleet-role')!.result!.before as string;
      expect(kept[`cordon-instance-${i.instanceId}`]).toBe(revokeDocument(appliedAt, arnOf(i.instanceId)));
    }
    expect(Object.values(kept).reduce((n, d) => n + size(d), 0)).toBeLessThanOrEqual(INLINE_POLICY_LIMITS.role);
    tick();
    // Credentials from before containment stay denied; fresh ones work, for the first instance and the rest.
    expect(await works(h, stolen)).toBe(false);
    expect(await works(h, h.sb.instanceCredentials(PROD, REGION, fleet[0]!.instanceId))).toBe(true);
    expect(await works(h, h.sb.instanceCredentials(PROD, REGION, fleet[19]!.instanceId))).toBe(true);
  });

  it('a role whose quota has no room for the instance deny gets the role-wide revocation, recorded and said on the action, its step log and the audit', async () => {
    const { h, tick } = clocked();
    // Room for the role-wide revocation, not for the per-instance deny.
    const room = size(revokeDocument(STAMP)) + 5;
    expect(room).toBeLessThan(size(instanceDenyDocument(SOME_ARN)));
    fullRole(h, 'full-role', room);
    const a = h.sb.createInstance({ accountId: PROD, region: REGION, instanceProfileRole: 'full-role' });
    const b = h.sb.createInstance({ accountId: PROD, region: REGION, instanceProfileRole: 'full-role' });
    const stolen = h.sb.instanceCredentials(PROD, REGION, a.instanceId);
    const otherOld = h.sb.instanceCredentials(PROD, REGION, b.instanceId);
    tick();
    const planned = await h.service.plan({ target: arnOf(a.instanceId), requestedBy: 'U0ALICE', dryRun: false });
    const applied = (await h.service.apply(planned.id, 'U0ALICE'))!;
    expect(applied.status).toBe('applied');
    const rec = applied.steps.find((s) => s.stepId === 'role-deny:full-role')!;
    expect(rec.result).toMatchObject({ fallback: 'cordon-revoke-sessions', fallbackReason: expect.stringMatching(/^LimitExceeded: /) as unknown });
    const words = `every instance of role full-role had its older sessions revoked (each gets fresh credentials from its instance metadata service)`;
    expect(renderStepReply(applied.plan.find((s) => s.id === rec.stepId)!, rec).text).toContain(`:warning: Role full-role has no room for cordon-instance-${a.instanceId}`);
    expect(applied.notes.filter((n) => n.startsWith(':warning:') && n.includes(words))).toHaveLength(1);
    const audit = await h.store.listAudit({ actionId: planned.id });
    expect(audit.filter((e) => e.event === 'action.step_fallback').map((e) => JSON.stringify(e.detail))).toEqual([expect.stringContaining(words)]);
    const policies = h.sb.snapshotState(PROD).iam.roles['full-role']!.inlinePolicies;
    expect(Object.keys(policies).sort()).toEqual(['cordon-revoke-sessions', 'own-policy']);
    tick();
    // Every older session of the role is denied, the other instance's too; fresh ones work.
    expect(await works(h, stolen)).toBe(false);
    expect(await works(h, otherOld)).toBe(false);
    expect(await works(h, h.sb.instanceCredentials(PROD, REGION, b.instanceId))).toBe(true);
    // Revert keeps the role-wide revocation.
    expect((await h.service.revert(planned.id, 'U0BOSS'))!.status).toBe('reverted');
    expect(Object.keys(h.sb.snapshotState(PROD).iam.roles['full-role']!.inlinePolicies).sort()).toEqual(['cordon-revoke-sessions', 'own-policy']);
    expect(await works(h, stolen)).toBe(false);
  });

  it('a quota with room for the deny but not for its revocation: Revert swaps in the role-wide one under the same name, and says so', async () => {
    const { h, tick } = clocked();
    const room = size(instanceDenyDocument(SOME_ARN)) + 5;
    expect(room).toBeLessThan(size(revokeDocument(STAMP, SOME_ARN)));
    fullRole(h, 'tight-role', room);
    const a = h.sb.createInstance({ accountId: PROD, region: REGION, instanceProfileRole: 'tight-role' });
    const stolen = h.sb.instanceCredentials(PROD, REGION, a.instanceId);
    tick();
    const planned = await h.service.plan({ target: arnOf(a.instanceId), requestedBy: 'U0ALICE', dryRun: false });
    const applied = (await h.service.apply(planned.id, 'U0ALICE'))!;
    expect(applied.status).toBe('applied');
    const appliedAt = applied.steps.find((s) => s.stepId === 'role-deny:tight-role')!.result!.before as string;
    tick();
    const reverted = (await h.service.revert(planned.id, 'U0BOSS'))!;
    expect(reverted.status).toBe('reverted');
    const policies = h.sb.snapshotState(PROD).iam.roles['tight-role']!.inlinePolicies;
    expect(policies[`cordon-instance-${a.instanceId}`]).toBe(revokeDocument(appliedAt));
    expect(reverted.notes.join('\n')).toContain(`every instance of role tight-role had its older sessions revoked`);
    expect(reverted.steps.find((s) => s.stepId === 'role-deny:tight-role')!.result).toMatchObject({ before: appliedAt, fallback: 'role-wide' });
    tick();
    expect(await works(h, stolen)).toBe(false);
    expect(await works(h, h.sb.instanceCredentials(PROD, REGION, a.instanceId))).toBe(true);
  });

  it('a fleet role full of revocations kept for terminated instances: those that can no longer deny anything are deleted to make room for the deny, and it says so; nothing else is touched', async () => {
    const { h, tick, now } = clocked();
    const at = (msAgo: number) => new Date(now() - msAgo).toISOString();
    const spent = at(ROLE_SESSION_MAX_MS + 60_000);
    const fake = (n: number) => `i-${n.toString(16).padStart(17, '0')}`;
    const terminated = h.sb.createInstance({ accountId: PROD, region: REGION, instanceProfileRole: 'other-role' }).instanceId;
    h.sb.rawState(PROD).regions[REGION]!.ec2.instances[terminated]!.state = 'terminated';
    const running = h.sb.createInstance({ accountId: PROD, region: REGION, instanceProfileRole: 'other-role' }).instanceId;
    const seeded: Record<string, string> = {
      // Spent, and the instance terminated or gone: deleted.
      [`cordon-instance-${fake(1)}`]: revokeDocument(spent, arnOf(fake(1))),
      [`cordon-instance-${fake(2)}`]: revokeDocument(spent, arnOf(fake(2))),
      [`cordon-instance-${terminated}`]: revokeDocument(spent, arnOf(terminated)),
      // Kept: the instance still runs (it could be contained again under this name meanwhile).
      [`cordon-instance-${running}`]: revokeDocument(spent, arnOf(running)),
      // Kept: sessions issued before it may still be live.
      [`cordon-instance-${fake(3)}`]: revokeDocument(at(ROLE_SESSION_MAX_MS - 60_000), arnOf(fake(3))),
      // Kept: a deny-all, not a revocation; and a revocation that names another instance than its name.
      [`cordon-instance-${fake(4)}`]: instanceDenyDocument(arnOf(fake(4))),
      [`cordon-instance-${fake(5)}`]: revokeDocument(spent, arnOf(fake(6))),
    };
    const used = Object.values(seeded).reduce((n, d) => n + size(d), 0);
    const room = size(instanceDenyDocument(SOME_ARN)) - 1;
    h.sb.createRole(PROD, 'fleet-role', { trustPolicy: EC2_TRUST, inlinePolicies: { 'own-policy': filler(room + used), ...seeded } });
    const a = h.sb.createInstance({ accountId: PROD, region: REGION, instanceProfileRole: 'fleet-role' });
    const stolen = h.sb.instanceCredentials(PROD, REGION, a.instanceId);
    tick();
    const planned = await h.service.plan({ target: arnOf(a.instanceId), requestedBy: 'U0ALICE', dryRun: false });
    const applied = (await h.service.apply(planned.id, 'U0ALICE'))!;
    expect(applied.status).toBe('applied');
    const deleted = [fake(1), fake(2), terminated].map((i) => `cordon-instance-${i}`);
    const rec = applied.steps.find((s) => s.stepId === 'role-deny:fleet-role')!;
    expect(rec.result).not.toHaveProperty('fallback');
    expect([...(rec.result!.pruned as string[])].sort()).toEqual([...deleted].sort());
    const policies = h.sb.snapshotState(PROD).iam.roles['fleet-role']!.inlinePolicies;
    expect(Object.keys(policies).sort()).toEqual(
      ['own-policy', `cordon-instance-${a.instanceId}`, ...Object.keys(seeded).filter((k) => !deleted.includes(k))].sort(),
    );
    for (const k of Object.keys(seeded).filter((n) => !deleted.includes(n))) expect(policies[k]).toBe(seeded[k]);
    expect(policies[`cordon-instance-${a.instanceId}`]).toBe(instanceDenyDocument(arnOf(a.instanceId)));
    expect(applied.notes.join('\n')).toContain('deleted 3 revocations kept for terminated instances whose sessions have all expired');
    const audit = await h.store.listAudit({ actionId: planned.id });
    expect(audit.filter((e) => e.event === 'action.step_fallback').map((e) => JSON.stringify(e.detail))).toEqual([expect.stringContaining(deleted[0]!)]);
    tick();
    expect(await works(h, stolen)).toBe(false);
  });

  it('a member role that may not read inline policies (deployed before pruning): the role-wide fallback as before, and the reason says why nothing was pruned', async () => {
    const { h, tick } = clocked();
    fullRole(h, 'old-member', size(revokeDocument(STAMP)) + 5);
    h.sb.failCall('ListRolePolicies', { code: 'AccessDenied', message: 'not authorized to perform: iam:ListRolePolicies', httpStatus: 403 });
    const a = h.sb.createInstance({ accountId: PROD, region: REGION, instanceProfileRole: 'old-member' });
    tick();
    const planned = await h.service.plan({ target: arnOf(a.instanceId), requestedBy: 'U0ALICE', dryRun: false });
    const applied = (await h.service.apply(planned.id, 'U0ALICE'))!;
    expect(applied.status).toBe('applied');
    const rec = applied.steps.find((s) => s.stepId === 'role-deny:old-member')!;
    expect(rec.result).toMatchObject({ fallback: 'cordon-revoke-sessions', fallbackReason: expect.stringContaining('looking for spent revocations to delete failed: AccessDenied') as unknown });
    expect(rec.result).not.toHaveProperty('pruned');
    expect(Object.keys(h.sb.snapshotState(PROD).iam.roles['old-member']!.inlinePolicies).sort()).toEqual(['cordon-revoke-sessions', 'own-policy']);
  });

  it('a role with no room even for the role-wide revocation: the step fails and says the credentials are not denied; the instance is still isolated', async () => {
    const { h } = clocked();
    fullRole(h, 'packed-role', 10);
    const a = h.sb.createInstance({ accountId: PROD, region: REGION, instanceProfileRole: 'packed-role' });
    const planned = await h.service.plan({ target: arnOf(a.instanceId), requestedBy: 'U0ALICE', dryRun: false });
    const applied = (await h.service.apply(planned.id, 'U0ALICE'))!;
    expect(applied.status).toBe('partially_applied');
    expect(applied.steps.find((s) => s.stepId === 'network')!.status).toBe('applied');
    const rec = applied.steps.find((s) => s.stepId === 'role-deny:packed-role')!;
    expect(rec.status).toBe('failed');
    expect(rec.error).toMatch(/role credentials on i-[0-9a-f]+ are NOT denied/);
    expect(Object.keys(h.sb.snapshotState(PROD).iam.roles['packed-role']!.inlinePolicies)).toEqual(['own-policy']);
  });
});
