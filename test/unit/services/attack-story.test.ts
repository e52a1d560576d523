import { TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../../sandbox/dynamodb/local-dynamodb';
import type { StoredFinding } from '../../../src/domain/cases/case';
import { renderCaseReport } from '../../../src/domain/reports/case-report';
import { caseMetrics } from '../../../src/domain/reports/metrics';
import { Triage } from '../../../src/domain/triage/triage';
import { silentLogger } from '../../../src/log';
import { FindingPipeline } from '../../../src/services/finding-pipeline';
import { renderCaseCard } from '../../../src/slack/blocks/case-card';
import { renderFindingCard } from '../../../src/slack/blocks/finding-card';
import { DynamoDbStore } from '../../../src/store/dynamodb-store';
import { SqliteStore } from '../../../src/store/sqlite-store';
import type { Store } from '../../../src/store/store';
import { FIXTURE_DIR } from '../../support/fixtures';
import { anAction } from '../domain/reports/report-fixtures';

// The stolen-key story of issue 18, as GuardDuty would send it (test/fixtures/README.md).
const STORY_DIR = join(FIXTURE_DIR, 'stolen-key');
const story = readdirSync(STORY_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((name) => ({ name: name.replace(/\.json$/, ''), detail: JSON.parse(readFileSync(join(STORY_DIR, name), 'utf8')) as Record<string, unknown> }));
const byName = (prefix: string): Record<string, unknown> => story.find((s) => s.name.startsWith(prefix))!.detail;
const ids = story.map((s) => String(s.detail.id));
const titles = story.map((s) => String(s.detail.title));

const routing = {
  low: { open: 'digest' as const, mention: false, escalate: false },
  medium: { open: 'case' as const, mention: false, escalate: false },
  high: { open: 'case' as const, mention: true, escalate: false },
  critical: { open: 'case' as const, mention: true, escalate: true },
};

function pipelineOn(store: Store) {
  let now = new Date('2026-11-21T03:00:00Z');
  let r = 0.1;
  const pipeline = new FindingPipeline(store, new Triage({ routing, knownCidrs: [], suppressions: [] }), silentLogger, {
    correlationWindowMs: 24 * 3600_000,
    responderGroup: 'S0RESPOND',
    now: () => (now = new Date(now.getTime() + 1000)),
    random: () => (r = (r + 0.37) % 1),
  });
  return pipeline;
}

/** The one case still taking findings, after everything: the story's case. */
async function storyCase(store: Store) {
  const live = (await store.listCases()).filter((c) => !c.mergedInto);
  expect(live).toHaveLength(1);
  return live[0]!;
}

function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const orders: [string, number[]][] = [
  ['as it happened', [0, 1, 2, 3, 4, 5, 6]],
  ['backwards', [6, 5, 4, 3, 2, 1, 0]],
  ['instance before the launch', [4, 0, 1, 5, 2, 3, 6]],
  ['Low first, sequence second', [5, 6, 4, 3, 2, 1, 0]],
  ['sequence last after two cases', [0, 4, 1, 3, 5, 2, 6]],
  ...Array.from({ length: 12 }, (_, k): [string, number[]] => [`shuffle #${k + 1}`, shuffled([0, 1, 2, 3, 4, 5, 6], k + 7)]),
];

describe('the stolen-key story (issue 18, acceptance 1)', () => {
  it.each(orders)('ingested %s, ends in one Critical case whose timeline and report hold every finding', async (_name, order) => {
    const store = SqliteStore.open(':memory:');
    const pipeline = pipelineOn(store);
    for (const i of order) await pipeline.ingestDetail(story[i]!.detail, 'test');
    const c = await storyCase(store);
    expect(c).toMatchObject({ band: 'critical', severity: 9, escalate: true, detectedAt: '2026-11-21T01:02:11.000Z' });
    const findings = await store.listFindings({ caseId: c.id });
    expect(findings.map((f) => f.id).sort()).toEqual([...ids].sort());
    // The Low one joined without becoming a case finding: it stays counted in the digest.
    expect(findings.find((f) => f.band === 'low')).toMatchObject({ disposition: 'digest', caseId: c.id });
    const timeline = (await store.listTimeline(c.id)).map((e) => e.text).join('\n');
    for (const t of titles) expect(timeline).toContain(t);
    const report = renderCaseReport({ case: c, findings, actions: [], timeline: await store.listTimeline(c.id), metrics: caseMetrics(c, []), generatedAt: '2026-11-21T04:00:00.000Z' });
    for (const f of findings) expect(report).toContain(f.finding.type);
    expect(report).toContain('2026-11-21 01:02:11');
    await store.close();
  });

  it('ingested as one batch, forwards and backwards, ends the same', async () => {
    for (const docs of [story.map((s) => s.detail), [...story].reverse().map((s) => s.detail)]) {
      const store = SqliteStore.open(':memory:');
      await pipelineOn(store).ingestDocument(docs, 'test');
      const c = await storyCase(store);
      expect(c.band).toBe('critical');
      expect((await store.listFindings({ caseId: c.id })).map((f) => f.id).sort()).toEqual([...ids].sort());
      await store.close();
    }
  });

  it('names the actor, the signal count and the resources on the sequence card and the case card', async () => {
    const store = SqliteStore.open(':memory:');
    const pipeline = pipelineOn(store);
    for (const s of story) await pipeline.ingestDetail(s.detail, 'test');
    const c = await storyCase(store);
    const seq = (await store.getFinding(String(byName('7-').id))) as StoredFinding;
    const card = JSON.stringify(renderFindingCard(seq).blocks);
    for (const expected of ['ci-deployer', 'AKIAIOSFODNN7EXAMPLE', '7 signals (6 findings)', 'EC2 instance', 'i-0abcdef1234567890', 'S3 bucket', 'example-payroll-exports', 'Credential Access', 'Resource Hijacking', '198.51.100.23']) {
      expect(card).toContain(expected);
    }
    expect(card).not.toContain('none named');
    const caseCard = JSON.stringify(renderCaseCard(c, await store.listFindings({ caseId: c.id })).blocks);
    expect(caseCard).toContain('6 linked in this case');
    expect(caseCard).toContain('i-0abcdef1234567890');
    await store.close();
  });
});

describe('a Low finding joins the story quietly (point 3)', () => {
  it('joins the open case it shares a key with, stays in the digest, and neither pages nor raises the band', async () => {
    const store = SqliteStore.open(':memory:');
    const pipeline = pipelineOn(store);
    const opened = await pipeline.ingestDetail(byName('1-'), 'test');
    const caseId = opened.casesOpened[0]!;
    const before = await store.getCase(caseId);
    const low = await pipeline.ingestDetail(byName('6-'), 'test');
    expect(low).toMatchObject({ digest: 1, casesOpened: [] });
    const after = await store.getCase(caseId);
    expect(after).toMatchObject({ band: 'medium', mention: false, escalate: false });
    expect(after?.severity).toBe(before?.severity);
    expect(await store.digestPending(10)).toEqual([expect.objectContaining({ id: String(byName('6-').id), caseId })]);
    const events = await store.listTimeline(caseId);
    expect(events.filter((e) => e.mentionGroup || e.kind === 'escalation.requested')).toEqual([]);
    expect(events.at(-1)).toMatchObject({ kind: 'finding.added', text: expect.stringContaining('CloudTrail') as unknown });
    await store.close();
  });

  it('without an open case to join, opens none', async () => {
    const store = SqliteStore.open(':memory:');
    expect(await pipelineOn(store).ingestDetail(byName('6-'), 'test')).toMatchObject({ digest: 1, casesOpened: [] });
    expect(await store.listCases()).toEqual([]);
    expect((await store.getFinding(String(byName('6-').id)))?.caseId).toBeUndefined();
    await store.close();
  });
});

describe('a sequence GuardDuty grows', () => {
  it('merges the case of a signal it names only when re-sent', async () => {
    const store = SqliteStore.open(':memory:');
    const pipeline = pipelineOn(store);
    const seq = byName('7-');
    const detection = (seq.service as { detection: { sequence: { signals: { uid: string }[] } } }).detection;
    const first = { ...seq, service: { ...(seq.service as object), detection: { sequence: { ...detection.sequence, signals: detection.sequence.signals.filter((x) => !x.uid.endsWith(String(byName('5-').id))), resources: [] } } } };
    const a = (await pipeline.ingestDetail(first, 'test')).casesOpened[0]!;
    const b = (await pipeline.ingestDetail(byName('5-'), 'test')).casesOpened[0]!;
    expect(b).not.toBe(a);
    await pipeline.ingestDetail({ ...seq, updatedAt: '2026-11-21T02:50:00.000Z', service: { ...(seq.service as object), count: 2 } }, 'test');
    expect((await store.getCase(b))!.mergedInto).toBe(a);
    expect((await store.listFindings({ caseId: a })).map((f) => f.id)).toContain(String(byName('5-').id));
    await store.close();
  });
});

describe('launched resources follow their launcher (point 2)', () => {
  it('a finding about the launched instance, with no access key, joins the key case', async () => {
    const store = SqliteStore.open(':memory:');
    const pipeline = pipelineOn(store);
    const a = await pipeline.ingestDetail(byName('3-'), 'test');
    const b = await pipeline.ingestDetail(byName('5-'), 'test');
    expect(b.casesOpened).toEqual([]);
    expect(b.casesTouched).toEqual(a.casesOpened);
    await store.close();
  });
});

let dynamo: LocalDynamoDb;
beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
});
afterAll(async () => {
  await dynamo.close();
});

