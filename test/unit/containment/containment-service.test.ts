import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, ModifyNetworkInterfaceAttributeCommand } from '@aws-sdk/client-ec2';
import type { Action } from '../../../src/domain/actions/action';
import { containmentHarness, EVIDENCE, OUTSIDE, PROD, REGION, SANDBOX, withoutEvidence } from '../../support/aws';

async function containAndRevert(h: ReturnType<typeof containmentHarness>, target: string, account = PROD) {
  const before = h.sb.snapshotState(account);
  const planned = await h.service.plan({ target, requestedBy: 'U0ALICE', dryRun: false });
  const applied = (await h.service.apply(planned.id, 'U0ALICE')) as Action;
  const contained = h.sb.snapshotState(account);
  const reverted = (await h.service.revert(planned.id, 'U0BOSS')) as Action;
  const after = h.sb.snapshotState(account);
  return { before, planned, applied, contained, reverted, after };
}

describe('containment: apply, then exact revert', () => {
  it(`revert keeps the EC2 evidence it promises (${EVIDENCE.slice(0, 3).join(', ')}) and nothing else`, async () => {
    const h = containmentHarness();
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, enis: 1, volumes: 2 });
    const r = await containAndRevert(h, `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`);
    const ec2 = r.after.regions[REGION]!.ec2;
    expect(Object.values(ec2.snapshots).map((s) => s.volumeId).sort()).toEqual([...inst.volumeIds].sort());
    expect(ec2.instances[inst.instanceId]!.tags.map((t) => t.Key)).toContain('cordon:released');
    const purposes = Object.values(ec2.securityGroups).flatMap((g) => g.tags.filter((t) => t.Key === 'cordon:purpose').map((t) => t.Value));
    expect(purposes.sort()).toEqual(['isolation']);
    // Everything else is as it was: the evidence is the whole difference.
    expect(r.after).not.toEqual(r.before);
    expect(withoutEvidence(r.after)).toEqual(withoutEvidence(r.before));
  });

  it('EC2 instance with one ENI', async () => {
    const h = containmentHarness();
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, enis: 1, volumes: 2, instanceProfileRole: 'web-role', tags: { Name: 'web-1' } });
    const r = await containAndRevert(h, `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`);
    expect(r.applied.status).toBe('applied');
    const ec2 = r.contained.regions[REGION]!.ec2;
    const i = ec2.instances[inst.instanceId]!;
    expect(i.disableApiTermination).toBe(true);
    expect(i.instanceInitiatedShutdownBehavior).toBe('stop');
    expect(i.tags).toEqual(expect.arrayContaining([{ Key: 'cordon:action', Value: r.planned.id }]));
    const eni = ec2.networkInterfaces[inst.networkInterfaceIds[0]!]!;
    const isolation = ec2.securityGroups[eni.groupIds[0]!]!;
    expect(eni.groupIds).toHaveLength(1);
    expect(isolation.tags).toEqual(expect.arrayContaining([{ Key: 'cordon:purpose', Value: 'isolation' }]));
    expect(isolation.ingress).toEqual([]);
    expect(isolation.egress).toEqual([]);
    expect(Object.values(ec2.snapshots).map((s) => s.volumeId).sort()).toEqual([...inst.volumeIds].sort());
    expect(r.contained.iam.roles['web-role']!.inlinePolicies[`cordon-instance-${inst.instanceId}`]).toContain('ec2:SourceInstanceARN');
    // While contained: deny all to the instance's sessions, whatever their issue time; after Revert the same name holds the revocation.
    expect(r.contained.iam.roles['web-role']!.inlinePolicies[`cordon-instance-${inst.instanceId}`]).not.toContain('aws:TokenIssueTime');
    expect(r.after.iam.roles['web-role']!.inlinePolicies[`cordon-instance-${inst.instanceId}`]).toContain('aws:TokenIssueTime');
    expect(r.reverted.status).toBe('reverted');
    expect(withoutEvidence(r.after)).toEqual(withoutEvidence(r.before));
    expect(Object.keys(r.after.regions[REGION]!.ec2.snapshots)).toHaveLength(2);
  });

  it('EC2 instance with two ENIs and IPv6 passes every ENI through untrack into isolation', async () => {
    const h = containmentHarness({ untrackSeconds: 30 });
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, enis: 2, ipv6: true, volumes: 1 });
    const before = h.sb.snapshotState(PROD);
    const planned = await h.service.plan({ target: `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`, requestedBy: 'U0ALICE', dryRun: false });
    expect(planned.notes.join(' ')).toMatch(/30s the instance sits in an allow-all group/);
    const applied = (await h.service.apply(planned.id, 'U0ALICE'))!;
    expect(applied.status).toBe('applied');
    const ec2 = h.sb.snapshotState(PROD).regions[REGION]!.ec2;
    const byPurpose = (p: string) => Object.values(ec2.securityGroups).find((g) => g.tags.some((t) => t.Key === 'cordon:purpose' && t.Value === p))!;
    const untrack = byPurpose('untrack');
    const isolation = byPurpose('isolation');
    const cidrs = (rules: typeof untrack.ingress) => rules.map((x) => x.cidrIpv4 ?? x.cidrIpv6).sort();
    expect(cidrs(untrack.ingress)).toEqual(['0.0.0.0/0', '::/0']);
    expect(cidrs(untrack.egress)).toEqual(['0.0.0.0/0', '::/0']);
    expect(isolation.ingress).toEqual([]);
    expect(isolation.egress).toEqual([]);
    // every ENI went untrack → isolation, in that order
    const moves = h.sb.calls({ command: 'ModifyNetworkInterfaceAttribute' }).filter((c) => c.outcome === 'ok');
    for (const eniId of inst.networkInterfaceIds) {
      const groups = moves.filter((c) => (c.input as { NetworkInterfaceId: string }).NetworkInterfaceId === eniId).map((c) => (c.input as { Groups: string[] }).Groups);
      expect(groups).toEqual([[untrack.groupId], [isolation.groupId]]);
      expect(ec2.networkInterfaces[eniId]!.groupIds).toEqual([isolation.groupId]);
    }
    await h.service.revert(planned.id, 'U0BOSS');
    expect(withoutEvidence(h.sb.snapshotState(PROD))).toEqual(withoutEvidence(before));
  });

  it('a second instance sharing the role keeps working (deny conditioned on ec2:SourceInstanceARN)', async () => {
    const h = containmentHarness();
    const a = h.sb.createInstance({ accountId: PROD, region: REGION, instanceProfileRole: 'shared-role' });
    const b = h.sb.createInstance({ accountId: PROD, region: REGION, instanceProfileRole: 'shared-role' });
    const planned = await h.service.plan({ target: `arn:aws:ec2:${REGION}:${PROD}:instance/${a.instanceId}`, requestedBy: 'U0ALICE', dryRun: false });
    expect((await h.service.apply(planned.id, 'U0ALICE'))!.status).toBe('applied');
    const asA = h.sb.ec2(PROD, REGION, { credentials: h.sb.instanceCredentials(PROD, REGION, a.instanceId), maxAttempts: 1 });
    const asB = h.sb.ec2(PROD, REGION, { credentials: h.sb.instanceCredentials(PROD, REGION, b.instanceId), maxAttempts: 1 });
    await expect(asA.send(new DescribeInstancesCommand({}))).rejects.toMatchObject({ name: expect.stringMatching(/Unauthorized|AccessDenied/) as unknown });
    await expect(asB.send(new DescribeInstancesCommand({}))).resolves.toBeDefined();
  });

  it('IAM user with two keys, one already inactive: revert reactivates exactly the active one', async () => {
    const h = containmentHarness();
    h.sb.createUser(PROD, 'mallory');
    const active = h.sb.createAccessKey(PROD, 'mallory');
    const inactive = h.sb.createAccessKey(PROD, 'mallory', { status: 'Inactive' });
    const r = await containAndRevert(h, `arn:aws:iam::${PROD}:user/mallory`);
    const user = r.contained.iam.users.mallory!;
    expect(user.attachedPolicyArns).toContain('arn:aws:iam::aws:policy/AWSDenyAll');
    expect(user.accessKeys.map((k) => [k.accessKeyId, k.status])).toEqual(
      expect.arrayContaining([
        [active.accessKeyId, 'Inactive'],
        [inactive.accessKeyId, 'Inactive'],
      ]),
    );
    expect(r.planned.plan.filter((s) => s.op === 'iam.key-deactivate').map((s) => s.params.keyId)).toEqual([active.accessKeyId]);
    // The revocation of the user's temporary credentials is kept; nothing else differs.
    expect(r.after.iam.users.mallory!.inlinePolicies['cordon-revoke-sessions']).toContain('aws:TokenIssueTime');
    expect(withoutEvidence(r.after)).toEqual(withoutEvidence(r.before));
  });

  it('IAM user with 10 managed policies falls back to an inline deny-all', async () => {
    const h = containmentHarness();
    const arns = Array.from({ length: 10 }, (_, i) => h.sb.createPolicy(PROD, `p${i}`, { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }));
    h.sb.createUser(PROD, 'full', { attachedPolicyArns: arns });
    const r = await containAndRevert(h, `arn:aws:iam::${PROD}:user/full`);
    expect(r.applied.status).toBe('applied');
    expect(r.contained.iam.users.full!.attachedPolicyArns).toHaveLength(10);
    expect(r.contained.iam.users.full!.inlinePolicies['cordon-deny-all']).toContain('"Deny"');
    expect(withoutEvidence(r.after)).toEqual(withoutEvidence(r.before));
  });

  it('IAM role: sessions issued before containment are revoked (kept on revert), AWSDenyAll attached then detached', async () => {
    const h = containmentHarness();
    h.sb.createRole(PROD, 'app-role');
    const r = await containAndRevert(h, `arn:aws:iam::${PROD}:role/app-role`);
    expect(r.contained.iam.roles['app-role']!.attachedPolicyArns).toContain('arn:aws:iam::aws:policy/AWSDenyAll');
    expect(r.contained.iam.roles['app-role']!.inlinePolicies['cordon-revoke-sessions']).toContain('aws:TokenIssueTime');
    expect(r.planned.notes.join(' ')).toMatch(/keeps cordon-revoke-sessions: sessions of app-role issued before the moment of apply stay blocked after Revert/);
    expect(r.after.iam.roles['app-role']!.inlinePolicies['cordon-revoke-sessions']).toBeDefined();
    expect(withoutEvidence(r.after)).toEqual(withoutEvidence(r.before));
  });

  it.each([
    ['with', 5],
    ['without', undefined],
  ])('Lambda function %s reserved concurrency', async (_w, reserved) => {
    const h = containmentHarness();
    const role = h.sb.createRole(PROD, 'fn-role');
    h.sb.createFunction({ accountId: PROD, region: REGION, name: 'worker', roleArn: role.arn, ...(reserved !== undefined ? { reservedConcurrency: reserved } : {}) });
    const r = await containAndRevert(h, `arn:aws:lambda:${REGION}:${PROD}:function:worker`);
    expect(r.applied.status).toBe('applied');
    expect(r.contained.regions[REGION]!.lambda.functions.worker!.reservedConcurrency).toBe(0);
    expect(r.contained.iam.roles['fn-role']!.attachedPolicyArns).toContain('arn:aws:iam::aws:policy/AWSDenyAll');
    expect(r.after).toEqual(r.before);
  });

  it('AKIA access key: owner found, key deactivated, then reactivated', async () => {
    const h = containmentHarness();
    h.sb.createUser(PROD, 'ci-bot');
    const key = h.sb.createAccessKey(PROD, 'ci-bot');
    const r = await containAndRevert(h, key.accessKeyId);
    expect(r.planned.target.accountId).toBe(PROD);
    expect(r.planned.notes).toContain('Owner: IAM user ci-bot.');
    expect(r.contained.iam.users['ci-bot']!.accessKeys[0]!.status).toBe('Inactive');
    expect(withoutEvidence(r.after)).toEqual(withoutEvidence(r.before));
  });

  it('ASIA key: the plan names the principal and changes nothing', async () => {
    const h = containmentHarness();
    h.sb.createRole(PROD, 'app-role');
    const before = h.sb.snapshotState(PROD);
    const creds = await h.sb.assumeRoleCredentials(PROD, { roleArn: `arn:aws:iam::${PROD}:role/app-role` })();
    const p2 = await h.service.plan({ target: creds.accessKeyId, requestedBy: 'U0ALICE', dryRun: false, knownPrincipal: `arn:aws:iam::${PROD}:role/app-role` });
    expect(p2.plan).toEqual([]);
    expect(p2.notes[0]).toContain(`/ir contain arn:aws:iam::${PROD}:role/app-role`);
    const applied = await h.service.apply(p2.id, 'U0ALICE');
    expect(applied?.status).toBe('applied');
    expect(withoutEvidence(h.sb.snapshotState(PROD))).toEqual(withoutEvidence(before));
  });
});

