import { ListRolesCommand, ListUsersCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { GetFunctionConcurrencyCommand, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { GetFederationTokenCommand, GetSessionTokenCommand } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { Action } from '../../../src/domain/actions/action';
import { containmentHarness, PROD, REGION, ROLE, withoutEvidence } from '../../support/aws';
import { draft } from '../store/store-contract';

/** One virtual clock for AWS and Cordon, starting now (the SDK checks expirations against the real clock). */
function clocked(opts: { untrackSeconds?: number; protectedPrincipals?: string[] } = {}) {
  const t = { now: Date.now() };
  const h = containmentHarness({ ...opts, clock: { now: () => t.now, sleep: (ms) => (t.now += ms) } });
  return { h, tick: (ms = 1000) => (t.now += ms) };
}

type H = ReturnType<typeof containmentHarness>;

/** Whether a call made with these credentials is allowed (IAM reads are evaluated against identity policies). */
async function works(h: H, credentials: AwsCredentialIdentity): Promise<boolean> {
  try {
    await h.sb.iam(PROD, { credentials, maxAttempts: 1 }).send(new ListUsersCommand({}));
    return true;
  } catch (err) {
    const name = (err as { name?: string }).name ?? '';
    if (/AccessDenied|InvalidClientTokenId/.test(name)) return false;
    throw err;
  }
}

async function roleSession(h: H, roleName: string): Promise<AwsCredentialIdentity> {
  const c = await h.sb.assumeRoleCredentials(PROD, { roleArn: `arn:aws:iam::${PROD}:role/${roleName}` })();
  // Static copies: the SDK must not refresh them behind the test's back.
  return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}) };
}

async function userSession(h: H, key: AwsCredentialIdentity, federated?: string): Promise<AwsCredentialIdentity> {
  const sts = h.sb.sts(PROD, { credentials: key, maxAttempts: 1 });
  const out = federated ? await sts.send(new GetFederationTokenCommand({ Name: federated })) : await sts.send(new GetSessionTokenCommand({}));
  const c = out.Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
}

async function contain(h: H, target: string, extra: { caseId?: string } = {}) {
  return h.service.plan({ target, requestedBy: 'U0ALICE', dryRun: false, ...extra });
}