const stores: [string, () => Promise<Store>][] = [
  ['SQLite', () => Promise.resolve(SqliteStore.open(':memory:'))],
  [
    'DynamoDB',
    async () => {
      const client = dynamo.client();
      const table = `cordon-story-${Math.random().toString(36).slice(2)}`;
      await DynamoDbStore.createTable(client, table);
      return new DynamoDbStore({ client, tableName: table, ownsClient: true });
    },
  ],
];

describe.each(stores)('the sequence after two cases opened (%s)', (_name, open) => {
  it('merges them into one, moving findings, keys and timeline, and leaves a pointer in the other', async () => {
    const store = await open();
    const pipeline = pipelineOn(store);
    for (const p of ['1-', '2-', '5-']) await pipeline.ingestDetail(byName(p), 'test');
    const before = (await store.listCases()).map((c) => c.id);
    expect(before).toHaveLength(2);
    await pipeline.ingestDetail(byName('7-'), 'test');
    const all = await store.listCases();
    const merged = all.filter((c) => c.mergedInto);
    expect(merged).toHaveLength(1);
    const survivor = all.find((c) => !c.mergedInto)!;
    expect(merged[0]).toMatchObject({ status: 'closed', mergedInto: survivor.id });
    expect(merged[0]!.mergePending).toBeUndefined();
    expect(survivor).toMatchObject({ band: 'critical', mergedFrom: [merged[0]!.id] });
    expect((await store.listFindings({ caseId: survivor.id })).map((f) => f.id).sort()).toEqual(
      [byName('1-'), byName('2-'), byName('5-'), byName('7-')].map((d) => String(d.id)).sort(),
    );
    expect(await store.listFindings({ caseId: merged[0]!.id })).toEqual([]);
    // The merged case's timeline moved; only the pointer stays behind.
    expect((await store.listTimeline(merged[0]!.id)).map((e) => e.kind)).toEqual(['case.merged_into']);
    const moved = await store.listTimeline(survivor.id);
    expect(moved.filter((e) => e.kind === 'case.opened')).toHaveLength(2);
    expect(moved.some((e) => e.kind === 'case.merged')).toBe(true);
    expect(await store.listAudit({ caseId: survivor.id })).toEqual([expect.objectContaining({ event: 'case.merged', detail: expect.objectContaining({ from: merged[0]!.id }) as unknown })]);
    // Keys moved: the next finding about the instance alone joins the survivor.
    const later = await pipeline.ingestDetail({ ...byName('5-'), id: 'f0000000000000000000000000000001', arn: undefined }, 'test');
    expect(later.casesTouched).toEqual([survivor.id]);
    await store.close();
  });
});