describe('containment: failures, throttling, refusals, dry run', () => {
  it('isolation refused: the action says NOT contained, every interface keeps its own groups, the rest is applied, revert restores exactly', async () => {
    const h = containmentHarness();
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, enis: 2, volumes: 1 });
    const before = h.sb.snapshotState(PROD);
    h.sb.failCall('ModifyNetworkInterfaceAttribute', { code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.' });
    const planned = await h.service.plan({ target: `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`, requestedBy: 'U0ALICE', dryRun: false });
    const done = (await h.service.apply(planned.id, 'U0ALICE'))!;
    expect(done.status).toBe('not_contained');
    const statusOf = (id: string) => done.steps.find((s) => s.stepId === id)!.status;
    expect(statusOf('termination-protection')).toBe('applied');
    const network = done.steps.find((s) => s.stepId === 'network')!;
    expect(network.status).toBe('failed');
    expect(network.error).toMatch(/^NOT CONTAINED: /);
    const enis = h.sb.snapshotState(PROD).regions[REGION]!.ec2.networkInterfaces;
    inst.networkInterfaceIds.forEach((id, i) => expect(enis[id]!.groupIds).toEqual(inst.securityGroupIds[i]));
    expect((network.result!.enis as { id: string; state: string }[]).map((e) => e.state)).toEqual(['original', 'original']);
    const audit = await h.store.listAudit({ actionId: planned.id });
    expect(audit.find((e) => e.event === 'action.not_contained')?.detail).toMatchObject({ notContained: [{ step: 'network' }] });
    h.sb.clearFaults();
    const reverted = (await h.service.revert(planned.id, 'U0BOSS'))!;
    expect(reverted.status).toBe('reverted');
    expect(withoutEvidence(h.sb.snapshotState(PROD))).toEqual(withoutEvidence(before));
  });

  it('a non-essential step that fails (termination protection) does not keep the instance from being isolated', async () => {
    const h = containmentHarness();
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, enis: 1 });
    h.sb.failCall('ModifyInstanceAttribute', { code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.' });
    const planned = await h.service.plan({ target: `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`, requestedBy: 'U0ALICE', dryRun: false });
    const done = (await h.service.apply(planned.id, 'U0ALICE'))!;
    expect(done.status).toBe('partially_applied');
    expect(done.steps.find((s) => s.stepId === 'termination-protection')!.status).toBe('failed');
    expect(done.steps.find((s) => s.stepId === 'network')!.status).toBe('applied');
    const ec2 = h.sb.snapshotState(PROD).regions[REGION]!.ec2;
    const g = ec2.securityGroups[ec2.networkInterfaces[inst.networkInterfaceIds[0]!]!.groupIds[0]!]!;
    expect(g.tags).toEqual(expect.arrayContaining([{ Key: 'cordon:purpose', Value: 'isolation' }]));
  });

  it('an essential step that fails (creating the isolation group) stops the network moves: not contained, no interface moved', async () => {
    const h = containmentHarness({ untrackSeconds: 30 });
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, enis: 1 });
    h.sb.failCall('CreateSecurityGroup', { code: 'SecurityGroupLimitExceeded', message: 'You have reached the maximum number of security groups.' });
    const planned = await h.service.plan({ target: `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`, requestedBy: 'U0ALICE', dryRun: false });
    const done = (await h.service.apply(planned.id, 'U0ALICE'))!;
    expect(done.status).toBe('not_contained');
    expect(done.steps.find((s) => s.stepId === 'network')!.status).toBe('pending');
    expect(h.sb.snapshotState(PROD).regions[REGION]!.ec2.networkInterfaces[inst.networkInterfaceIds[0]!]!.groupIds).toEqual(inst.securityGroupIds[0]);
  });

  it('re-running an action never applies a step twice', async () => {
    const h = containmentHarness();
    h.sb.createUser(PROD, 'u');
    h.sb.createAccessKey(PROD, 'u');
    const planned = await h.service.plan({ target: `arn:aws:iam::${PROD}:user/u`, requestedBy: 'U0ALICE', dryRun: false });
    const [a, b] = await Promise.all([h.service.apply(planned.id, 'U0ALICE'), h.service.apply(planned.id, 'U0ALICE')]);
    expect([a?.status, b?.status].sort()).toEqual(['applied', undefined].sort());
    expect(await h.service.apply(planned.id, 'U0ALICE')).toBeUndefined();
    expect(h.sb.mutations({ command: 'AttachUserPolicy' })).toHaveLength(1);
  });

  it("a failed step records Cordon's words and the AWS error code, never the AWS message (it reaches Slack)", async () => {
    const h = containmentHarness();
    h.sb.createUser(PROD, 'u');
    h.sb.createAccessKey(PROD, 'u');
    const secretish = 'User: arn:aws:sts::999999999999:assumed-role/OrgAdmin/alice is not authorized by policy p-SECRET';
    h.sb.failCall('AttachUserPolicy', { code: 'AccessDenied', message: secretish });
    const planned = await h.service.plan({ target: `arn:aws:iam::${PROD}:user/u`, requestedBy: 'U0ALICE', dryRun: false });
    const done = (await h.service.apply(planned.id, 'U0ALICE'))!;
    const errors = done.steps.map((s) => s.error).filter(Boolean);
    expect(errors).toContain('AWS refused the call (AccessDenied)');
    expect(JSON.stringify(done)).not.toContain('999999999999');
    expect(JSON.stringify(done)).not.toContain('p-SECRET');
  });

  it('succeeds with 30% of calls throttled', async () => {
    const h = containmentHarness({ maxAttempts: 20 });
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, enis: 2, volumes: 3, instanceProfileRole: 'r' });
    h.sb.setThrottleRate(0.3, { seed: 3 });
    const planned = await h.service.plan({ target: `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`, requestedBy: 'U0ALICE', dryRun: false });
    const done = (await h.service.apply(planned.id, 'U0ALICE'))!;
    expect(done.status).toBe('applied');
    expect(h.sb.calls().some((c) => c.outcome !== 'ok')).toBe(true);
  });

  it.each([
    ['an account outside the allowlist', `arn:aws:iam::${OUTSIDE}:user/x`, 'ACCOUNT.NOT_ALLOWED'],
    ['a malformed ARN', 'arn:aws:iam::1234:user/x', 'ARN.INVALID'],
    ['an unsupported ARN', `arn:aws:s3:::bucket`, 'ARN.INVALID'],
    ['a look-alike ARN', `arn:aws:ec2:${REGION}:${PROD}:volume/vol-0123456789abcdef0`, 'ARN.INVALID'],
  ])('refuses %s before any AWS call', async (_n, target, code) => {
    const h = containmentHarness();
    await expect(h.service.plan({ target, requestedBy: 'U0ALICE', dryRun: false })).rejects.toMatchObject({ code });
    expect(h.sb.calls()).toEqual([]);
  });

  it('refuses a wrong external id, and AWS saw no mutating call', async () => {
    const h = containmentHarness({ externalId: 'wrong' });
    h.sb.createUser(PROD, 'x');
    await expect(h.service.plan({ target: `arn:aws:iam::${PROD}:user/x`, requestedBy: 'U0ALICE', dryRun: false })).rejects.toMatchObject({
      code: 'AWS.FAILED',
      message: expect.stringContaining('external id') as unknown,
    });
    expect(h.sb.mutations()).toEqual([]);
  });

  it('assumes the role with the action session name and requester tags', async () => {
    const h = containmentHarness();
    h.sb.createUser(SANDBOX, 'x');
    const planned = await h.service.plan({ target: `arn:aws:iam::${SANDBOX}:user/x`, requestedBy: 'U0ALICE', dryRun: false });
    const assume = h.sb.calls({ command: 'AssumeRole' })[0]!;
    expect(assume.input).toMatchObject({ RoleSessionName: `cordon-${planned.id}`, ExternalId: 'test-external-id', Tags: expect.arrayContaining([{ Key: 'requested-by', Value: 'U0ALICE' }]) as unknown });
  });

  it('dry run leaves the state deep-equal, lists every change and checks EC2 permissions with DryRun', async () => {
    const h = containmentHarness();
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, enis: 2, volumes: 2, instanceProfileRole: 'r' });
    const before = h.sb.snapshotState(PROD);
    const planned = await h.service.plan({ target: `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`, requestedBy: 'U0ALICE', dryRun: true });
    expect(planned.status).toBe('dry_run');
    expect(planned.plan.map((s) => s.op)).toEqual(
      expect.arrayContaining(['ec2.tag', 'ec2.termination-protection', 'iam.instance-cordon', 'ec2.snapshot', 'ec2.ensure-group', 'ec2.isolate-network']),
    );
    expect(planned.plan.filter((s) => s.op === 'ec2.snapshot')).toHaveLength(2);
    expect((planned.plan.find((s) => s.op === 'ec2.isolate-network')!.params.enis as { id: string }[]).map((e) => e.id).sort()).toEqual([...inst.networkInterfaceIds].sort());
    expect(planned.notes.filter((n) => n.startsWith('DryRun')).length).toBeGreaterThanOrEqual(4);
    expect(planned.notes.every((n) => !n.startsWith('DryRun') || n.endsWith('permitted'))).toBe(true);
    expect(h.sb.snapshotState(PROD)).toEqual(before);
    expect(await h.service.apply(planned.id, 'U0ALICE')).toBeUndefined();
    expect(h.sb.snapshotState(PROD)).toEqual(before);
  });

  it('an existing isolation group someone loosened is tightened again', async () => {
    const h = containmentHarness();
    const a = h.sb.createInstance({ accountId: PROD, region: REGION });
    await h.service.apply((await h.service.plan({ target: `arn:aws:ec2:${REGION}:${PROD}:instance/${a.instanceId}`, requestedBy: 'U', dryRun: false })).id, 'U');
    const ec2 = h.sb.ec2(PROD, REGION);
    const iso = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:cordon:purpose', Values: ['isolation'] }] }))).SecurityGroups![0]!;
    const { AuthorizeSecurityGroupIngressCommand } = await import('@aws-sdk/client-ec2');
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: iso.GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
    const b = h.sb.createInstance({ accountId: PROD, region: REGION, vpcId: a.vpcId, subnetId: a.subnetId });
    await h.service.apply((await h.service.plan({ target: `arn:aws:ec2:${REGION}:${PROD}:instance/${b.instanceId}`, requestedBy: 'U', dryRun: false })).id, 'U');
    const g = h.sb.snapshotState(PROD).regions[REGION]!.ec2.securityGroups[iso.GroupId!]!;
    expect(g.ingress).toEqual([]);
    expect(g.egress).toEqual([]);
  });

  it('marks an action whose runner stopped as interrupted, with revertible applied steps', async () => {
    const h = containmentHarness();
    h.sb.createUser(PROD, 'u');
    h.sb.createAccessKey(PROD, 'u');
    const planned = await h.service.plan({ target: `arn:aws:iam::${PROD}:user/u`, requestedBy: 'U0ALICE', dryRun: false });
    // Simulate a crash: the record says running, one step applied, one mid-flight.
    const a = (await h.store.getAction(planned.id))!;
    const steps = a.steps.map((s, i) => ({ ...s, status: i === 0 ? ('applied' as const) : ('running' as const) }));
    await h.store.updateAction({ ...a, status: 'running', steps, heartbeatAt: '2020-01-01T00:00:00.000Z' });
    expect(await h.service.sweepInterrupted(60_000)).toEqual([planned.id]);
    const swept = (await h.store.getAction(planned.id))!;
    expect(swept.status).toBe('interrupted');
    expect(swept.steps.map((s) => s.status)).toEqual(['applied', 'unknown', 'unknown']);
    expect((await h.service.revert(planned.id, 'U0BOSS'))!.status).toBe('reverted');
  });
});

