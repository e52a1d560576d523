import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFindingDetail } from '../../../sandbox/findings/finding-factory';
import type { StoredFinding } from '../../../src/domain/cases/case';
import { parseFinding } from '../../../src/domain/findings/parse-finding';
import { renderCaseReport } from '../../../src/domain/reports/case-report';
import { caseMetrics } from '../../../src/domain/reports/metrics';
import { Triage } from '../../../src/domain/triage/triage';
import { silentLogger } from '../../../src/log';
import { FindingPipeline } from '../../../src/services/finding-pipeline';
import { renderFindingCard } from '../../../src/slack/blocks/finding-card';
import { SqliteStore } from '../../../src/store/sqlite-store';
import { FIXTURE_DIR } from '../../support/fixtures';

const routing = {
  low: { open: 'digest' as const, mention: false, escalate: false },
  medium: { open: 'case' as const, mention: false, escalate: false },
  high: { open: 'case' as const, mention: true, escalate: false },
  critical: { open: 'case' as const, mention: true, escalate: true },
};

function setup() {
  const store = SqliteStore.open(':memory:');
  const logs: Record<string, unknown>[] = [];
  const log = { ...silentLogger, info: (o: unknown) => void logs.push(o as Record<string, unknown>) } as unknown as typeof silentLogger;
  const triage = new Triage({
    routing,
    knownCidrs: [
      { cidr: '203.0.113.0/24', name: 'office' },
      { cidr: '192.0.2.0/24', name: 'scanner' },
    ],
    suppressions: [{ id: 'known-networks', reason: 'our own networks', knownCidrsOnly: true }],
  });
  let r = 0.2;
  const pipeline = new FindingPipeline(store, triage, log, { correlationWindowMs: 24 * 3600_000, responderGroup: 'S0RESPOND', now: () => new Date('2026-11-22T02:00:00Z'), random: () => (r = (r + 0.37) % 1) });
  return { store, pipeline, logs };
}

describe('samples stay samples (issue 18 point 6)', () => {
  const sample = JSON.parse(readFileSync(join(FIXTURE_DIR, 'sample-iam-detail.json'), 'utf8')) as Record<string, unknown>;

  it('a sample Critical opens a case labelled SAMPLE that neither mentions nor escalates', async () => {
    const { store, pipeline } = setup();
    const s = await pipeline.ingestDetail({ ...sample, severity: 9.5, service: { ...(sample.service as object), archived: false } }, 't');
    const c = await store.getCase(s.casesOpened[0]!);
    expect(c).toMatchObject({ band: 'critical', mention: false, escalate: false });
    const events = await store.listTimeline(c!.id);
    expect(events.filter((e) => e.kind === 'escalation.requested' || e.mentionGroup)).toEqual([]);
    const card = renderFindingCard((await store.listFindings({ caseId: c!.id }))[0]!);
    expect(card.text).toMatch(/^SAMPLE /);
    expect(JSON.stringify(card.blocks)).toContain('*SAMPLE*');
  });

  it('never joins a real case, even with the same access key', async () => {
    const { store, pipeline } = setup();
    const key = ((sample.resource as { accessKeyDetails: { accessKeyId: string } }).accessKeyDetails).accessKeyId;
    const real = await pipeline.ingestDetail(makeFindingDetail({ accessKeyId: key, severity: 5 }), 't');
    const fake = await pipeline.ingestDetail(sample, 't');
    expect(fake.casesOpened).toHaveLength(1);
    expect(fake.casesOpened[0]).not.toBe(real.casesOpened[0]);
    expect(await store.listFindings({ caseId: real.casesOpened[0]! })).toHaveLength(1);
  });
});

