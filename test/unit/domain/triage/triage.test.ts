import { parseFinding } from '../../../../src/domain/findings/parse-finding';
import type { Finding } from '../../../../src/domain/findings/finding';
import { bandOf } from '../../../../src/domain/triage/bands';
import { correlationKeys } from '../../../../src/domain/triage/correlation';
import { Triage, type TriagePolicy } from '../../../../src/domain/triage/triage';
import { makeFindingDetail, type FindingSpec } from '../../../../sandbox/findings/finding-factory';

function finding(spec: FindingSpec): Finding {
  const r = parseFinding(makeFindingDetail(spec));
  if (!r.ok) throw new Error(r.reason);
  return r.finding;
}

const routing: TriagePolicy['routing'] = {
  low: { open: 'digest', mention: false, escalate: false },
  medium: { open: 'case', mention: false, escalate: false },
  high: { open: 'case', mention: true, escalate: false },
  critical: { open: 'case', mention: true, escalate: true },
};
const now = new Date('2026-11-22T03:00:00Z');

describe('bands', () => {
  it.each([
    [0.1, 'low'],
    [3.9, 'low'],
    [4.0, 'medium'],
    [6.9, 'medium'],
    [7.0, 'high'],
    [8.9, 'high'],
    [9.0, 'critical'],
    [10, 'critical'],
  ])('%s is %s', (sev, band) => expect(bandOf(sev)).toBe(band));
});

describe('Triage.decide', () => {
  const triage = new Triage({
    routing,
    knownCidrs: [
      { cidr: '203.0.113.0/24', name: 'office' },
      { cidr: '2001:db8::/32', name: 'vpn' },
    ],
    suppressions: [
      { id: 'known-networks', reason: 'our networks', knownCidrsOnly: true },
      { id: 'sandbox-recon', reason: 'red team', type: 'Recon:EC2/*', accounts: ['222222222222'] },
      { id: 'scanners', reason: 'scanner', tags: { Role: 'scanner' }, regions: ['eu-west-1'] },
      { id: 'expired', reason: 'old', type: 'Backdoor:*', expires: '2026-01-01T00:00:00Z' },
    ],
  });

  it('routes by band', () => {
    expect(triage.decide(finding({ severity: 2 }), now)).toMatchObject({ kind: 'digest', band: 'low' });
    expect(triage.decide(finding({ severity: 5 }), now)).toMatchObject({ kind: 'case', band: 'medium', route: { mention: false } });
    expect(triage.decide(finding({ severity: 8 }), now)).toMatchObject({ kind: 'case', route: { mention: true, escalate: false } });
    expect(triage.decide(finding({ severity: 9.5 }), now)).toMatchObject({ kind: 'case', band: 'critical', route: { escalate: true } });
  });

  it('suppresses remote IPs inside known CIDRs, IPv4 and IPv6', () => {
    expect(triage.decide(finding({ remoteIp: '203.0.113.44' }), now)).toMatchObject({ kind: 'suppress', rule: { id: 'known-networks' } });
    const v6 = makeFindingDetail();
    ((v6.service as { action: { awsApiCallAction: { remoteIpDetails: Record<string, unknown> } } }).action.awsApiCallAction.remoteIpDetails) = {
      ipAddressV6: '2001:db8::1',
    };
    const r = parseFinding(v6);
    expect(r.ok && triage.decide(r.finding, now)).toMatchObject({ kind: 'suppress', rule: { id: 'known-networks' } });
    expect(triage.decide(finding({ remoteIp: '198.51.100.1' }), now).kind).toBe('case');
  });

  it('matches type globs only in the listed accounts', () => {
    const inSandbox = finding({ type: 'Recon:EC2/PortProbeUnprotectedPort', instanceId: 'i-0123456789abcdef0', accountId: '222222222222', remoteIp: '198.51.100.1' });
    const inProd = finding({ type: 'Recon:EC2/PortProbeUnprotectedPort', instanceId: 'i-0123456789abcdef0', accountId: '111111111111', remoteIp: '198.51.100.1' });
    expect(triage.decide(inSandbox, now)).toMatchObject({ kind: 'suppress', rule: { id: 'sandbox-recon' } });
    expect(triage.decide(inProd, now).kind).toBe('case');
  });

  it('needs every tag and the region to match', () => {
    const f = finding({ instanceId: 'i-0123456789abcdef0', tags: { Role: 'scanner' }, region: 'eu-west-1' });
    expect(triage.decide(f, now)).toMatchObject({ kind: 'suppress', rule: { id: 'scanners' } });
    expect(triage.decide(finding({ instanceId: 'i-0123456789abcdef0', tags: { Role: 'web' }, region: 'eu-west-1' }), now).kind).toBe('case');
    expect(triage.decide(finding({ instanceId: 'i-0123456789abcdef0', tags: { Role: 'scanner' } }), now).kind).toBe('case');
  });

  it('ignores expired rules and applies rules added later', () => {
    const f = finding({ type: 'Backdoor:EC2/C&CActivity.B!DNS', instanceId: 'i-0123456789abcdef0' });
    expect(triage.decide(f, now).kind).toBe('case');
    const extra = [{ id: 'slack-made', reason: 'noise', type: 'Backdoor:EC2/*' }];
    expect(triage.decide(f, now, extra)).toMatchObject({ kind: 'suppress', rule: { id: 'slack-made' } });
  });
});

describe('correlationKeys', () => {
  it('ties findings about one access key and user together', () => {
    const a = correlationKeys(finding({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', userName: 'bob' }));
    const b = correlationKeys(finding({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', userName: 'bob', bucket: 'data' }));
    expect(a).toContain('access-key:AKIAAAAAAAAAAAAAAAAA');
    expect(a).toContain('principal:111111111111:bob');
    expect(b).toContain('bucket:data');
    expect(a.filter((k) => b.includes(k))).toEqual(['access-key:AKIAAAAAAAAAAAAAAAAA', 'principal:111111111111:bob']);
  });
  it('scopes instance ids by account', () => {
    expect(correlationKeys(finding({ instanceId: 'i-0123456789abcdef0', accountId: '222222222222' }))).toContain('instance:222222222222:i-0123456789abcdef0');
  });
});
