import { Triage } from '../../../src/domain/triage/triage';
import { silentLogger } from '../../../src/log';
import { FindingPipeline } from '../../../src/services/finding-pipeline';
import { makeFindingDetail, toEventBridgeEvent } from '../../../sandbox/findings/finding-factory';
import { SqliteStore } from '../../../src/store/sqlite-store';

const routing = {
  low: { open: 'digest' as const, mention: false, escalate: false },
  medium: { open: 'case' as const, mention: false, escalate: false },
  high: { open: 'case' as const, mention: true, escalate: false },
  critical: { open: 'case' as const, mention: true, escalate: true },
};

function setup(start = '2026-11-22T02:00:00Z') {
  let now = new Date(start);
  const store = SqliteStore.open(':memory:');
  const triage = new Triage({ routing, knownCidrs: [{ cidr: '203.0.113.0/24', name: 'office' }], suppressions: [{ id: 'office', reason: 'ours', knownCidrsOnly: true }] });
  let r = 0.1;
  const pipeline = new FindingPipeline(store, triage, silentLogger, {
    correlationWindowMs: 24 * 3600_000,
    responderGroup: 'S0RESPOND',
    now: () => now,
    random: () => (r = (r + 0.37) % 1),
  });
  return { store, pipeline, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

describe('FindingPipeline', () => {
  it('correlates three findings about one access key into one case', async () => {
    const { store, pipeline } = setup();
    const docs = [
      makeFindingDetail({ accessKeyId: 'AKIAKEY1', userName: 'mallory', type: 'Stealth:IAMUser/CloudTrailLoggingDisabled' }),
      makeFindingDetail({ accessKeyId: 'AKIAKEY1', userName: 'mallory', type: 'Persistence:IAMUser/AnomalousBehavior' }),
      makeFindingDetail({ accessKeyId: 'AKIAKEY1', userName: 'mallory', bucket: 'payroll', type: 'Exfiltration:S3/AnomalousBehavior' }),
    ].map(toEventBridgeEvent);
    const s = await pipeline.ingestDocument(docs, 'test');
    expect(s).toMatchObject({ received: 3, newFindings: 3, cased: 3 });
    expect(s.casesOpened).toHaveLength(1);
    expect(await store.listFindings({ caseId: s.casesOpened[0]! })).toHaveLength(3);
    const kinds = (await store.listTimeline(s.casesOpened[0]!)).map((e) => e.kind);
    expect(kinds).toEqual(['case.opened', 'finding.added', 'finding.added', 'finding.added']);
  });

  it('opens a new case once the correlation window has passed', async () => {
    const { pipeline, advance } = setup();
    const a = await pipeline.ingestDetail(makeFindingDetail({ accessKeyId: 'AKIAKEY2' }), 't');
    advance(25 * 3600_000);
    const b = await pipeline.ingestDetail(makeFindingDetail({ accessKeyId: 'AKIAKEY2' }), 't');
    expect(a.casesOpened).toHaveLength(1);
    expect(b.casesOpened).toHaveLength(1);
    expect(b.casesOpened[0]).not.toBe(a.casesOpened[0]);
  });

  it('updates a re-sent finding instead of storing it twice, and ignores an identical replay', async () => {
    const { store, pipeline } = setup();
    const d = makeFindingDetail({ accessKeyId: 'AKIAKEY3' });
    await pipeline.ingestDetail(d, 't');
    const again = await pipeline.ingestDetail({ ...d, updatedAt: '2026-11-22T02:10:00.000Z', service: { ...(d.service as object), count: 7 } }, 't');
    expect(again).toMatchObject({ updated: 1, newFindings: 0 });
    const sf = await store.getFinding(String(d.id));
    expect(sf?.finding.count).toBe(7);
    expect(sf?.cardDirty).toBe(true);
    const replay = await pipeline.ingestDetail({ ...d, updatedAt: '2026-11-22T02:10:00.000Z', service: { ...(d.service as object), count: 7 } }, 't');
    expect(replay).toMatchObject({ unchanged: 1, updated: 0 });
  });

  it('re-routes a Low finding to a case when GuardDuty raises its severity', async () => {
    const { store, pipeline } = setup();
    const d = makeFindingDetail({ severity: 2, accessKeyId: 'AKIAKEY4' });
    expect(await pipeline.ingestDetail(d, 't')).toMatchObject({ digest: 1 });
    const raised = await pipeline.ingestDetail({ ...d, severity: 8, updatedAt: '2026-11-22T03:00:00.000Z' }, 't');
    expect(raised.casesOpened).toHaveLength(1);
    expect(await store.getFinding(String(d.id))).toMatchObject({ disposition: 'cased', band: 'high', caseId: raised.casesOpened[0] });
  });

  it('raises the case and mentions the responders once when a joined finding is more severe', async () => {
    const { store, pipeline } = setup();
    const s = await pipeline.ingestDetail(makeFindingDetail({ severity: 5, accessKeyId: 'AKIAKEY5' }), 't');
    await pipeline.ingestDetail(makeFindingDetail({ severity: 9.2, accessKeyId: 'AKIAKEY5', type: 'AttackSequence:IAM/CompromisedCredentials' }), 't');
    const c = await store.getCase(s.casesOpened[0]!);
    expect(c).toMatchObject({ band: 'critical', severity: 9.2, mention: true, escalate: true, cardDirty: true });
    const events = await store.listTimeline(c!.id);
    expect(events.filter((e) => e.mentionGroup === 'S0RESPOND').map((e) => e.kind)).toEqual(['finding.severity_raised']);
    expect(events.map((e) => e.kind)).toContain('escalation.requested');
    // Read by people: a sentence, not "requested by routing" (issue 16 point 8).
    expect(events.find((e) => e.kind === 'escalation.requested')!.text).toBe('Escalation requested automatically: the routing rules (triage.routing) escalate Critical findings');
  });

  it('stores suppressed and malformed findings with the reason and keeps going', async () => {
    const { store, pipeline } = setup();
    const good = makeFindingDetail({ accessKeyId: 'AKIAKEY6' });
    const s = await pipeline.ingestDocument(
      [makeFindingDetail({ remoteIp: '203.0.113.9' }), { ...makeFindingDetail(), accountId: 'nope' }, toEventBridgeEvent(good)],
      't',
    );
    expect(s).toMatchObject({ received: 3, suppressed: 1, rejected: 1, cased: 1 });
    expect((await store.listFindings({ disposition: 'suppressed' }))[0]).toMatchObject({ suppressedBy: 'office', suppressReason: 'ours' });
    expect((await store.listRejected(5))[0]?.reason).toMatch(/accountId/);
  });

  it('collects an Owner tag email for invitation', async () => {
    const { store, pipeline } = setup();
    const s = await pipeline.ingestDetail(makeFindingDetail({ instanceId: 'i-0abc1234def567890', tags: { Owner: 'Dana@Example.com' } }), 't');
    expect((await store.getCase(s.casesOpened[0]!))?.ownerEmails).toEqual(['dana@example.com']);
  });
});
