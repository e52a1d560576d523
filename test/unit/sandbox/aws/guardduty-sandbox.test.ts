import {
  BadRequestException,
  CreateFilterCommand,
  DeleteFilterCommand,
  GetFilterCommand,
  GetFindingsCommand,
  ListDetectorsCommand,
  ListFiltersCommand,
  ListFindingsCommand,
  ListFindingsCommandInput,
} from '@aws-sdk/client-guardduty';
import { AwsSandbox } from '../../../../sandbox/aws';

const ACCT = '210987654321';
const REGION = 'eu-central-1';
const T0 = Date.parse('2026-11-20T00:00:00Z');

/** Trimmed from aws-samples/amazon-guardduty-automated-response-sample (MIT-0): EventBridge `detail`, camelCase. */
function ec2Detail(id: string, type = 'UnauthorizedAccess:EC2/SSHBruteForce'): Record<string, unknown> {
  return {
    schemaVersion: '2.0',
    accountId: '123456789012',
    region: 'us-east-1',
    partition: 'aws',
    id,
    arn: `arn:aws:guardduty:us-east-1:123456789012:detector/123456789012/finding/${id}`,
    type,
    resource: {
      resourceType: 'Instance',
      instanceDetails: {
        instanceId: 'i-05746eb48123455e0',
        instanceType: 't2.micro',
        launchTime: 1492735675000,
        networkInterfaces: [{ subnetId: 'subnet-d58b7123', vpcId: 'vpc-34865123', securityGroups: [{ groupName: 'launch-wizard-1', groupId: 'sg-9918a123' }] }],
        tags: [{ key: 'Name', value: 'ssh-22-open' }],
      },
    },
    service: {
      serviceName: 'guardduty',
      detectorId: '3caf4e0aaa46ce4ccbcef949a8785353',
      action: {
        actionType: 'NETWORK_CONNECTION',
        networkConnectionAction: { connectionDirection: 'OUTBOUND', remotePortDetails: { port: 22, portName: 'SSH' }, protocol: 'TCP', blocked: false },
      },
      additionalInfo: { unusualProtocol: 'UDP', unusual: 22 },
      archived: false,
      count: 1,
    },
    severity: 5,
    createdAt: '2017-10-31T23:16:23.824Z',
    updatedAt: '2017-10-31T23:16:23.824Z',
    title: type,
    description: type,
  };
}

