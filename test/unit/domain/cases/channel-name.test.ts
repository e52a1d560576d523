import { newCaseId } from '../../../../src/domain/cases/case-id';
import { caseChannelName, isValidChannelName } from '../../../../src/domain/cases/channel-name';
import { parseFinding } from '../../../../src/domain/findings/parse-finding';
import { loadFixtures } from '../../../support/fixtures';

function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

const TYPES = [
  'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
  'Backdoor:EC2/C&CActivity.B!DNS',
  'CryptoCurrency:EC2/BitcoinTool.B!DNS',
  'AttackSequence:IAM/CompromisedCredentials',
  'Stealth:IAMUser/CloudTrailLoggingDisabled',
  'PrivilegeEscalation:Runtime/ContainerMountsHostDirectory',
  'X:Y/' + 'Ünïcödé_ÄÖ-'.repeat(30),
  'Trojan:EC2/DNSDataExfiltration',
];

describe('case ids and channel names', () => {
  it('makes short sortable ids', () => {
    const id = newCaseId(new Date('2026-11-22T01:02:03Z'), seeded(1));
    expect(id).toMatch(/^IR-20261122-[0-9A-HJKMNP-TV-Z]{4}$/);
  });

  it('names valid channels for every fixture', () => {
    for (const { detail } of loadFixtures()) {
      const r = parseFinding(detail);
      if (!r.ok) throw new Error(r.reason);
      const name = caseChannelName('ir', 'IR-20261122-7Q3F', r.finding.type);
      expect(isValidChannelName(name)).toBe(true);
      expect(name.startsWith('ir-20261122-7q3f-')).toBe(true);
    }
  });

  it('names valid channels for 1,000 generated findings, with and without retry suffixes', () => {
    const rand = seeded(42);
    for (let i = 0; i < 1000; i++) {
      const type = TYPES[i % TYPES.length]! + '.'.repeat(i % 3) + 'X'.repeat(i % 97);
      const prefix = ['ir', 'incident-response-x', 'sec_ops', 'a'][i % 4]!;
      const id = newCaseId(new Date(Date.UTC(2026, 0, 1) + i * 86_400_000), rand);
      for (const attempt of [1, 2, 17]) {
        const name = caseChannelName(prefix, id, type, attempt);
        expect(name.length).toBeLessThanOrEqual(80);
        expect(name).toMatch(/^[a-z0-9_-]+$/);
        if (attempt > 1) expect(name.endsWith(`-${attempt}`)).toBe(true);
      }
    }
  });

  it('keeps the unique head when the slug must give way', () => {
    const name = caseChannelName('incident-response-x', 'IR-20261122-7Q3F', 'A'.repeat(200), 12);
    expect(name).toMatch(/^incident-response-x-20261122-7q3f-a+-12$/);
    expect(name).toHaveLength(80);
  });
});
