import { blockViolation } from '../../../../sandbox/slack';
import type { StoredFinding } from '../../../../src/domain/cases/case';
import type { AttackSequence, Finding } from '../../../../src/domain/findings/finding';
import { renderCaseCard } from '../../../../src/slack/blocks/case-card';
import { renderFindingCard } from '../../../../src/slack/blocks/finding-card';
import { aCase } from '../../domain/reports/report-fixtures';

// GuardDuty allows 100 signals, 400 actors, resources and endpoints, 4096-character
// descriptions: every one of them attacker-influenced text.
const evil = (i: number): string => `<!channel> *x* <https://evil.example|click> & ${'y'.repeat(300)} ${i}`;
const sequence: AttackSequence = {
  uid: evil(0),
  actors: Array.from({ length: 400 }, (_, i) => ({ userName: evil(i), userType: 'IAMUser', credentialUid: evil(i), sessionUids: [evil(i)] })),
  signals: Array.from({ length: 100 }, (_, i) => ({ uid: `arn:aws:guardduty:us-east-1:111111111111:detector/d/finding/${i}`, type: 'FINDING', name: evil(i), findingId: String(i) })),
  resources: Array.from({ length: 400 }, (_, i) => ({ type: 'EC2_INSTANCE', uid: evil(i), name: evil(i) })),
  endpoints: Array.from({ length: 400 }, (_, i) => evil(i)),
  indicators: Array.from({ length: 50 }, (_, i) => ({ key: 'HIGH_RISK_API', values: [evil(i)], title: evil(i) })),
  tactics: Array.from({ length: 50 }, (_, i) => evil(i)),
  techniques: Array.from({ length: 50 }, (_, i) => evil(i)),
};
const finding: Finding = {
  id: 'seq', arn: 'arn', type: 'AttackSequence:IAM/CompromisedCredentials', accountId: '111111111111', region: 'us-east-1', partition: 'aws', severity: 9, title: evil(1), description: evil(2),
  createdAt: '2026-11-21T02:40:00.000Z', updatedAt: '2026-11-21T02:40:00.000Z', count: 1, archived: false, resourceType: 'AttackSequence', resources: [{ kind: 'attack-sequence', id: evil(3) }], tags: {}, remoteIps: [], actor: {},
  signalFindingIds: [], isAttackSequence: true, sequence,
};
const sf: StoredFinding = { id: 'seq', finding, band: 'critical', disposition: 'cased', firstSeenAt: '2026-11-21T03:00:00.000Z', lastSeenAt: '2026-11-21T03:00:00.000Z', cardDirty: false, source: 't', version: 1 };

describe('attack-sequence blocks under hostile, maximal input', () => {
  it.each([
    ['finding card', () => renderFindingCard(sf).blocks],
    ['case card', () => renderCaseCard(aCase(), [sf]).blocks],
  ])('the %s stays within Block Kit limits and carries no live markup', (_name, render) => {
    const blocks = render();
    expect(blockViolation(blocks)).toBeUndefined();
    const json = JSON.stringify(blocks);
    expect(json).not.toContain('<!channel>');
    expect(json).not.toContain('<https://evil');
    expect(json).toContain('100 signals (100 findings');
  });
});