describe('issue 15, credentials: nothing comes back on Revert', () => {
  it('9: a role session issued between plan and apply (a 30-minute approval wait) is revoked', async () => {
    const { h, tick } = clocked();
    h.sb.createRole(PROD, 'app-role');
    const planned = await contain(h, `arn:aws:iam::${PROD}:role/app-role`);
    tick(30 * 60_000);
    const issuedWhileWaiting = await roleSession(h, 'app-role');
    tick();
    const applied = (await h.service.apply(planned.id, 'U0BOSS'))!;
    const revokedAt = applied.steps.find((s) => s.stepId === 'revoke-sessions:role/app-role')!.result!.before as string;
    expect(Date.parse(revokedAt)).toBeGreaterThan(Date.parse(planned.createdAt) + 30 * 60_000);
    tick();
    await h.service.revert(planned.id, 'U0BOSS');
    expect(await works(h, issuedWhileWaiting)).toBe(false);
    tick();
    expect(await works(h, await roleSession(h, 'app-role'))).toBe(true);
  });

  it("10: an instance's credentials issued before containment stay denied after Revert; fresh ones and another instance's work", async () => {
    const { h, tick } = clocked();
    const a = h.sb.createInstance({ accountId: PROD, region: REGION, instanceProfileRole: 'shared-role' });
    const b = h.sb.createInstance({ accountId: PROD, region: REGION, instanceProfileRole: 'shared-role' });
    const stolen = h.sb.instanceCredentials(PROD, REGION, a.instanceId);
    const other = h.sb.instanceCredentials(PROD, REGION, b.instanceId);
    tick();
    const planned = await contain(h, `arn:aws:ec2:${REGION}:${PROD}:instance/${a.instanceId}`);
    expect(planned.notes.join('\n')).toContain(
      `Revert keeps cordon-instance-${a.instanceId}, swapped in one call from deny-all to a deny on the credentials of role shared-role that ${a.instanceId} received before the moment of apply: they stay blocked after Revert`,
    );
    const applied = (await h.service.apply(planned.id, 'U0ALICE'))!;
    expect(applied.status).toBe('applied');
    const appliedAt = applied.steps.find((s) => s.stepId === 'role-deny:shared-role')!.result!.before as string;
    // One policy per instance: deny all while contained.
    expect(Object.keys(h.sb.snapshotState(PROD).iam.roles['shared-role']!.inlinePolicies)).toEqual([`cordon-instance-${a.instanceId}`]);
    expect(await works(h, h.sb.instanceCredentials(PROD, REGION, a.instanceId))).toBe(false);
    expect(await works(h, other)).toBe(true);
    tick();
    expect((await h.service.revert(planned.id, 'U0BOSS'))!.status).toBe('reverted');
    const role = h.sb.snapshotState(PROD).iam.roles['shared-role']!;
    expect(Object.keys(role.inlinePolicies)).toEqual([`cordon-instance-${a.instanceId}`]);
    expect(role.inlinePolicies[`cordon-instance-${a.instanceId}`]).toContain('ec2:SourceInstanceARN');
    expect(role.inlinePolicies[`cordon-instance-${a.instanceId}`]).toContain(appliedAt);
    tick();
    expect(await works(h, stolen)).toBe(false);
    expect(await works(h, h.sb.instanceCredentials(PROD, REGION, a.instanceId))).toBe(true);
    expect(await works(h, other)).toBe(true);
  });

  it("10: an IAM user's GetSessionToken and GetFederationToken credentials issued before containment stay denied after Revert; its key works again", async () => {
    const { h, tick } = clocked();
    h.sb.createUser(PROD, 'mallory');
    const key = h.sb.createAccessKey(PROD, 'mallory');
    const session = await userSession(h, key);
    const federated = await userSession(h, key, 'exfil');
    tick();
    const planned = await contain(h, `arn:aws:iam::${PROD}:user/mallory`);
    expect(planned.notes.join('\n')).toMatch(/temporary credentials it issued before the moment of apply \(GetSessionToken, GetFederationToken, with any of its keys\) stay blocked after Revert/);
    await h.service.apply(planned.id, 'U0ALICE');
    expect(await works(h, key)).toBe(false);
    tick();
    await h.service.revert(planned.id, 'U0BOSS');
    expect(await works(h, session)).toBe(false);
    expect(await works(h, federated)).toBe(false);
    expect(await works(h, key)).toBe(true);
    tick();
    expect(await works(h, await userSession(h, key))).toBe(true);
  });

  it('10: the simulator lets session credentials outlive the key that minted them (so deactivating a key alone is not enough)', async () => {
    const { h } = clocked();
    h.sb.createUser(PROD, 'ci-bot');
    const key = h.sb.createAccessKey(PROD, 'ci-bot');
    const minted = await userSession(h, key);
    await h.sb.iam(PROD).send(new UpdateAccessKeyCommand({ UserName: 'ci-bot', AccessKeyId: key.accessKeyId, Status: 'Inactive' }));
    expect(await works(h, key)).toBe(false);
    expect(await works(h, minted)).toBe(true);
    // And a role session cannot mint them.
    await expect(h.sb.sts(PROD, { maxAttempts: 1 }).send(new GetSessionTokenCommand({}))).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('10: containing an access key also blocks the session credentials minted with it, and they stay blocked after Revert', async () => {
    const { h, tick } = clocked();
    h.sb.createUser(PROD, 'ci-bot');
    const key = h.sb.createAccessKey(PROD, 'ci-bot');
    const minted = await userSession(h, key);
    tick();
    const planned = await contain(h, key.accessKeyId);
    expect(planned.plan.map((s) => s.op)).toEqual(['iam.key-deactivate', 'iam.revoke-sessions']);
    expect(planned.notes.join('\n')).toMatch(/session credentials minted before the moment of apply, with AKIA\w+ or another of its keys, stay blocked after Revert/);
    await h.service.apply(planned.id, 'U0ALICE');
    expect(await works(h, minted)).toBe(false);
    tick();
    await h.service.revert(planned.id, 'U0BOSS');
    expect(await works(h, minted)).toBe(false);
    expect(await works(h, key)).toBe(true);
  });

  it('11: Revert names the keys it reactivates, flags those created during the incident, and leaves off the ones a commander chose', async () => {
    const { h, tick } = clocked();
    h.sb.createUser(PROD, 'mallory');
    const old = h.sb.createAccessKey(PROD, 'mallory');
    tick(60_000);
    const caseOpened = new Date(Date.now() + 10 * 60_000);
    await h.store.claimCase(draft('IR-20261203-K3YS', caseOpened.toISOString()), [], caseOpened.toISOString());
    tick(20 * 60_000);
    const fresh = h.sb.createAccessKey(PROD, 'mallory');
    const planned = await contain(h, `arn:aws:iam::${PROD}:user/mallory`, { caseId: 'IR-20261203-K3YS' });
    const flags = planned.plan.filter((s) => s.op === 'iam.key-deactivate').map((s) => [s.params.keyId, s.params.duringIncident]);
    expect(flags).toEqual([
      [old.accessKeyId, false],
      [fresh.accessKeyId, true],
    ]);
    expect(planned.notes.join('\n')).toContain(`Created during the incident, so possibly the attacker's: ${fresh.accessKeyId}`);
    await h.service.apply(planned.id, 'U0ALICE');
    const done = (await h.service.revert(planned.id, 'U0BOSS', {}, { keepOff: [fresh.accessKeyId] }))!;
    expect(done.status).toBe('reverted');
    const keys = Object.fromEntries(h.sb.snapshotState(PROD).iam.users.mallory!.accessKeys.map((k) => [k.accessKeyId, k.status]));
    expect(keys).toEqual({ [old.accessKeyId]: 'Active', [fresh.accessKeyId]: 'Inactive' });
    const rec = done.steps.find((s) => s.stepId === `deactivate-key:${fresh.accessKeyId}`)!;
    expect(rec).toMatchObject({ status: 'kept', keptReason: `left inactive: U0BOSS chose to keep access key ${fresh.accessKeyId} off` });
    expect((await h.store.listAudit({ actionId: planned.id })).find((e) => e.event === 'action.revert_started')?.detail).toEqual({ keepOff: [fresh.accessKeyId] });
  });
});

describe('issue 15, targets Cordon refuses or treats specially', () => {
  async function refused(h: H, target: string, code: string, rule: RegExp) {
    const before = h.sb.snapshotState(PROD);
    const err = (await contain(h, target).catch((e: unknown) => e)) as { code?: string; message?: string };
    expect(err.code).toBe(code);
    expect(err.message).toMatch(rule);
    // Changes nothing, in AWS or in the store, and the audit records the refusal with its rule.
    expect(h.sb.mutations()).toEqual([]);
    expect(h.sb.snapshotState(PROD)).toEqual(before);
    expect(await h.store.listActions({})).toEqual([]);
    const audit = await h.store.listAudit({});
    expect(audit.filter((e) => e.event === 'action.refused')).toEqual([
      expect.objectContaining({ actor: 'U0ALICE', allowed: false, detail: expect.objectContaining({ code, target, rule: expect.any(String) as unknown }) as unknown }),
    ]);
    return err;
  }

  it('12: an IAM Identity Center role is refused at plan time, pointing to IAM Identity Center; AWS refuses changing it too', async () => {
    const h = containmentHarness();
    h.sb.createRole(PROD, 'AWSReservedSSO_Admin_0123456789abcdef', { path: '/aws-reserved/sso.amazonaws.com/' });
    // Typed without its path, as people do: the path comes from GetRole.
    const err = await refused(h, `arn:aws:iam::${PROD}:role/AWSReservedSSO_Admin_0123456789abcdef`, 'CONTAINMENT.AWS_MANAGED', /rule: identity-center-role\).*IAM Identity Center.*singlesignon/);
    expect(err.message).toContain('revoke-user-permissions');
    const { PutRolePolicyCommand } = await import('@aws-sdk/client-iam');
    await expect(
      h.sb.iam(PROD, { maxAttempts: 1 }).send(new PutRolePolicyCommand({ RoleName: 'AWSReservedSSO_Admin_0123456789abcdef', PolicyName: 'x', PolicyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}' })),
    ).rejects.toMatchObject({ name: 'UnmodifiableEntityException' });
  });

  it('12: a service-linked role named without its path is refused with a pointer to the service', async () => {
    const h = containmentHarness();
    h.sb.createRole(PROD, 'AWSServiceRoleForECS', { path: '/aws-service-role/ecs.amazonaws.com/' });
    await refused(h, `arn:aws:iam::${PROD}:role/AWSServiceRoleForECS`, 'CONTAINMENT.AWS_MANAGED', /rule: service-linked-role\).*using-service-linked-roles\.html/);
  });

  it.each([
    ['the containment role itself', ROLE, 'role', /protected principal "CordonContainment"/],
    ['OrganizationAccountAccessRole', 'OrganizationAccountAccessRole', 'role', /protected principal "OrganizationAccountAccessRole"/],
    ["Cordon's worker role", 'cordon-prod-us-east-1-worker', 'role', /protected principal "cordon-\*-worker"/],
    ['a configured name', 'break-glass', 'user', /protected principal "break-glass"/],
  ])('13: %s is refused by default with a clear error', async (_n, name, kind, rule) => {
    const h = clocked({ protectedPrincipals: [ROLE, 'break-glass'] }).h;
    if (kind === 'role' && name !== ROLE) h.sb.createRole(PROD, name);
    if (kind === 'user') h.sb.createUser(PROD, name);
    await refused(h, `arn:aws:iam::${PROD}:${kind}/${name}`, 'CONTAINMENT.PROTECTED', rule);
  });

  it('13: anything tagged cordon:protected is refused, and an access key of a protected user too', async () => {
    const h = containmentHarness();
    h.sb.createUser(PROD, 'ops', { tags: { 'cordon:protected': 'true' } });
    const key = h.sb.createAccessKey(PROD, 'ops');
    await refused(h, key.accessKeyId, 'CONTAINMENT.PROTECTED', /user ops \(rule: tag cordon:protected\)/);
  });

  it('13: an instance whose role is protected is still isolated; the role is left alone and the plan says why', async () => {
    const h = containmentHarness();
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, instanceProfileRole: 'OrganizationAccountAccessRole' });
    const planned = await contain(h, `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`);
    expect(planned.plan.some((s) => s.op.startsWith('iam.'))).toBe(false);
    expect(planned.notes.join('\n')).toContain('Instance role OrganizationAccountAccessRole is not changed');
    expect((await h.service.apply(planned.id, 'U'))!.status).toBe('applied');
    expect(h.sb.snapshotState(PROD).iam.roles.OrganizationAccountAccessRole!.inlinePolicies).toEqual({});
  });

  it('15: a second Contain on a live target is refused with a link to that action, and changes nothing', async () => {
    const h = containmentHarness();
    h.sb.createRole(PROD, 'app-role');
    const first = await contain(h, `arn:aws:iam::${PROD}:role/app-role`);
    await h.service.transition(first.id, ['planned'], { messageChannel: 'C0CASE', messageTs: '1700000000.000100' });
    await h.service.apply(first.id, 'U');
    const mutations = h.sb.mutations().length;
    const err = (await contain(h, `arn:aws:iam::${PROD}:role/app-role`).catch((e: unknown) => e)) as { code: string; message: string };
    expect(err.code).toBe('CONTAINMENT.TARGET_BUSY');
    expect(err.message).toContain(`<https://slack.com/archives/C0CASE/p1700000000000100|action ${first.id}> in <#C0CASE> is applied`);
    expect(h.sb.mutations()).toHaveLength(mutations);
    expect(await h.store.listActions({})).toHaveLength(1);
    expect((await h.store.listAudit({})).find((e) => e.event === 'action.refused')?.detail).toMatchObject({ code: 'CONTAINMENT.TARGET_BUSY', actionId: first.id });
    // Once reverted, the target is free again.
    await h.service.revert(first.id, 'U');
    await expect(contain(h, `arn:aws:iam::${PROD}:role/app-role`)).resolves.toMatchObject({ status: 'planned' });
  });

  it('15: two plans racing for one target (Promise.all): exactly one is stored, the other is refused with a link to it', async () => {
    const h = containmentHarness();
    h.sb.createRole(PROD, 'app-role');
    const results = await Promise.allSettled([contain(h, `arn:aws:iam::${PROD}:role/app-role`), contain(h, `arn:aws:iam::${PROD}:role/app-role`)]);
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as { code: string; message: string }] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.code).toBe('CONTAINMENT.TARGET_BUSY');
    expect(lost[0]!.message).toContain(`action ${won[0]!.id}`);
    expect((await h.store.listActions({})).map((a) => a.id)).toEqual([won[0]!.id]);
  });

  it('15: two actions that attach the same deny (two functions sharing a role) do not undo each other on Revert', async () => {
    const h = containmentHarness();
    const role = h.sb.createRole(PROD, 'shared-fn-role');
    h.sb.createFunction({ accountId: PROD, region: REGION, name: 'one', roleArn: role.arn });
    h.sb.createFunction({ accountId: PROD, region: REGION, name: 'two', roleArn: role.arn });
    const before = h.sb.snapshotState(PROD);
    const one = await contain(h, `arn:aws:lambda:${REGION}:${PROD}:function:one`);
    await h.service.apply(one.id, 'U');
    const two = await contain(h, `arn:aws:lambda:${REGION}:${PROD}:function:two`);
    // The deny is already attached, by Cordon: the second action plans it as its own too.
    expect(two.plan.map((s) => s.id)).toContain('deny-all:role/shared-fn-role');
    await h.service.apply(two.id, 'U');
    const r1 = (await h.service.revert(one.id, 'U'))!;
    expect(r1.steps.find((s) => s.stepId === 'deny-all:role/shared-fn-role')).toMatchObject({ status: 'kept', keptReason: `kept: action ${two.id} still holds it` });
    expect(h.sb.snapshotState(PROD).iam.roles['shared-fn-role']!.attachedPolicyArns).toEqual(['arn:aws:iam::aws:policy/AWSDenyAll']);
    expect(h.sb.snapshotState(PROD).regions[REGION]!.lambda.functions.two!.reservedConcurrency).toBe(0);
    await h.service.revert(two.id, 'U');
    expect(h.sb.snapshotState(PROD)).toEqual(before);
  });

  it('15: actions on two instances share step ids (network, tag) but not changes: reverting one restores its own instance', async () => {
    const h = containmentHarness();
    const a = h.sb.createInstance({ accountId: PROD, region: REGION });
    const b = h.sb.createInstance({ accountId: PROD, region: REGION, vpcId: a.vpcId, subnetId: a.subnetId });
    const ea = await contain(h, `arn:aws:ec2:${REGION}:${PROD}:instance/${a.instanceId}`);
    await h.service.apply(ea.id, 'U');
    const eb = await contain(h, `arn:aws:ec2:${REGION}:${PROD}:instance/${b.instanceId}`);
    await h.service.apply(eb.id, 'U');
    const reverted = (await h.service.revert(ea.id, 'U'))!;
    expect(reverted.steps.filter((s) => s.status === 'kept' && s.keptReason)).toEqual([]);
    expect(h.sb.snapshotState(PROD).regions[REGION]!.ec2.networkInterfaces[a.networkInterfaceIds[0]!]!.groupIds).toEqual(a.securityGroupIds[0]);
  });

  it('15: a user contained while one of its keys is held by a live key action: reverting the user does not reactivate that key', async () => {
    const h = containmentHarness();
    h.sb.createUser(PROD, 'dev');
    const key = h.sb.createAccessKey(PROD, 'dev');
    const byKey = await contain(h, key.accessKeyId);
    await h.service.apply(byKey.id, 'U');
    const byUser = await contain(h, `arn:aws:iam::${PROD}:user/dev`);
    expect(byUser.plan.map((s) => s.id)).toContain(`deactivate-key:${key.accessKeyId}`);
    await h.service.apply(byUser.id, 'U');
    await h.service.revert(byUser.id, 'U');
    expect(h.sb.snapshotState(PROD).iam.users.dev!.accessKeys[0]!.status).toBe('Inactive');
    await h.service.revert(byKey.id, 'U');
    expect(h.sb.snapshotState(PROD).iam.users.dev!.accessKeys[0]!.status).toBe('Active');
  });

  it('16: provisioned concurrency is recorded and removed before the throttle (AWS refuses 0 while it exists), and restored on Revert', async () => {
    const h = containmentHarness();
    const role = h.sb.createRole(PROD, 'pc-role');
    h.sb.createFunction({ accountId: PROD, region: REGION, name: 'api', roleArn: role.arn, reservedConcurrency: 20, provisionedConcurrency: { live: 5, '3': 2 } });
    // What AWS does without Cordon's first step.
    await expect(h.sb.lambda(PROD, REGION, { maxAttempts: 1 }).send(new PutFunctionConcurrencyCommand({ FunctionName: 'api', ReservedConcurrentExecutions: 0 }))).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
    });
    const before = h.sb.snapshotState(PROD);
    const planned = await contain(h, `arn:aws:lambda:${REGION}:${PROD}:function:api`);
    expect(planned.prior!.provisionedConcurrency).toEqual([
      { qualifier: '3', count: 2 },
      { qualifier: 'live', count: 5 },
    ]);
    const applied = (await h.service.apply(planned.id, 'U')) as Action;
    expect(applied.status).toBe('applied');
    const fn = h.sb.snapshotState(PROD).regions[REGION]!.lambda.functions.api!;
    expect([fn.reservedConcurrency, fn.provisionedConcurrency]).toEqual([0, undefined]);
    await h.service.revert(planned.id, 'U');
    expect(h.sb.snapshotState(PROD)).toEqual(before);
  });

  it('16: a function whose execution role was deleted is still throttled', async () => {
    const h = containmentHarness();
    h.sb.createFunction({ accountId: PROD, region: REGION, name: 'orphan', roleArn: `arn:aws:iam::${PROD}:role/deleted-role` });
    const planned = await contain(h, `arn:aws:lambda:${REGION}:${PROD}:function:orphan`);
    expect(planned.notes.join('\n')).toContain('Execution role deleted-role no longer exists');
    expect((await h.service.apply(planned.id, 'U'))!.status).toBe('applied');
    const c = await h.sb.lambda(PROD, REGION).send(new GetFunctionConcurrencyCommand({ FunctionName: 'orphan' }));
    expect(c.ReservedConcurrentExecutions).toBe(0);
  });
});

