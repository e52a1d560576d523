import { TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../../sandbox/dynamodb/local-dynamodb';
import { makeFindingDetail, toEventBridgeEvent } from '../../../sandbox/findings/finding-factory';
import { Triage } from '../../../src/domain/triage/triage';
import { silentLogger } from '../../../src/log';
import { FindingPipeline } from '../../../src/services/finding-pipeline';
import { DynamoDbStore } from '../../../src/store/dynamodb-store';
import { SqliteStore } from '../../../src/store/sqlite-store';
import type { Store } from '../../../src/store/store';

let local: LocalDynamoDb;

beforeAll(async () => {
  local = await startLocalDynamoDb();
});

afterAll(async () => {
  await local.close();
});

const routing = {
  low: { open: 'digest' as const, mention: false, escalate: false },
  medium: { open: 'case' as const, mention: false, escalate: false },
  high: { open: 'case' as const, mention: true, escalate: false },
  critical: { open: 'case' as const, mention: true, escalate: true },
};

/** One batch: instances and access keys, two keys sharing a user (one chain), every band. */
function batch(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < 36; i++) {
    const r = i % 6;
    const severity = [5, 2, 7.5, 9.2, 5, 8][Math.floor(i / 6)] as number;
    const id = `bp${i.toString(16).padStart(30, '0')}`;
    out.push(
      toEventBridgeEvent(
        r < 3
          ? makeFindingDetail({ id, severity, instanceId: `i-${r.toString(16).padStart(17, '0')}` })
          : makeFindingDetail({ id, severity, accessKeyId: `AKIA${r.toString().padStart(16, '0')}`, userName: r === 5 ? 'user-4' : `user-${r}` }),
      ),
    );
  }
  return out;
}

/** What a placement decides, as stored: each finding's case, each case, each case's timeline. */
async function outcome(store: Store): Promise<unknown> {
  const findings = await store.listFindings({});
  const cases = await store.listCases();
  return {
    findings: Object.fromEntries(findings.map((f) => [f.id, { caseId: f.caseId, disposition: f.disposition, band: f.band }])),
    cases: await Promise.all(
      cases.map(async (c) => ({
        id: c.id,
        status: c.status,
        band: c.band,
        severity: c.severity,
        title: c.title,
        version: c.version,
        mention: c.mention,
        escalate: c.escalate,
        timeline: (await store.listTimeline(c.id)).map((e) => `${e.kind}: ${e.text}`),
      })),
    ),
  };
}

async function ingest(store: Store): Promise<unknown> {
  let seed = 7;
  const pipeline = new FindingPipeline(store, new Triage({ routing, knownCidrs: [], suppressions: [] }), silentLogger, {
    correlationWindowMs: 86_400_000,
    now: () => new Date('2026-11-22T03:00:00.000Z'),
    random: () => (seed = (seed * 48271) % 2147483647) / 2147483647,
  });
  const summary = await pipeline.ingestDocument(batch(), 'test');
  return { summary, stored: await outcome(store) };
}

describe('DynamoDB placing a batch', () => {
  it('places related findings together, in fewer transactions, exactly as SQLite places them one rule at a time', async () => {
    const client = local.client();
    let transactions = 0;
    const send = client.send.bind(client) as (c: unknown) => Promise<unknown>;
    (client as unknown as { send: (c: unknown) => Promise<unknown> }).send = (c: unknown) => {
      if (c instanceof TransactWriteItemsCommand) transactions++;
      return send(c);
    };
    await DynamoDbStore.createTable(client, 'batch-placement');
    const dynamo = new DynamoDbStore({ client, tableName: 'batch-placement', ownsClient: true });
    const sqlite = SqliteStore.open(':memory:');
    try {
      const fromDynamo = await ingest(dynamo);
      const fromSqlite = await ingest(sqlite);
      expect(fromDynamo).toEqual(fromSqlite);
      const cased = (fromSqlite as { stored: { findings: Record<string, { caseId?: string }> } }).stored.findings;
      // Low findings that joined nothing write nothing; every other one is a placement.
      expect(Object.values(cased).filter((f) => f.caseId).length).toBeGreaterThan(20);
      // Five chains (three instances, two keys, two more keys sharing a user): a handful of
      // transactions, not one per finding.
      expect(transactions).toBeLessThanOrEqual(10);
    } finally {
      await dynamo.close();
      await sqlite.close();
    }
  });
});