describe.each(stores)('a merge while an action of the merged case is in flight (%s)', (_name, open) => {
  it('is refused, naming the action, and changes nothing', async () => {
    const store = await open();
    const pipeline = pipelineOn(store);
    const a = (await pipeline.ingestDetail(byName('1-'), 'test')).casesOpened[0]!;
    const b = (await pipeline.ingestDetail(byName('5-'), 'test')).casesOpened[0]!;
    const action = anAction({ id: 'A-20261121020000-abcd', caseId: b, status: 'pending_approval' });
    await store.insertAction(action);
    await expect(store.mergeCase({ intoId: a, fromId: b, at: '2026-11-21T05:00:00.000Z', actor: 'U0CMD', reason: 'test' })).rejects.toThrow(/A-20261121020000-abcd pending_approval/);
    expect((await store.getCase(b))!.mergedInto).toBeUndefined();
    expect(await store.listFindings({ caseId: b })).toHaveLength(1);
    await store.updateAction({ ...(await store.getAction(action.id))!, status: 'rejected' });
    const done = await store.mergeCase({ intoId: a, fromId: b, at: '2026-11-21T05:00:00.000Z', actor: 'U0CMD', reason: 'test' });
    expect(done.moved).toMatchObject({ findings: 1, actions: 1 });
    expect((await store.getAction(action.id))!.caseId).toBe(a);
    await store.close();
  });
});