describe("times are GuardDuty's (issue 18 point 7)", () => {
  it("a finding from last year shows last year's date, and the report's metrics start there", async () => {
    const { store, pipeline } = setup();
    const d = makeFindingDetail({ accessKeyId: 'AKIAOLD0000000000001', severity: 8, createdAt: '2025-03-14T09:30:00.000Z', updatedAt: '2025-03-14T09:30:00.000Z' });
    (d.service as Record<string, unknown>).eventFirstSeen = '2025-03-14T08:15:00.000Z';
    const s = await pipeline.ingestDetail(d, 'replay');
    const c = (await store.getCase(s.casesOpened[0]!))!;
    expect(c.detectedAt).toBe('2025-03-14T08:15:00.000Z');
    const sf = (await store.getFinding(String(d.id))) as StoredFinding;
    expect(JSON.stringify(renderFindingCard(sf).blocks)).toContain(`activity <!date^${Date.parse('2025-03-14T08:15:00.000Z') / 1000}^{date_short_pretty} {time}|2025-03-14 08:15 UTC>`);
    const metrics = caseMetrics({ ...c, resolvedAt: '2026-11-22T03:00:00.000Z' }, []);
    expect(metrics.detectedAt).toBe('2025-03-14T08:15:00.000Z');
    expect(metrics.timeToResolveMs).toBe(Date.parse('2026-11-22T03:00:00.000Z') - Date.parse('2025-03-14T08:15:00.000Z'));
    const report = renderCaseReport({ case: c, findings: [sf], actions: [], timeline: [], metrics, generatedAt: '2026-11-22T04:00:00.000Z' });
    expect(report).toContain('| 2025-03-14 08:15:00 |');
    expect(report).toContain('detected 2025-03-14 08:15:00');
  });
});

describe('every rejection says exactly why (issue 18 point 8)', () => {
  const base = makeFindingDetail();
  const without = (k: string): Record<string, unknown> => Object.fromEntries(Object.entries(base).filter(([key]) => key !== k));
  const inputs: [string, unknown][] = [
    ['severity missing', without('severity')],
    ['severity a string', { ...base, severity: '8.0' }],
    ['severity null', { ...base, severity: null }],
    ['severity above 10', { ...base, severity: 11 }],
    ['severity below 0', { ...base, severity: -1 }],
    ['id missing', without('id')],
    ['id a number', { ...base, id: 42 }],
    ['id empty', { ...base, id: '' }],
    ['type missing', without('type')],
    ['type malformed', { ...base, type: 'not a type' }],
    ['accountId missing', without('accountId')],
    ['accountId malformed', { ...base, accountId: '12345' }],
    ['region missing', without('region')],
    ['region malformed', { ...base, region: 'mars' }],
    ['createdAt missing', without('createdAt')],
    ['createdAt unreadable', { ...base, createdAt: 'yesterday' }],
    ['resource missing', without('resource')],
    ['resource a string', { ...base, resource: 'i-123' }],
    ['resourceType missing', { ...base, resource: {} }],
  ];

  it('gives each defect its own reason, naming the field', () => {
    const reasons = inputs.map(([name, input]) => {
      const r = parseFinding(input);
      if (r.ok) throw new Error(`${name} was accepted`);
      return r.reason;
    });
    expect(new Set(reasons).size).toBe(inputs.length);
    expect(reasons[0]).toBe('severity: missing');
    expect(reasons[1]).toBe('severity: is a string, not a number from 0 to 10');
  });

  it('stores each rejection with its reason', async () => {
    const { store, pipeline } = setup();
    await pipeline.ingestDocument(inputs.map(([, i]) => i), 't');
    expect(new Set((await store.listRejected(100)).map((r) => r.reason)).size).toBe(inputs.length);
  });

  it('a known-network suppression records which network (name and CIDR) matched, stored and logged', async () => {
    const { store, pipeline, logs } = setup();
    const d = makeFindingDetail({ remoteIp: '192.0.2.44' });
    expect(await pipeline.ingestDetail(d, 't')).toMatchObject({ suppressed: 1 });
    const sf = await store.getFinding(String(d.id));
    expect(sf).toMatchObject({ disposition: 'suppressed', suppressedBy: 'known-networks', suppressedNetworks: [{ ip: '192.0.2.44', name: 'scanner', cidr: '192.0.2.0/24' }] });
    expect(logs).toContainEqual(expect.objectContaining({ rule: 'known-networks', networks: [{ ip: '192.0.2.44', name: 'scanner', cidr: '192.0.2.0/24' }] }));
  });
});
