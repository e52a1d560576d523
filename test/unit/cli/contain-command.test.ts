import { containmentHarness, PROD, REGION } from '../../support/aws';
import { runCli, testConfigYaml, testWorkspace } from '../../support/cli-harness';

describe('cordon contain / revert (break-glass)', () => {
  it('contains and reverts an instance from the terminal, with --json ids, through the same audit', async () => {
    const h = containmentHarness();
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, enis: 1, volumes: 1 });
    const ws = testWorkspace(testConfigYaml({ triageChannel: 'C0TRIAGE', extra: 'containment: { untrackSeconds: 0 }' }));
    const deps = { wire: { clientFactory: h.factory, sleep: () => Promise.resolve() } };
    const arn = `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`;

    const dry = await runCli(['contain', arn, '--dry-run'], ws.env, deps);
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/dry run: nothing will change/);
    expect(dry.out).toMatch(/Move eni-[0-9a-f]+ to the isolation group/);

    const before = h.sb.snapshotState(PROD);
    const contained = await runCli(['contain', arn, '--reason', 'game day', '--json'], { ...ws.env, USER: 'ops' }, deps);
    expect(contained.code).toBe(0);
    const { action } = JSON.parse(contained.out) as { action: { id: string; status: string } };
    expect(action.status).toBe('applied');

    const reverted = await runCli(['revert', action.id], { ...ws.env, USER: 'ops' }, deps);
    expect(reverted.code).toBe(0);
    expect(reverted.out).toMatch(new RegExp(`action ${action.id}: reverted`));
    const after = h.sb.snapshotState(PROD);
    expect(after.regions[REGION]!.ec2.instances[inst.instanceId]!.disableApiTermination).toBe(before.regions[REGION]!.ec2.instances[inst.instanceId]!.disableApiTermination);

    const again = await runCli(['revert', action.id], ws.env, deps);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/is reverted; only applied/);
  });

  it('revert keeps an instance whose own group opens SSH to the internet isolated, until --restore-open', async () => {
    const h = containmentHarness();
    const vpc = h.sb.createVpc({ accountId: PROD, region: REGION });
    const sg = h.sb.createSecurityGroup({ accountId: PROD, region: REGION, vpcId: vpc.vpcId, name: 'launch-wizard-1', ingress: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] });
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, vpcId: vpc.vpcId, groupIds: [[sg]] });
    const ws = testWorkspace(testConfigYaml({ triageChannel: 'C0TRIAGE', extra: 'containment: { untrackSeconds: 0 }' }));
    const deps = { wire: { clientFactory: h.factory, sleep: () => Promise.resolve() } };
    const contained = await runCli(['contain', `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`, '--json'], { ...ws.env, USER: 'ops' }, deps);
    const { action } = JSON.parse(contained.out) as { action: { id: string } };
    const eniGroups = () => h.sb.snapshotState(PROD).regions[REGION]!.ec2.networkInterfaces[inst.networkInterfaceIds[0]!]!.groupIds;

    const held = await runCli(['revert', action.id], { ...ws.env, USER: 'ops' }, deps);
    expect(held.code).toBe(1);
    expect(held.out).toMatch(new RegExp(`action ${action.id}: revert_failed`));
    expect(eniGroups()).not.toContain(sg);

    const done = await runCli(['revert', action.id, '--restore-open'], { ...ws.env, USER: 'ops' }, deps);
    expect(done.code).toBe(0);
    expect(done.out).toMatch(new RegExp(`action ${action.id}: reverted`));
    expect(eniGroups()).toEqual([sg]);
  });

  it.each([
    [['contain'], 2, /usage: cordon contain/],
    [['contain', 'arn:aws:s3:::bucket'], 1, /ARN.INVALID/],
    [['contain', 'arn:aws:iam::333333333333:user/x'], 1, /not in Cordon's allowlist.*\(ACCOUNT.NOT_ALLOWED\)/],
    [['revert', 'nope'], 1, /is not an action id/],
  ])('%j fails clearly', async (argv, code, message) => {
    const h = containmentHarness();
    const ws = testWorkspace(testConfigYaml({ triageChannel: 'C0TRIAGE' }));
    const r = await runCli(argv, ws.env, { wire: { clientFactory: h.factory } });
    expect(r.code).toBe(code);
    expect(r.err).toMatch(message);
    expect(h.sb.mutations()).toEqual([]);
  });
});