describe('a DynamoDB merge interrupted by a crash', () => {
  it('is left marked, and resumeMerges finishes it with nothing lost', async () => {
    const client = dynamo.client();
    const table = `cordon-crash-${Math.random().toString(36).slice(2)}`;
    await DynamoDbStore.createTable(client, table);
    const store = new DynamoDbStore({ client, tableName: table, ownsClient: true });
    const pipeline = pipelineOn(store);
    for (const p of ['1-', '2-', '5-']) await pipeline.ingestDetail(byName(p), 'test');
    const [x, y] = await store.listCases();
    const into = x!.id;
    const from = y!.id;
    const held = (await store.listFindings({ caseId: from })).length + (await store.listFindings({ caseId: into })).length;
    // The process dies at the third transaction of the merge: after the mark and one move.
    const send = client.send.bind(client);
    let writes = 0;
    (client as unknown as { send: (c: unknown) => Promise<unknown> }).send = (cmd: unknown) => {
      if (cmd instanceof TransactWriteItemsCommand && ++writes === 3) return Promise.reject(new Error('process died'));
      return (send as (c: unknown) => Promise<unknown>)(cmd);
    };
    await expect(store.mergeCase({ intoId: into, fromId: from, at: '2026-11-21T05:00:00.000Z', actor: 'cordon', reason: 'test' })).rejects.toThrow('process died');
    (client as unknown as { send: unknown }).send = send;
    expect(await store.getCase(from)).toMatchObject({ status: 'closed', mergedInto: into, mergePending: true });

    expect(await store.resumeMerges()).toBe(1);
    expect((await store.getCase(from))!.mergePending).toBeUndefined();
    expect(await store.listFindings({ caseId: from })).toEqual([]);
    expect(await store.listFindings({ caseId: into })).toHaveLength(held);
    expect((await store.listTimeline(from)).map((e) => e.kind)).toEqual(['case.merged_into']);
    expect(await store.resumeMerges()).toBe(0);
    await store.close();
  });
});
