import { openToTheInternet } from '../../../src/containment/playbooks/ec2-instance';
import { containmentHarness, PROD, REGION, withoutEvidence } from '../../support/aws';

type H = ReturnType<typeof containmentHarness>;

/** An instance whose one interface sits in a group of its own with these ingress rules. */
function instanceWith(h: H, ingress: Parameters<H['sb']['createSecurityGroup']>[0]['ingress']) {
  const vpc = h.sb.createVpc({ accountId: PROD, region: REGION });
  const sg = h.sb.createSecurityGroup({ accountId: PROD, region: REGION, vpcId: vpc.vpcId, name: 'launch-wizard-1', ...(ingress ? { ingress } : {}) });
  const inst = h.sb.createInstance({ accountId: PROD, region: REGION, vpcId: vpc.vpcId, groupIds: [[sg]] });
  return { inst, sg, arn: `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}` };
}

const groupsOf = (h: H, eni: string) => h.sb.snapshotState(PROD).regions[REGION]!.ec2.networkInterfaces[eni]!.groupIds;

/** Revert must never hand an attacker back what containment took: SSH or RDP open to the internet is often how the instance was taken. */
describe('Revert of an EC2 isolation and groups open to the internet', () => {
  it('keeps an interface isolated when its own group lets the internet reach SSH, says why and how to go on; --restore-open puts it back', async () => {
    const h = containmentHarness();
    const { inst, sg, arn } = instanceWith(h, [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }]);
    const eni = inst.networkInterfaceIds[0]!;
    const before = h.sb.snapshotState(PROD);
    const planned = await h.service.plan({ target: arn, requestedBy: 'U0ALICE', dryRun: false });
    expect((await h.service.apply(planned.id, 'U0ALICE'))!.status).toBe('applied');
    const isolated = groupsOf(h, eni);
    expect(isolated).not.toContain(sg);

    const held = (await h.service.revert(planned.id, 'U0BOSS'))!;
    expect(held.status).toBe('revert_failed');
    const network = held.steps.find((s) => s.stepId === 'network')!;
    expect(network.status).toBe('revert_failed');
    expect(network.revertError).toBe(
      `Kept isolated: ${eni} (its own ${sg} allows tcp 22 from 0.0.0.0/0). Its own groups would let the internet reach the instance's remote administration, which may be how it was taken. Close those rules and press Revert again, or run /ir revert ${planned.id} --restore-open (cordon revert … --restore-open from a terminal) to put the groups back as they were.`,
    );
    expect(groupsOf(h, eni)).toEqual(isolated);
    // Everything else was reverted: only the interface waits.
    expect(held.steps.filter((s) => s.status === 'revert_failed').map((s) => s.stepId)).toEqual(['network']);

    const done = (await h.service.revert(planned.id, 'U0BOSS', {}, { restoreOpen: true }))!;
    expect(done.status).toBe('reverted');
    expect(groupsOf(h, eni)).toEqual([sg]);
    expect(withoutEvidence(h.sb.snapshotState(PROD)).regions[REGION]!.ec2.networkInterfaces).toEqual(withoutEvidence(before).regions[REGION]!.ec2.networkInterfaces);
    const audit = await h.store.listAudit({ actionId: planned.id });
    expect(audit.filter((e) => e.event === 'action.revert_started').map((e) => e.detail)).toEqual([{}, { restoreOpen: true }]);
  });

  it('once the rule is closed, a plain Revert again puts the interface back', async () => {
    const h = containmentHarness();
    const { inst, sg, arn } = instanceWith(h, [{ IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }]);
    const planned = await h.service.plan({ target: arn, requestedBy: 'U0ALICE', dryRun: false });
    await h.service.apply(planned.id, 'U0ALICE');
    expect((await h.service.revert(planned.id, 'U0BOSS'))!.steps.find((s) => s.stepId === 'network')!.revertError).toContain(`${sg} allows all traffic from ::/0`);
    h.sb.rawState(PROD).regions[REGION]!.ec2.securityGroups[sg]!.ingress = [];
    expect((await h.service.revert(planned.id, 'U0BOSS'))!.status).toBe('reverted');
    expect(groupsOf(h, inst.networkInterfaceIds[0]!)).toEqual([sg]);
  });

  it('restores a group open to the internet on other ports (HTTPS), or open to SSH from inside only, as it was', async () => {
    const h = containmentHarness();
    const { inst, sg, arn } = instanceWith(h, [
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
    ]);
    const planned = await h.service.plan({ target: arn, requestedBy: 'U0ALICE', dryRun: false });
    await h.service.apply(planned.id, 'U0ALICE');
    expect((await h.service.revert(planned.id, 'U0BOSS'))!.status).toBe('reverted');
    expect(groupsOf(h, inst.networkInterfaceIds[0]!)).toEqual([sg]);
  });

  it.each([
    [{ IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }, ['tcp 3389 from 0.0.0.0/0']],
    [{ IpProtocol: '6', FromPort: 0, ToPort: 65535, Ipv6Ranges: [{ CidrIpv6: '::/0' }] }, ['tcp 0-65535 from ::/0']],
    [{ IpProtocol: 'tcp', FromPort: 20, ToPort: 23, IpRanges: [{ CidrIp: '0.0.0.0/0' }, { CidrIp: '10.0.0.0/8' }] }, ['tcp 20-23 from 0.0.0.0/0']],
    [{ IpProtocol: 'udp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }, []],
    [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/1' }, { CidrIp: '128.0.0.0/1' }] }, ['tcp 22 from 0.0.0.0/1 and 128.0.0.0/1']],
    [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, Ipv6Ranges: [{ CidrIpv6: '2000::/3' }] }, ['tcp 22 from 2000::/3']],
    [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }, { CidrIp: '203.0.113.0/24' }] }, []],
    [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListIds: [{ PrefixListId: 'pl-1' }] }, []],
  ])('%j open to the internet: %j', (rule, words) => {
    expect(openToTheInternet({ IpPermissions: [rule] })).toEqual(words);
  });
});