describe('issue 15: what Revert keeps is the whole difference', () => {
  it('a role contained and reverted differs from before only by the revocation', async () => {
    const h = containmentHarness();
    h.sb.createRole(PROD, 'r');
    const before = h.sb.snapshotState(PROD);
    const p = await contain(h, `arn:aws:iam::${PROD}:role/r`);
    await h.service.apply(p.id, 'U');
    await h.service.revert(p.id, 'U');
    const after = h.sb.snapshotState(PROD);
    expect(after).not.toEqual(before);
    expect(withoutEvidence(after)).toEqual(withoutEvidence(before));
    await expect(h.sb.iam(PROD).send(new ListRolesCommand({}))).resolves.toBeDefined();
  });
});

describe('issue 15, point 4: Auto Scaling members go to Standby before isolation', () => {
  const arn = (id: string) => `arn:aws:ec2:${REGION}:${PROD}:instance/${id}`;
  const member = (h: H, id: string) => h.sb.snapshotState(PROD).regions[REGION]!.autoscaling.groups['web-asg']!.instances[id]!;

  it('an InService member is put in Standby (desired capacity decremented), survives the health checks isolation fails, and Revert brings it back exactly', async () => {
    const h = containmentHarness();
    const a = h.sb.createInstance({ accountId: PROD, region: REGION });
    const b = h.sb.createInstance({ accountId: PROD, region: REGION, vpcId: a.vpcId, subnetId: a.subnetId });
    h.sb.createAutoScalingGroup({ accountId: PROD, region: REGION, name: 'web-asg', instanceIds: [a.instanceId, b.instanceId], minSize: 1, maxSize: 4 });
    const before = h.sb.snapshotState(PROD);
    const planned = await contain(h, arn(a.instanceId));
    expect(planned.plan.find((s) => s.op === 'asg.enter-standby')).toMatchObject({ params: { instanceId: a.instanceId, group: 'web-asg' }, revertible: true });
    const done = (await h.service.apply(planned.id, 'U'))!;
    expect(done.status).toBe('applied');
    expect(done.steps.find((s) => s.stepId === 'asg-standby')!.result).toEqual({ decremented: true });
    expect(member(h, a.instanceId).lifecycleState).toBe('Standby');
    expect(h.sb.snapshotState(PROD).regions[REGION]!.autoscaling.groups['web-asg']!.desiredCapacity).toBe(1);
    // Isolated, yet not health-checked: the evidence stays.
    expect(h.sb.runAutoScalingHealthChecks(PROD, REGION)).toEqual([]);
    expect(h.sb.snapshotState(PROD).regions[REGION]!.ec2.instances[a.instanceId]!.state).toBe('running');
    await h.service.revert(planned.id, 'U');
    expect(withoutEvidence(h.sb.snapshotState(PROD))).toEqual(withoutEvidence(before));
  });

  it('without Standby (EnterStandby refused) the instance is still isolated, and the simulator shows why Standby matters: the group terminates it', async () => {
    const h = containmentHarness();
    const a = h.sb.createInstance({ accountId: PROD, region: REGION });
    h.sb.createAutoScalingGroup({ accountId: PROD, region: REGION, name: 'web-asg', instanceIds: [a.instanceId], minSize: 0, maxSize: 2 });
    h.sb.failCall('EnterStandby', { code: 'AccessDenied', message: 'not authorized to perform: autoscaling:EnterStandby' });
    const done = (await h.service.apply((await contain(h, arn(a.instanceId))).id, 'U'))!;
    expect(done.status).toBe('partially_applied');
    expect(done.steps.find((s) => s.stepId === 'network')!.status).toBe('applied');
    expect(h.sb.runAutoScalingHealthChecks(PROD, REGION)).toEqual([a.instanceId]);
    expect(h.sb.snapshotState(PROD).regions[REGION]!.ec2.instances[a.instanceId]!.state).toBe('terminated');
  });

  it('at the minimum size, Standby goes without the decrement (Auto Scaling refuses it), and the record says so', async () => {
    const h = containmentHarness();
    const a = h.sb.createInstance({ accountId: PROD, region: REGION });
    h.sb.createAutoScalingGroup({ accountId: PROD, region: REGION, name: 'web-asg', instanceIds: [a.instanceId], minSize: 1, maxSize: 3 });
    const done = (await h.service.apply((await contain(h, arn(a.instanceId))).id, 'U'))!;
    expect(done.steps.find((s) => s.stepId === 'asg-standby')!.result).toEqual({ decremented: false });
    expect(h.sb.calls({ command: 'EnterStandby' }).map((c) => c.outcome)).toEqual(['ValidationError', 'ok']);
    expect(member(h, a.instanceId).lifecycleState).toBe('Standby');
    await h.service.revert(done.id, 'U');
    expect(member(h, a.instanceId).lifecycleState).toBe('InService');
  });
});

