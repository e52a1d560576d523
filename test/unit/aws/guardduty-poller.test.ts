import { GuardDutyPoller } from '../../../src/aws/guardduty-poller';
import { Triage } from '../../../src/domain/triage/triage';
import { silentLogger } from '../../../src/log';
import { FindingPipeline } from '../../../src/services/finding-pipeline';
import { AwsSandbox } from '../../../sandbox/aws';
import { makeFindingDetail } from '../../../sandbox/findings/finding-factory';
import { SqliteStore } from '../../../src/store/sqlite-store';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const routing = {
  low: { open: 'digest' as const, mention: false, escalate: false },
  medium: { open: 'case' as const, mention: false, escalate: false },
  high: { open: 'case' as const, mention: true, escalate: false },
  critical: { open: 'case' as const, mention: true, escalate: true },
};

function poller(sb: AwsSandbox, dbPath: string, now: Date) {
  const store = SqliteStore.open(dbPath);
  const pipeline = new FindingPipeline(store, new Triage({ routing, knownCidrs: [], suppressions: [] }), silentLogger, { correlationWindowMs: 86_400_000, now: () => now });
  const p = new GuardDutyPoller(sb.guardduty(ACCOUNT, REGION), REGION, pipeline, store, silentLogger, { lookbackMs: 3600_000, now: () => now });
  return { store, p };
}

describe('GuardDutyPoller', () => {
  it('ingests new findings page by page and, after a restart, neither re-posts nor skips', async () => {
    const sb = new AwsSandbox({ seed: 1 });
    sb.createDetector(ACCOUNT, REGION);
    const now = new Date('2026-11-22T03:00:00.000Z');
    for (let i = 0; i < 120; i++) {
      const d = makeFindingDetail({ accountId: ACCOUNT, region: REGION, accessKeyId: `AKIAPOLL${String(i).padStart(12, '0')}`, userName: `u${i}`, updatedAt: new Date(now.getTime() - 1800_000 + i * 1000).toISOString() });
      sb.putFinding(ACCOUNT, REGION, d);
    }
    // Older than the look-back window: not ingested on the first start.
    sb.putFinding(ACCOUNT, REGION, makeFindingDetail({ accountId: ACCOUNT, region: REGION, updatedAt: '2026-11-21T00:00:00.000Z' }));
    const db = join(mkdtempSync(join(tmpdir(), 'cordon-poll-')), 'p.db');

    const first = poller(sb, db, now);
    const s1 = await first.p.pollOnce();
    expect(s1).toMatchObject({ newFindings: 120, rejected: 0 });
    expect(sb.calls({ command: 'GetFindings' }).length).toBe(3);
    await first.store.close();

    // Restart: the same findings again are no-ops; one new finding is taken.
    const later = new Date(now.getTime() + 60_000);
    sb.putFinding(ACCOUNT, REGION, makeFindingDetail({ accountId: ACCOUNT, region: REGION, accessKeyId: 'AKIAPOLLNEW000000001', updatedAt: later.toISOString() }));
    const second = poller(sb, db, later);
    const s2 = await second.p.pollOnce();
    expect(s2.newFindings).toBe(1);
    expect(s2.cased).toBe(1);
    expect((await second.store.listFindings({})).length).toBe(121);
    await second.store.close();
  });
});