describe('GuardDuty sandbox', () => {
  let sandbox: AwsSandbox;

  beforeEach(() => {
    sandbox = new AwsSandbox({ seed: 9 });
  });

  it('pages ListFindings by updatedAt with NextToken, as a checkpointing poller reads it', async () => {
    // 120 findings, two per timestamp, stored out of order.
    const ids: { id: string; at: number }[] = [];
    for (let i = 0; i < 120; i++) {
      const at = T0 + Math.floor(((i * 37) % 120) / 2) * 1000;
      const { id } = sandbox.putFinding(ACCT, REGION, ec2Detail(`f${String(i).padStart(3, '0')}`), { updatedAt: at });
      ids.push({ id, at });
    }
    const gd = sandbox.guardduty(ACCT, REGION);
    const { DetectorIds = [] } = await gd.send(new ListDetectorsCommand({}));
    expect(DetectorIds).toHaveLength(1);
    const checkpoint = T0 + 4_000;

    const query: ListFindingsCommandInput = {
      DetectorId: DetectorIds[0],
      FindingCriteria: { Criterion: { updatedAt: { Gt: checkpoint } } },
      SortCriteria: { AttributeName: 'updatedAt', OrderBy: 'ASC' },
      MaxResults: 50,
    };
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await gd.send(new ListFindingsCommand({ ...query, ...(token ? { NextToken: token } : {}) }));
      expect(page.FindingIds?.length).toBeLessThanOrEqual(50);
      seen.push(...(page.FindingIds ?? []));
      token = page.NextToken;
      pages += 1;
    } while (token);

    const expected = ids.filter((x) => x.at > checkpoint).sort((a, b) => a.at - b.at);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(expected.length);
    expect(new Set(seen)).toEqual(new Set(expected.map((x) => x.id)));
    const times = seen.map((id) => ids.find((x) => x.id === id)?.at ?? 0);
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    const gte = await gd.send(new ListFindingsCommand({ ...query, FindingCriteria: { Criterion: { updatedAt: { GreaterThanOrEqual: checkpoint } } }, MaxResults: 50 }));
    expect(gte.FindingIds?.length).toBe(50);
    expect(ids.find((x) => x.id === gte.FindingIds?.[0])?.at).toBe(checkpoint);

    const tooMany = gd.send(new ListFindingsCommand({ DetectorId: DetectorIds[0], MaxResults: 51 }));
    await expect(tooMany).rejects.toBeInstanceOf(BadRequestException);
  });

  it('returns GetFindings in the SDK PascalCase shape, rewritten to where it is stored', async () => {
    const { id, detectorId } = sandbox.putFinding(ACCT, REGION, ec2Detail('abc123'));
    const gd = sandbox.guardduty(ACCT, REGION);
    const { Findings = [] } = await gd.send(new GetFindingsCommand({ DetectorId: detectorId, FindingIds: [id, 'does-not-exist'] }));
    expect(Findings).toHaveLength(1);
    const f = Findings[0];
    expect(f?.AccountId).toBe(ACCT);
    expect(f?.Region).toBe(REGION);
    expect(f?.Arn).toBe(`arn:aws:guardduty:${REGION}:${ACCT}:detector/${detectorId}/finding/abc123`);
    expect(f?.Resource?.InstanceDetails?.InstanceId).toBe('i-05746eb48123455e0');
    expect(f?.Resource?.InstanceDetails?.Tags).toEqual([{ Key: 'Name', Value: 'ssh-22-open' }]);
    expect(f?.Service?.Action?.NetworkConnectionAction?.RemotePortDetails?.Port).toBe(22);
    expect(f?.Service?.AdditionalInfo).toEqual({ Value: JSON.stringify({ unusualProtocol: 'UDP', unusual: 22 }), Type: 'default' });
    expect(f?.Service?.DetectorId).toBe(detectorId);

    const many = Array.from({ length: 51 }, (_, i) => `x${i}`);
    await expect(gd.send(new GetFindingsCommand({ DetectorId: detectorId, FindingIds: many }))).rejects.toMatchObject({ name: 'BadRequestException' });
    await expect(gd.send(new ListFindingsCommand({ DetectorId: '0'.repeat(32) }))).rejects.toMatchObject({
      name: 'BadRequestException',
      message: 'The request is rejected because the input detectorId is not owned by the current account.',
    });
  });

  it('keeps suppression filters, and an ARCHIVE filter archives matching findings as they arrive', async () => {
    const detectorId = sandbox.createDetector(ACCT, REGION);
    const gd = sandbox.guardduty(ACCT, REGION);
    const criteria = { Criterion: { type: { Eq: ['Recon:EC2/PortProbeUnprotectedPort'] } } };
    await gd.send(new CreateFilterCommand({ DetectorId: detectorId, Name: 'cordon-suppress-probes', Action: 'ARCHIVE', Rank: 1, FindingCriteria: criteria }));
    await expect(gd.send(new CreateFilterCommand({ DetectorId: detectorId, Name: 'cordon-suppress-probes', FindingCriteria: criteria }))).rejects.toBeInstanceOf(BadRequestException);
    expect((await gd.send(new ListFiltersCommand({ DetectorId: detectorId }))).FilterNames).toEqual(['cordon-suppress-probes']);
    expect(await gd.send(new GetFilterCommand({ DetectorId: detectorId, FilterName: 'cordon-suppress-probes' }))).toMatchObject({ Action: 'ARCHIVE', Rank: 1, FindingCriteria: criteria });

    sandbox.putFinding(ACCT, REGION, ec2Detail('probe1', 'Recon:EC2/PortProbeUnprotectedPort'));
    sandbox.putFinding(ACCT, REGION, ec2Detail('brute1'));
    const live = await gd.send(new ListFindingsCommand({ DetectorId: detectorId, FindingCriteria: { Criterion: { 'service.archived': { Eq: ['false'] } } } }));
    expect(live.FindingIds).toEqual(['brute1']);

    await gd.send(new DeleteFilterCommand({ DetectorId: detectorId, FilterName: 'cordon-suppress-probes' }));
    await expect(gd.send(new GetFilterCommand({ DetectorId: detectorId, FilterName: 'cordon-suppress-probes' }))).rejects.toBeInstanceOf(BadRequestException);
  });
});