describe('issue 15, point 18: attribution', () => {
  it('each acting person gets their own member session, carrying them as SourceIdentity: a revert is attributed to whoever reverted', async () => {
    const h = containmentHarness();
    h.sb.createRole(PROD, 'app-role');
    const planned = await contain(h, `arn:aws:iam::${PROD}:role/app-role`);
    await h.service.apply(planned.id, 'U0ALICE');
    await h.service.revert(planned.id, 'U0BOSS');
    expect(h.sb.calls({ command: 'AssumeRole', outcome: 'ok' }).map((c) => (c.input as { SourceIdentity?: string }).SourceIdentity)).toEqual(['U0ALICE', 'U0BOSS']);
    const by = (command: string) => h.sb.mutations({ command }).map((c) => c.sourceIdentity);
    expect(by('AttachRolePolicy')).toEqual(['U0ALICE']);
    expect(by('DetachRolePolicy')).toEqual(['U0BOSS']);
  });

  it('a member role whose trust policy does not allow sts:SetSourceIdentity is refused by STS (the simulator follows AWS)', async () => {
    const h = containmentHarness();
    h.sb.createMemberRole(PROD, 'NoSourceIdentity', { trustedPrincipalArn: `arn:aws:iam::999999999999:role/sandbox-admin`, externalId: 'x-external-id', allowSourceIdentity: false });
    const sts = h.sb.sts('999999999999', { maxAttempts: 1 });
    const { AssumeRoleCommand } = await import('@aws-sdk/client-sts');
    const assume = (SourceIdentity?: string) =>
      sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${PROD}:role/NoSourceIdentity`, RoleSessionName: 'sess', ExternalId: 'x-external-id', ...(SourceIdentity ? { SourceIdentity } : {}) }));
    await expect(assume('U0ALICE')).rejects.toMatchObject({ name: 'AccessDenied', message: expect.stringContaining('sts:SetSourceIdentity') as unknown });
    await expect(assume()).resolves.toBeDefined();
  });
});

describe('issue 15, point 11 through the revert job', () => {
  it('the revert job leaves off the keys the stored revert request names (what was asked and approved, not what a job says)', async () => {
    const { ContainmentJobs } = await import('../../../src/services/containment-jobs');
    const h = containmentHarness();
    h.sb.createUser(PROD, 'mallory');
    const old = h.sb.createAccessKey(PROD, 'mallory');
    const fresh = h.sb.createAccessKey(PROD, 'mallory');
    const planned = await contain(h, `arn:aws:iam::${PROD}:user/mallory`);
    await h.service.apply(planned.id, 'U0ALICE');
    await h.service.transition(planned.id, ['applied'], { revertRequest: { by: 'U0BOSS', at: new Date().toISOString(), keepOff: [fresh.accessKeyId] } });
    const jobs = new ContainmentJobs({ store: h.store, containment: h.service, reporter: {}, now: () => new Date() } as unknown as ConstructorParameters<typeof ContainmentJobs>[0]);
    await jobs.runRevert(planned.id, 'U0BOSS');
    const keys = Object.fromEntries(h.sb.snapshotState(PROD).iam.users.mallory!.accessKeys.map((k) => [k.accessKeyId, k.status]));
    expect(keys).toEqual({ [old.accessKeyId]: 'Active', [fresh.accessKeyId]: 'Inactive' });
    expect((await h.store.getAction(planned.id))!.revertRequest).toBeUndefined();
  });
});
