import { extractFindingItems, parseFinding } from '../../../../src/domain/findings/parse-finding';
import { makeFindingDetail, toEventBridgeEvent } from '../../../../sandbox/findings/finding-factory';
import { loadFixtures, pascalize } from '../../../support/fixtures';

describe('parseFinding', () => {
  const fixtures = loadFixtures();

  it('finds the shared fixtures', () => {
    expect(fixtures.map((f) => f.name)).toEqual(['sample-ec2-detail.json', 'sample-iam-detail.json', 'sample-s3-detail.json']);
  });

  it.each(fixtures.map((f) => [f.name, f.detail] as const))('parses %s', (_name, detail) => {
    const r = parseFinding(detail);
    if (!r.ok) throw new Error(r.reason);
    expect(r.finding.id).toBe(detail.id);
    expect(r.finding.accountId).toBe('123456789012');
    expect(r.finding.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('reads the EC2 fixture resources, tags and remote IP', () => {
    const r = parseFinding(fixtures[0]!.detail);
    if (!r.ok) throw new Error(r.reason);
    expect(r.finding.resources).toEqual([
      { kind: 'ec2-instance', id: 'i-05746eb48123455e0', arn: 'arn:aws:ec2:us-east-1:123456789012:instance/i-05746eb48123455e0' },
    ]);
    expect(r.finding.tags).toEqual({ Name: 'ssh-22-open' });
    expect(r.finding.remoteIps).toEqual(['0.0.0.0']);
  });

  it('reads GetFindings PascalCase output the same as EventBridge camelCase', () => {
    const detail = fixtures[2]!.detail;
    const camel = parseFinding(detail);
    const pascal = parseFinding(pascalize(detail));
    expect(pascal).toEqual(camel);
  });

  it('accepts epoch-millisecond and epoch-second timestamps', () => {
    const ms = parseFinding({ ...makeFindingDetail(), updatedAt: 1763776800000 });
    const s = parseFinding({ ...makeFindingDetail(), updatedAt: 1763776800 });
    expect(ms.ok && ms.finding.updatedAt).toBe('2025-11-22T02:00:00.000Z');
    expect(s.ok && s.finding.updatedAt).toBe('2025-11-22T02:00:00.000Z');
  });

  it.each([
    ['missing id', { id: undefined }, /id/],
    ['bad account', { accountId: '12345' }, /accountId/],
    ['severity over 10', { severity: 11 }, /severity/],
    ['bad type', { type: 'not a type' }, /type/],
    ['bad region', { region: 'mars' }, /region/],
    ['unreadable timestamp', { updatedAt: 'yesterday' }, /updatedAt/],
  ])('rejects %s with a reason naming the field', (_n, patch, reason) => {
    const r = parseFinding({ ...makeFindingDetail(), ...patch });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('reads attack-sequence signals as correlation material', () => {
    const detail = makeFindingDetail({ type: 'AttackSequence:IAM/CompromisedCredentials', severity: 9.5 });
    (detail.service as Record<string, unknown>).detection = {
      sequence: { uid: 'seq-1', signals: [{ uid: 'abc', type: 'FINDING' }, { uid: 'api', type: 'API' }] },
    };
    const r = parseFinding(detail);
    expect(r.ok && r.finding.signalFindingIds).toEqual(['abc']);
    expect(r.ok && r.finding.isAttackSequence).toBe(true);
  });
});

describe('extractFindingItems', () => {
  const d = makeFindingDetail();
  it('unwraps EventBridge events, arrays and GetFindings output', () => {
    expect(extractFindingItems(toEventBridgeEvent(d))).toEqual([{ ok: true, detail: d }]);
    expect(extractFindingItems([toEventBridgeEvent(d), d])).toHaveLength(2);
    expect(extractFindingItems({ Findings: [d, d] })).toHaveLength(2);
  });
  it('refuses events from other sources with the expected form', () => {
    const [item] = extractFindingItems({ ...toEventBridgeEvent(d), source: 'aws.securityhub' });
    expect(item).toMatchObject({ ok: false, reason: expect.stringContaining('expected source aws.guardduty') as unknown });
  });
  it('refuses non-objects', () => {
    expect(extractFindingItems(42)[0]).toMatchObject({ ok: false });
  });
});