describe('EC2 containment on what real AWS does (issue 15, points 1-8)', () => {
  const arn = (id: string) => `arn:aws:ec2:${REGION}:${PROD}:instance/${id}`;
  const ec2Of = (h: ReturnType<typeof containmentHarness>) => h.sb.snapshotState(PROD).regions[REGION]!.ec2;
  const purposeOf = (h: ReturnType<typeof containmentHarness>, gid: string) => ec2Of(h).securityGroups[gid]?.tags.find((t) => t.Key === 'cordon:purpose')?.Value;

  it('1: an interface an earlier crashed run left in the untrack group never gets that group back as "its own"; one already isolated skips the hop', async () => {
    const h = containmentHarness({ untrackSeconds: 30 });
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, enis: 2 });
    const first = await h.service.plan({ target: arn(inst.instanceId), requestedBy: 'U', dryRun: false });
    await h.service.apply(first.id, 'U');
    // That earlier action ended without holding the target (point 15 refuses a second Contain while one is live).
    await h.service.transition(first.id, ['applied'], { status: 'not_contained' });
    const [eniA, eniB] = inst.networkInterfaceIds as [string, string];
    const untrack = Object.values(ec2Of(h).securityGroups).find((g) => g.tags.some((t) => t.Value === 'untrack'))!.groupId;
    // As a crash mid-hop would leave it: A in the untrack group; B stays isolated.
    await h.sb.ec2(PROD, REGION).send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniA, Groups: [untrack] }));
    const again = await h.service.plan({ target: arn(inst.instanceId), requestedBy: 'U', dryRun: false });
    expect((again.prior!.enis as { id: string; groups: string[] }[]).map((e) => e.groups)).toEqual([[], []]);
    expect(again.notes.join(' ')).toContain(`${eniA} sits only in Cordon's groups`);
    h.sb.clearCalls();
    const done = (await h.service.apply(again.id, 'U'))!;
    expect(done.status).toBe('applied');
    const moved = h.sb.mutations({ command: 'ModifyNetworkInterfaceAttribute' }).map((c) => (c.input as { NetworkInterfaceId: string }).NetworkInterfaceId);
    expect(moved).toEqual([eniA]);
    expect([eniA, eniB].map((e) => ec2Of(h).networkInterfaces[e]!.groupIds.map((g) => purposeOf(h, g)))).toEqual([['isolation'], ['isolation']]);
    // Revert of this action cannot know A's own groups: it leaves A isolated rather than open.
    await h.service.revert(again.id, 'U');
    expect(ec2Of(h).networkInterfaces[eniA]!.groupIds.map((g) => purposeOf(h, g))).toEqual(['isolation']);
  });

  it('an isolation group loosened during the untrack wait: the interface leaves the allow-all group at once and ends in the group emptied again', async () => {
    let clock = Date.parse('2026-03-01T00:00:00Z');
    const loosen = () => {
      // During the wait, someone adds an egress rule to Cordon's isolation group.
      const groups = h.sb.rawState(PROD).regions[REGION]!.ec2.securityGroups;
      const iso = Object.values(groups).find((g) => g.tags.some((t) => t.Key === 'cordon:purpose' && t.Value === 'isolation'))!;
      iso.egress.push({ ruleId: 'sgr-0attacker0000001', protocol: '-1', cidrIpv4: '198.51.100.7/32' });
    };
    const h = containmentHarness({
      untrackSeconds: 30,
      clock: {
        now: () => clock,
        sleep: (ms) => {
          if (ms === 30_000) loosen();
          clock += ms;
        },
      },
    });
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, enis: 1 });
    const planned = await h.service.plan({ target: arn(inst.instanceId), requestedBy: 'U', dryRun: false });
    h.sb.clearCalls();
    expect((await h.service.apply(planned.id, 'U'))!.status).toBe('applied');
    const eni = ec2Of(h).networkInterfaces[inst.networkInterfaceIds[0]!]!;
    expect(eni.groupIds.map((g) => purposeOf(h, g))).toEqual(['isolation']);
    const iso = ec2Of(h).securityGroups[eni.groupIds[0]!]!;
    expect([iso.ingress, iso.egress]).toEqual([[], []]);
    // After the wait: the move and the re-check went out together, then the loosened rule was revoked and the group read again.
    const hop = h.sb.calls({ command: 'ModifyNetworkInterfaceAttribute' })[0]!.seq;
    const after = h.sb.calls().filter((c) => c.seq > hop).map((c) => c.command);
    expect(after.slice(0, 2).sort()).toEqual(['DescribeSecurityGroups', 'ModifyNetworkInterfaceAttribute']);
    expect(after.slice(2)).toEqual(['RevokeSecurityGroupEgress', 'DescribeSecurityGroups']);
  });

  it('2: a new group EC2 does not see yet (InvalidGroup.NotFound) is retried with backoff, for its rules and for the moves', async () => {
    let clock = Date.parse('2026-03-01T00:00:00Z');
    const h = containmentHarness({ untrackSeconds: 30, clock: { now: () => clock, sleep: (ms) => (clock += ms) } });
    h.sb.setGroupVisibilityDelay(3000);
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, enis: 1, ipv6: true });
    const done = (await h.service.apply((await h.service.plan({ target: arn(inst.instanceId), requestedBy: 'U', dryRun: false })).id, 'U'))!;
    expect(done.status).toBe('applied');
    expect(h.sb.calls({ outcome: 'InvalidGroup.NotFound' }).length).toBeGreaterThan(0);
    const eni = ec2Of(h).networkInterfaces[inst.networkInterfaceIds[0]!]!;
    expect(eni.groupIds.map((g) => purposeOf(h, g))).toEqual(['isolation']);
    const iso = ec2Of(h).securityGroups[eni.groupIds[0]!]!;
    expect([iso.ingress, iso.egress]).toEqual([[], []]);
  });

  it('3: a pre-created group with Cordon\'s isolation name and an egress rule to an attacker is emptied and proven empty before use', async () => {
    const h = containmentHarness();
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION });
    const trap = h.sb.createSecurityGroup({ accountId: PROD, region: REGION, vpcId: inst.vpcId, name: `cordon-isolation-${inst.vpcId}`, ingress: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '198.51.100.7/32' }] }] });
    const done = (await h.service.apply((await h.service.plan({ target: arn(inst.instanceId), requestedBy: 'U', dryRun: false })).id, 'U'))!;
    expect(done.status).toBe('applied');
    const g = ec2Of(h).securityGroups[trap]!;
    expect(ec2Of(h).networkInterfaces[inst.networkInterfaceIds[0]!]!.groupIds).toEqual([trap]);
    expect([g.ingress, g.egress]).toEqual([[], []]);
    // Re-checked at apply time: loosened between plan and apply, emptied again before any interface moves in.
    const b = h.sb.createInstance({ accountId: PROD, region: REGION, vpcId: inst.vpcId, subnetId: inst.subnetId });
    const plannedB = await h.service.plan({ target: arn(b.instanceId), requestedBy: 'U', dryRun: false });
    const { AuthorizeSecurityGroupEgressCommand } = await import('@aws-sdk/client-ec2');
    await h.sb.ec2(PROD, REGION).send(new AuthorizeSecurityGroupEgressCommand({ GroupId: trap, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '198.51.100.7/32' }] }] }));
    expect((await h.service.apply(plannedB.id, 'U'))!.status).toBe('applied');
    expect([ec2Of(h).securityGroups[trap]!.ingress, ec2Of(h).securityGroups[trap]!.egress]).toEqual([[], []]);
  });

  it('4: a Spot Instance skips termination protection (recorded, with the reason) and is isolated', async () => {
    const h = containmentHarness();
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, spot: true });
    const planned = await h.service.plan({ target: arn(inst.instanceId), requestedBy: 'U', dryRun: false });
    expect(planned.plan.map((s) => s.id)).not.toContain('termination-protection');
    expect(planned.prior!.skipped).toEqual({ 'termination-protection': expect.stringContaining('Spot') as unknown });
    expect(planned.notes.join(' ')).toMatch(/Termination protection: skipped, .* is a Spot Instance/);
    expect((await h.service.apply(planned.id, 'U'))!.status).toBe('applied');
    expect(h.sb.calls({ command: 'ModifyInstanceAttribute' }).filter((c) => 'DisableApiTermination' in (c.input as object))).toEqual([]);
  });

  it('4: an Auto Scaling member is named in the plan with the Standby it needs', async () => {
    const h = containmentHarness();
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION });
    h.sb.rawState(PROD).regions[REGION]!.ec2.instances[inst.instanceId]!.tags.push({ Key: 'aws:autoscaling:groupName', Value: 'web-asg' });
    const planned = await h.service.plan({ target: arn(inst.instanceId), requestedBy: 'U', dryRun: false });
    expect(planned.prior!.autoScalingGroup).toBe('web-asg');
    expect(planned.notes.join(' ')).toContain('enter-standby --auto-scaling-group-name web-asg');
  });

  it('5: interfaces from other VPCs are isolated with groups of their own VPC, and revert is exact', async () => {
    const h = containmentHarness({ untrackSeconds: 10 });
    const other = h.sb.createVpc({ accountId: PROD, region: REGION });
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, enis: 2, interfaceVpcIds: [undefined, other.vpcId] });
    const before = h.sb.snapshotState(PROD);
    const planned = await h.service.plan({ target: arn(inst.instanceId), requestedBy: 'U', dryRun: false });
    expect(planned.plan.filter((s) => s.op === 'ec2.ensure-group').map((s) => s.id).sort()).toEqual(
      [`ensure-group:isolation:${inst.vpcId}`, `ensure-group:isolation:${other.vpcId}`, `ensure-group:untrack:${inst.vpcId}`, `ensure-group:untrack:${other.vpcId}`].sort(),
    );
    expect((await h.service.apply(planned.id, 'U'))!.status).toBe('applied');
    for (const id of inst.networkInterfaceIds) {
      const eni = ec2Of(h).networkInterfaces[id]!;
      const g = ec2Of(h).securityGroups[eni.groupIds[0]!]!;
      expect([purposeOf(h, g.groupId), g.vpcId]).toEqual(['isolation', eni.vpcId]);
    }
    await h.service.revert(planned.id, 'U');
    expect(withoutEvidence(h.sb.snapshotState(PROD))).toEqual(withoutEvidence(before));
  });

  it('6: an untrack group that already has the IPv4 rule still gets the IPv6 ones (one rule per call)', async () => {
    const h = containmentHarness({ untrackSeconds: 5 });
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, ipv6: true });
    h.sb.createSecurityGroup({ accountId: PROD, region: REGION, vpcId: inst.vpcId, name: `cordon-untrack-${inst.vpcId}`, ingress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] });
    expect((await h.service.apply((await h.service.plan({ target: arn(inst.instanceId), requestedBy: 'U', dryRun: false })).id, 'U'))!.status).toBe('applied');
    const untrack = Object.values(ec2Of(h).securityGroups).find((g) => g.groupName === `cordon-untrack-${inst.vpcId}`)!;
    expect(untrack.ingress.map((r) => r.cidrIpv4 ?? r.cidrIpv6).sort()).toEqual(['0.0.0.0/0', '::/0']);
    expect(untrack.egress.map((r) => r.cidrIpv4 ?? r.cidrIpv6).sort()).toEqual(['0.0.0.0/0', '::/0']);
  });

  it('7: the plan says what isolation cannot cut, and that tracked connections survive with untrackSeconds 0', async () => {
    const h = containmentHarness({ untrackSeconds: 0 });
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION });
    const notes = (await h.service.plan({ target: arn(inst.instanceId), requestedBy: 'U', dryRun: true })).notes.join('\n');
    for (const cut of ['ICMP', 'Network Load Balancer', 'NAT gateway', 'Gateway Load Balancer', 'Transit Gateway', 'Network Firewall', 'Route 53 Resolver', 'security-group-connection-tracking.html', 'untrackSeconds is 0']) expect(notes).toContain(cut);
    const h2 = containmentHarness({ untrackSeconds: 30 });
    const inst2 = h2.sb.createInstance({ accountId: PROD, region: REGION });
    expect((await h2.service.plan({ target: arn(inst2.instanceId), requestedBy: 'U', dryRun: true })).notes.join('\n')).not.toContain('untrackSeconds is 0');
  });

  it('8: an interface attached after the plan is isolated too, and the change is recorded and told; revert restores it', async () => {
    const h = containmentHarness({ untrackSeconds: 10 });
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, enis: 1 });
    const before = h.sb.snapshotState(PROD);
    const planned = await h.service.plan({ target: arn(inst.instanceId), requestedBy: 'U', dryRun: false });
    const late = h.sb.attachInterface({ accountId: PROD, region: REGION, instanceId: inst.instanceId });
    const done = (await h.service.apply(planned.id, 'U'))!;
    expect(done.status).toBe('applied');
    expect(ec2Of(h).networkInterfaces[late.networkInterfaceId]!.groupIds.map((g) => purposeOf(h, g))).toEqual(['isolation']);
    const network = done.steps.find((s) => s.stepId === 'network')!;
    expect(network.result!.changes).toEqual([`${late.networkInterfaceId} was attached after the plan: isolated too`]);
    expect(done.notes).toContain(`:information_source: Since the plan: ${late.networkInterfaceId} was attached after the plan: isolated too.`);
    await h.service.revert(planned.id, 'U');
    expect(ec2Of(h).networkInterfaces[late.networkInterfaceId]!.groupIds).toEqual([late.groupId]);
    expect(ec2Of(h).networkInterfaces[inst.networkInterfaceIds[0]!]!.groupIds).toEqual(before.regions[REGION]!.ec2.networkInterfaces[inst.networkInterfaceIds[0]!]!.groupIds);
  });
});
