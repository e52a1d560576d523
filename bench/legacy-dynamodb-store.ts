/*
 * BENCH ONLY: the DynamoDB store as it was before issue 19 (commit 3165b4d), kept runnable as
 * the baseline of the serverless-path rows in triage-bench.ts. Same table, same items; a
 * placement reads the finding, the key heads, the candidate cases and the draft case id, takes
 * timeline ids from a counter item, then writes one transaction. Not used by the product.
 */
import {
  BatchGetItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import type { Action, ActionStatus } from '../src/domain/actions/action';
import { lastAskedAt } from '../src/domain/findings/principal-check';
import type { Case, CaseStatus, NewTimelineEvent, RejectedInput, StoredFinding, TimelineEvent } from '../src/domain/cases/case';
import { isDigestPending, otherActiveCases, pickActiveCase, planPlacement } from '../src/domain/cases/placement';
import { absorbCase, checkActionsSettled, checkMerge, mergeEvents, retireCase, type MergeRequest, type MergeResult } from '../src/domain/cases/merge';
import { correlationKeys } from '../src/domain/triage/correlation';
import type { SuppressionRule } from '../src/domain/triage/suppression';
import { CordonError, ErrorCode } from '../src/errors';
import { jitteredBackoff, LOST_RACE, retryOnConflict, updateWithRetry, type RetryOptions } from '../src/store/compare-and-set';
import { caseNeedsPublish, findingNeedsPublish, movedFinding, SILENT_TS } from '../src/store/publish-rules';
import { auditStream, linkAudit, withoutLink, type ChainedAuditEntry, type StoredAuditRecord } from '../src/store/audit-chain';
import type { AuditEntry, CaseClaim, FindingPlacement, IngestLookup, IngestSnapshot, PlacementResult, Store, StoredJob } from '../src/store/store';

type Item = Record<string, AttributeValue>;
interface Key {
  pk: string;
  sk: string;
}

/** Options for {@link LegacyDynamoDbStore}. */
export interface DynamoDbStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Destroy the client on close (when the store made it). */
  ownsClient?: boolean;
}

const MAIN = '#';
/**
 * Transactions that lost a race are retried this many times before the caller hears of it,
 * with a jittered wait: the racers are other processes, still writing.
 */
const RACES: RetryOptions = { attempts: 20, backoff: jitteredBackoff };

/** How long rejected inputs are kept (the table's TTL attribute is `ttl`). */
const REJECTED_TTL_S = 90 * 86_400;

const pad = (n: number): string => String(n).padStart(12, '0');

/**
 * Index entries of one record, each an item `{ pk: IDX#…, sk, ref }` in the same table.
 * They are written in the same transaction as the record, so a Query on them is
 * strongly consistent (a GSI would not be), and a record leaves an index by having
 * its entry deleted in that transaction.
 */
function findingIndexes(f: StoredFinding): Key[] {
  const sk = `${f.firstSeenAt}#${f.id}`;
  const out: Key[] = [{ pk: 'IDX#finding', sk }, { pk: `IDX#finding-disposition#${f.disposition}`, sk }];
  if (f.caseId) out.push({ pk: `IDX#finding-case#${f.caseId}`, sk });
  if (findingNeedsPublish(f)) out.push({ pk: 'IDX#finding-publish', sk });
  if (isDigestPending(f)) out.push({ pk: 'IDX#finding-digest', sk });
  return out;
}

function caseIndexes(c: Case): Key[] {
  const out: Key[] = [{ pk: 'IDX#case', sk: c.id }, { pk: `IDX#case-status#${c.status}`, sk: c.id }];
  if (c.channelId) out.push({ pk: `IDX#case-channel#${c.channelId}`, sk: c.id });
  if (caseNeedsPublish(c)) out.push({ pk: 'IDX#case-publish', sk: c.id });
  return out;
}

function actionIndexes(a: Action): Key[] {
  const sk = `${a.createdAt}#${a.id}`;
  const out: Key[] = [{ pk: 'IDX#action', sk }, { pk: `IDX#action-status#${a.status}`, sk }];
  if (a.caseId) out.push({ pk: `IDX#action-case#${a.caseId}`, sk });
  return out;
}

function eventIndexes(e: { id: number; caseId: string; postedTs?: string }): Key[] {
  const out: Key[] = [{ pk: `IDX#timeline-case#${e.caseId}`, sk: pad(e.id) }];
  if (!e.postedTs) out.push({ pk: 'IDX#timeline-unposted', sk: pad(e.id) });
  return out;
}

const keyOf = (pk: string): Item => ({ pk: { S: pk }, sk: { S: MAIN } });
const sameKey = (a: Key, b: Key): boolean => a.pk === b.pk && a.sk === b.sk;

function isConditionFailure(err: unknown): boolean {
  const name = (err as { name?: string }).name;
  return name === 'ConditionalCheckFailedException' || name === 'TransactionCanceledException' || name === 'TransactionConflictException';
}

/**
 * The Store port on one DynamoDB table (`pk`/`sk`, as serverless.yml declares it). Every
 * record is one item holding its JSON and `version`; every state change is a conditional
 * write on that version. Placing a finding (the finding, the case it opens or joins, its
 * correlation keys and timeline events) is one TransactWriteItems; a batch of placements
 * is one transaction per placement, in order. Correlation keys are `KEY#<key>` items
 * naming the case that last took the key, so two processes opening a case for the same
 * key race on one conditional write and the loser joins the winner's case.
 */
export class LegacyDynamoDbStore implements Store {
  private readonly client: DynamoDBClient;
  private readonly table: string;

  constructor(private readonly opts: DynamoDbStoreOptions) {
    this.client = opts.client;
    this.table = opts.tableName;
  }

  /** Creates the table as serverless.yml declares it (tests and local runs). */
  static async createTable(client: DynamoDBClient, tableName: string): Promise<void> {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
  }

  // ---- plumbing

  private async getDoc<T>(pk: string): Promise<T | undefined> {
    const res = await this.client.send(new GetItemCommand({ TableName: this.table, Key: keyOf(pk), ConsistentRead: true }));
    const doc = res.Item?.doc?.S;
    return doc ? (JSON.parse(doc) as T) : undefined;
  }

  private put(pk: string, doc: unknown, version: number, extra: Item = {}): TransactWriteItem {
    return { Put: { TableName: this.table, Item: { ...keyOf(pk), doc: { S: JSON.stringify(doc) }, version: { N: String(version) }, ...extra } } };
  }

  private indexPut(k: Key, ref: string): TransactWriteItem {
    return { Put: { TableName: this.table, Item: { pk: { S: k.pk }, sk: { S: k.sk }, ref: { S: ref } } } };
  }

  /** An index entry that must not exist yet (audit entries are never rewritten). */
  private indexPutNew(k: Key, ref: string): TransactWriteItem {
    const put = this.indexPut(k, ref).Put as NonNullable<TransactWriteItem['Put']>;
    return { Put: { ...put, ConditionExpression: 'attribute_not_exists(pk)' } };
  }

  private indexDelete(k: Key): TransactWriteItem {
    return { Delete: { TableName: this.table, Key: { pk: { S: k.pk }, sk: { S: k.sk } } } };
  }

  /** Index entries to add and remove when a record goes from `before` to `after`. */
  private reindex(before: Key[], after: Key[], ref: string): TransactWriteItem[] {
    return [...after.filter((k) => !before.some((b) => sameKey(b, k))).map((k) => this.indexPut(k, ref)), ...before.filter((k) => !after.some((a) => sameKey(a, k))).map((k) => this.indexDelete(k))];
  }

  private async transact(items: TransactWriteItem[]): Promise<boolean> {
    if (!items.length) return true;
    if (items.length > 100) throw new CordonError(ErrorCode.STORE_UNAVAILABLE, `one DynamoDB transaction would write ${items.length} items (at most 100)`);
    try {
      await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** Refs of an index, in order; `limit` counts entries read (callers filter after). */
  private async queryRefs(pk: string, opts: { limit?: number; descending?: boolean } = {}): Promise<string[]> {
    const refs: string[] = [];
    let start: Item | undefined;
    do {
      const res = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: pk } },
          ConsistentRead: true,
          ScanIndexForward: !opts.descending,
          ...(opts.limit ? { Limit: Math.min(1000, opts.limit - refs.length) } : {}),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const it of res.Items ?? []) if (it.ref?.S) refs.push(it.ref.S);
      start = res.LastEvaluatedKey;
    } while (start && (!opts.limit || refs.length < opts.limit));
    return refs;
  }

  /** Main items by pk, in the order given (BatchGetItem, 100 at a time, unprocessed keys retried). */
  private async docs<T>(pks: string[]): Promise<T[]> {
    const found = new Map<string, T>();
    for (let i = 0; i < pks.length; i += 100) {
      let keys: Item[] = [...new Set(pks.slice(i, i + 100))].map(keyOf);
      for (let attempt = 0; keys.length && attempt < 10; attempt++) {
        const res = await this.client.send(new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }));
        for (const it of res.Responses?.[this.table] ?? []) if (it.pk?.S && it.doc?.S) found.set(it.pk.S, JSON.parse(it.doc.S) as T);
        keys = (res.UnprocessedKeys?.[this.table]?.Keys ?? []);
        if (keys.length) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
      }
      if (keys.length) throw new CordonError(ErrorCode.STORE_UNAVAILABLE, 'DynamoDB kept some reads unprocessed; try again');
    }
    return pks.flatMap((pk) => (found.has(pk) ? [found.get(pk) as T] : []));
  }

  private async list<T>(index: string, opts: { limit?: number; descending?: boolean } = {}): Promise<T[]> {
    return this.docs<T>(await this.queryRefs(index, opts));
  }

  /** Allocates `n` consecutive ids from a counter item; returns the first. */
  private async nextIds(counter: string, n: number): Promise<number> {
    const res = await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: { S: `COUNTER#${counter}` }, sk: { S: MAIN } },
        UpdateExpression: 'ADD n :n',
        ExpressionAttributeValues: { ':n': { N: String(n) } },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(res.Attributes?.n?.N ?? n) - n + 1;
  }

  /** A versioned record written only if its stored version is still `expected` (or absent, for -1). */
  private putVersioned(pk: string, doc: unknown, version: number, expected: number, extra: Item = {}): TransactWriteItem {
    const put = this.put(pk, doc, version, extra).Put as NonNullable<TransactWriteItem['Put']>;
    return {
      Put: {
        ...put,
        ...(expected < 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': { N: String(expected) } } }),
      },
    };
  }

  ping(): Promise<void> {
    return this.client.send(new GetItemCommand({ TableName: this.table, Key: keyOf('PING') })).then(() => undefined);
  }

  close(): Promise<void> {
    if (this.opts.ownsClient) this.client.destroy();
    return Promise.resolve();
  }

  // ---- findings

  getFinding(id: string): Promise<StoredFinding | undefined> {
    return this.getDoc<StoredFinding>(`FINDING#${id}`);
  }

  private findingWrites(f: StoredFinding, expected: number, before: Key[]): TransactWriteItem[] {
    const pk = `FINDING#${f.id}`;
    return [this.putVersioned(pk, f, f.version, expected), ...this.reindex(before, findingIndexes(f), pk)];
  }

  async insertFinding(f: StoredFinding): Promise<boolean> {
    return this.transact(this.findingWrites(f, -1, []));
  }

  async updateFinding(f: StoredFinding): Promise<boolean> {
    const stored = await this.getFinding(f.id);
    if (!stored || stored.version !== f.version) return false;
    const next = { ...f, version: f.version + 1 };
    const ok = await this.transact(this.findingWrites(next, f.version, findingIndexes(stored)));
    if (ok) f.version = next.version;
    return ok;
  }

  async listFindings(filter: { caseId?: string; disposition?: StoredFinding['disposition'] }): Promise<StoredFinding[]> {
    const index = filter.caseId ? `IDX#finding-case#${filter.caseId}` : filter.disposition ? `IDX#finding-disposition#${filter.disposition}` : 'IDX#finding';
    const all = await this.list<StoredFinding>(index);
    return all.filter((f) => (!filter.disposition || f.disposition === filter.disposition) && (!filter.caseId || f.caseId === filter.caseId));
  }

  async findingsToPublish(limit: number): Promise<StoredFinding[]> {
    const out: StoredFinding[] = [];
    const channel = new Map<string, boolean>();
    for (const f of await this.list<StoredFinding>('IDX#finding-publish')) {
      if (!f.caseId) continue;
      if (!channel.has(f.caseId)) channel.set(f.caseId, !!(await this.getCase(f.caseId))?.channelId);
      if (channel.get(f.caseId)) out.push(f);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** The baseline predates the pending-check index: the port is met by filtering the cased findings (the benches never call it). */
  async pendingPrincipalChecks(askedBy: string, limit: number): Promise<StoredFinding[]> {
    const cased = await this.list<StoredFinding>('IDX#finding-disposition#cased');
    return cased
      .filter((f) => f.principalCheck?.status === 'pending' && lastAskedAt(f.principalCheck) <= askedBy)
      .sort((a, b) => lastAskedAt(a.principalCheck!).localeCompare(lastAskedAt(b.principalCheck!)) || a.id.localeCompare(b.id))
      .slice(0, limit);
  }

  digestPending(limit: number): Promise<StoredFinding[]> {
    return this.list<StoredFinding>('IDX#finding-digest', { limit });
  }

  async markDigested(ids: string[], at: string): Promise<void> {
    for (const id of ids) {
      await updateWithRetry(
        { what: `finding ${id}`, read: () => this.getFinding(id), mutate: (f) => ({ ...f, digestedAt: at }), write: (next) => this.updateFinding(next) },
        RACES,
      );
    }
  }

  // ---- placing findings and claiming cases

  /**
   * Today's first step of an ingest batch, as the pipeline made it before readForIngest: the
   * rules (a Query), nothing known about the findings, so each placement reads its own.
   */
  async readForIngest(_items: IngestLookup[]): Promise<IngestSnapshot> {
    return { stored: new Map(), suppressions: await this.activeSuppressions() };
  }

  async placeFinding(p: FindingPlacement): Promise<PlacementResult> {
    return retryOnConflict(`finding ${p.finding.id}`, async () => (await this.tryPlace(p)) ?? LOST_RACE, RACES);
  }

  async placeFindings(ps: FindingPlacement[]): Promise<PlacementResult[]> {
    const out: PlacementResult[] = [];
    for (const p of ps) out.push(await this.placeFinding(p));
    return out;
  }

  /** One attempt; undefined when another writer got in first (the caller reads again and retries). */
  private async tryPlace(p: FindingPlacement): Promise<PlacementResult | undefined> {
    if (await this.getFinding(p.finding.id)) return { inserted: false };
    const claim = p.claim ? await this.prepareClaim(p.claim.draft, p.claim.keys, p.claim.activeSince, p.claim) : undefined;
    const plan = planPlacement(p, claim);
    const writes: TransactWriteItem[] = [...(claim?.writes ?? [])];
    if (plan.join && claim) writes.push(...this.caseWrites(plan.join.case, plan.join.expectedVersion, caseIndexes(claim.case)));
    writes.push(...this.findingWrites(plan.finding, -1, []));
    writes.push(...(await this.eventWrites(plan.events)));
    if (!(await this.transact(writes))) return undefined;
    return plan.result;
  }

  private caseWrites(c: Case, expected: number, before: Key[]): TransactWriteItem[] {
    const pk = `CASE#${c.id}`;
    return [this.putVersioned(pk, c, c.version, expected), ...this.reindex(before, caseIndexes(c), pk)];
  }

  /**
   * Finds the active case holding any of `keys` (the most recently active one), or
   * prepares `draft`; either way the key items are written on condition that they are
   * still what was read, so a concurrent claim makes this one retry instead of splitting.
   */
  private async prepareClaim(
    draft: Case,
    allKeys: string[],
    activeSince: string,
    opts: { joinOnly?: boolean; wantOthers?: boolean } = {},
  ): Promise<{ case: Case; created: boolean; writes: TransactWriteItem[]; others?: string[] } | undefined> {
    // A transaction may touch an item once: each key once.
    const keys = [...new Set(allKeys)];
    const heads = new Map<string, { caseId: string; hv: number }>();
    for (let i = 0; i < keys.length; i += 100) {
      const res = await this.client.send(new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: keys.slice(i, i + 100).map((k) => keyOf(`KEY#${k}`)), ConsistentRead: true } } }));
      for (const it of res.Responses?.[this.table] ?? []) if (it.pk?.S && it.caseId?.S) heads.set(it.pk.S.slice(4), { caseId: it.caseId.S, hv: Number(it.hv?.N ?? 0) });
    }
    const candidates = await this.docs<Case>([...new Set([...heads.values()].map((h) => `CASE#${h.caseId}`))]);
    const active = pickActiveCase(candidates, activeSince);
    const target = active ?? draft;
    // Each key the target newly takes is also listed under the case, so a merge can re-point them all.
    const reverse = keys.filter((k) => heads.get(k)?.caseId !== target.id).map((k) => this.indexPut({ pk: `IDX#case-key#${target.id}`, sk: k }, `KEY#${k}`));
    const writes: TransactWriteItem[] = keys.map((k) => {
      const head = heads.get(k);
      // A key already leading to the case is only checked, so claims joining one case do not collide.
      if (head && head.caseId === target.id) {
        return { ConditionCheck: { TableName: this.table, Key: keyOf(`KEY#${k}`), ConditionExpression: 'hv = :hv', ExpressionAttributeValues: { ':hv': { N: String(head.hv) } } } };
      }
      return {
        Put: {
          TableName: this.table,
          Item: { ...keyOf(`KEY#${k}`), caseId: { S: target.id }, hv: { N: String((head?.hv ?? 0) + 1) } },
          ...(head ? { ConditionExpression: 'hv = :hv', ExpressionAttributeValues: { ':hv': { N: String(head.hv) } } } : { ConditionExpression: 'attribute_not_exists(pk)' }),
        },
      };
    });
    if (active) {
      const others = opts.wantOthers ? otherActiveCases(candidates, activeSince, active) : [];
      return { case: active, created: false, writes: [...writes, ...reverse], ...(others.length ? { others } : {}) };
    }
    if (opts.joinOnly) return undefined;
    if (await this.getCase(draft.id)) throw new CordonError(ErrorCode.STORE_CONFLICT, `case id ${draft.id} is taken`);
    return { case: draft, created: true, writes: [...writes, ...reverse, ...this.caseWrites(draft, -1, [])] };
  }

  async claimCase(draft: Case, keys: string[], activeSince: string): Promise<CaseClaim> {
    return retryOnConflict(
      'the case being claimed',
      async () => {
        const claim = (await this.prepareClaim(draft, keys, activeSince)) as NonNullable<Awaited<ReturnType<LegacyDynamoDbStore['prepareClaim']>>>;
        // Joining changes only the key items; the case itself must not have moved on meanwhile.
        const guard: TransactWriteItem[] = claim.created
          ? []
          : [{ ConditionCheck: { TableName: this.table, Key: keyOf(`CASE#${claim.case.id}`), ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': { N: String(claim.case.version) } } } }];
        return (await this.transact([...claim.writes, ...guard])) ? { case: claim.case, created: claim.created } : LOST_RACE;
      },
      RACES,
    );
  }

  getCase(id: string): Promise<Case | undefined> {
    return this.getDoc<Case>(`CASE#${id}`);
  }

  /**
   * A merge cannot be one transaction here (a case may hold more than 100 items), so it is
   * made crash-safe instead: one transaction closes the merged case, marked `mergePending`
   * and listed under IDX#case-merging, widens the survivor and records both events; then
   * each finding, action, event and key moves in its own conditional write (each move
   * idempotent); last the mark is cleared. A crash in between leaves the mark, and
   * {@link resumeMerges} (the ticker, or the next merge) finishes the moves.
   */
  async mergeCase(req: MergeRequest): Promise<MergeResult> {
    const marked = await retryOnConflict(
      `merge of ${req.fromId} into ${req.intoId}`,
      async () => {
        const into = await this.getCase(req.intoId);
        const from = await this.getCase(req.fromId);
        checkMerge(into, from, req);
        const source = from as Case;
        if (source.mergedInto === into.id) return { into, from: source, fresh: false };
        checkActionsSettled(source.id, await this.listActions({ caseId: source.id }));
        const survivor: Case = { ...absorbCase(into, source, req.at), version: into.version + 1 };
        const retired: Case = { ...retireCase(source, req, true), version: source.version + 1 };
        const ev = mergeEvents(into, source, req);
        const writes = [
          ...this.caseWrites(survivor, into.version, caseIndexes(into)),
          ...this.caseWrites(retired, source.version, caseIndexes(source)),
          this.indexPut({ pk: 'IDX#case-merging', sk: source.id }, `CASE#${source.id}`),
          ...(await this.eventWrites([ev.survivor, ev.pointer])),
        ];
        return (await this.transact(writes)) ? { into: survivor, from: retired, fresh: true } : LOST_RACE;
      },
      RACES,
    );
    const moved = marked.from.mergePending ? await this.finishMerge(marked.from) : { findings: 0, actions: 0, events: 0, keys: 0 };
    return { into: (await this.getCase(marked.into.id)) ?? marked.into, from: (await this.getCase(marked.from.id)) ?? marked.from, moved };
  }

  async resumeMerges(): Promise<number> {
    const pending = (await this.list<Case>('IDX#case-merging')).filter((c) => c.mergePending && c.mergedInto);
    for (const c of pending) await this.finishMerge(c);
    return pending.length;
  }

  /** The moves of a marked merge, each a conditional write that a re-run skips once done. */
  private async finishMerge(from: Case): Promise<MergeResult['moved']> {
    const intoId = from.mergedInto as string;
    const moved = { findings: 0, actions: 0, events: 0, keys: 0 };
    const keys = new Set(await this.queryRefs(`IDX#case-key#${from.id}`).then((refs) => refs.map((r) => r.slice('KEY#'.length))));
    for (const f of await this.listFindings({ caseId: from.id })) {
      for (const k of correlationKeys(f.finding)) keys.add(k);
      const ok = await retryOnConflict(`finding ${f.id}`, async () => {
        const cur = await this.getFinding(f.id);
        if (!cur || cur.caseId !== from.id) return true;
        const next = movedFinding(cur, intoId);
        return (await this.transact(this.findingWrites(next, cur.version, findingIndexes(cur)))) || LOST_RACE;
      }, RACES);
      if (ok) moved.findings++;
    }
    for (const a of await this.listActions({ caseId: from.id })) {
      await retryOnConflict(`action ${a.id}`, async () => {
        const cur = await this.getAction(a.id);
        if (!cur || cur.caseId !== from.id) return true;
        const next = { ...cur, caseId: intoId, version: cur.version + 1 };
        return (await this.transact([this.putVersioned(`ACTION#${cur.id}`, next, next.version, cur.version), ...this.reindex(actionIndexes(cur), actionIndexes(next), `ACTION#${cur.id}`)])) || LOST_RACE;
      }, RACES);
      moved.actions++;
    }
    for (const e of await this.listTimeline(from.id)) {
      // The pointer stays: it is what the merged channel shows before it is archived.
      if (e.kind === 'case.merged_into' || e.caseId !== from.id) continue;
      const pk = `EVENT#${pad(e.id)}`;
      const next = { ...e, caseId: intoId };
      await this.transact([this.put(pk, next, 1), this.indexDelete({ pk: `IDX#timeline-case#${from.id}`, sk: pad(e.id) }), this.indexPut({ pk: `IDX#timeline-case#${intoId}`, sk: pad(e.id) }, pk)]);
      moved.events++;
    }
    for (const k of keys) {
      const repointed = await retryOnConflict(`key ${k}`, async () => {
        const head = (await this.client.send(new GetItemCommand({ TableName: this.table, Key: keyOf(`KEY#${k}`), ConsistentRead: true }))).Item;
        // A key another case has taken since is left to it.
        if (head?.caseId?.S !== from.id) return false;
        const hv = Number(head.hv?.N ?? 0);
        return (
          (await this.transact([
            { Put: { TableName: this.table, Item: { ...keyOf(`KEY#${k}`), caseId: { S: intoId }, hv: { N: String(hv + 1) } }, ConditionExpression: 'hv = :hv', ExpressionAttributeValues: { ':hv': { N: String(hv) } } } },
            this.indexPut({ pk: `IDX#case-key#${intoId}`, sk: k }, `KEY#${k}`),
          ])) || LOST_RACE
        );
      }, RACES);
      if (repointed) moved.keys++;
    }
    await updateWithRetry(
      {
        what: `case ${from.id}`,
        read: () => this.getCase(from.id),
        mutate: (c) => {
          const next = { ...c };
          delete next.mergePending;
          return next;
        },
        write: async (c) => (await this.updateCase(c)) && (await this.transact([this.indexDelete({ pk: 'IDX#case-merging', sk: from.id })])),
      },
      RACES,
    );
    return moved;
  }

  async getCaseByChannel(channelId: string): Promise<Case | undefined> {
    return (await this.list<Case>(`IDX#case-channel#${channelId}`, { limit: 1 }))[0];
  }

  async updateCase(c: Case): Promise<boolean> {
    const stored = await this.getCase(c.id);
    if (!stored || stored.version !== c.version) return false;
    const next = { ...c, version: c.version + 1 };
    const ok = await this.transact(this.caseWrites(next, c.version, caseIndexes(stored)));
    if (ok) c.version = next.version;
    return ok;
  }

  async listCases(filter?: { status?: CaseStatus[] }): Promise<Case[]> {
    if (!filter?.status) return this.list<Case>('IDX#case');
    const all = (await Promise.all(filter.status.map((s) => this.list<Case>(`IDX#case-status#${s}`)))).flat();
    return all.sort((a, b) => a.id.localeCompare(b.id));
  }

  casesToPublish(limit: number): Promise<Case[]> {
    return this.list<Case>('IDX#case-publish', { limit });
  }

  // ---- timeline

  private async eventWrites(events: NewTimelineEvent[]): Promise<TransactWriteItem[]> {
    if (!events.length) return [];
    const first = await this.nextIds('timeline', events.length);
    return events.flatMap((e, i) => {
      const id = first + i;
      const postedTs = e.silent ? SILENT_TS : undefined;
      const pk = `EVENT#${pad(id)}`;
      return [this.put(pk, { ...e, id, ...(postedTs ? { postedTs } : {}) }, 1), ...eventIndexes({ id, caseId: e.caseId, ...(postedTs ? { postedTs } : {}) }).map((k) => this.indexPut(k, pk))];
    });
  }

  async appendTimeline(e: NewTimelineEvent): Promise<TimelineEvent> {
    const writes = await this.eventWrites([e]);
    await this.transact(writes);
    const doc = JSON.parse((writes[0]?.Put?.Item?.doc?.S as string) ?? '{}') as TimelineEvent;
    return doc;
  }

  listTimeline(caseId: string): Promise<TimelineEvent[]> {
    return this.list<TimelineEvent>(`IDX#timeline-case#${caseId}`);
  }

  async unpostedTimeline(limit: number): Promise<TimelineEvent[]> {
    const out: TimelineEvent[] = [];
    const channel = new Map<string, boolean>();
    for (const e of await this.list<TimelineEvent>('IDX#timeline-unposted')) {
      if (!channel.has(e.caseId)) channel.set(e.caseId, !!(await this.getCase(e.caseId))?.channelId);
      if (channel.get(e.caseId)) out.push(e);
      if (out.length >= limit) break;
    }
    return out;
  }

  async markTimelinePosted(id: number, ts: string): Promise<void> {
    const pk = `EVENT#${pad(id)}`;
    const e = await this.getDoc<TimelineEvent>(pk);
    if (!e) return;
    await this.transact([this.put(pk, { ...e, postedTs: ts }, 1), this.indexDelete({ pk: 'IDX#timeline-unposted', sk: pad(id) })]);
  }

  // ---- rejected inputs and checkpoints

  async addRejected(r: Omit<RejectedInput, 'id'>): Promise<RejectedInput> {
    const id = await this.nextIds('rejected', 1);
    const doc: RejectedInput = { ...r, id };
    const pk = `REJECTED#${pad(id)}`;
    // A rejected input is kept for triage of the pipeline, not forever: DynamoDB's TTL removes it after 90 days.
    const ttl: Item = { ttl: { N: String(Math.floor(Date.parse(r.at) / 1000) + REJECTED_TTL_S) } };
    const index = this.indexPut({ pk: 'IDX#rejected', sk: pad(id) }, pk).Put as NonNullable<TransactWriteItem['Put']>;
    await this.transact([this.put(pk, doc, 1, Number.isFinite(Date.parse(r.at)) ? ttl : {}), { Put: { ...index, Item: { ...index.Item, ...(Number.isFinite(Date.parse(r.at)) ? ttl : {}) } } }]);
    return doc;
  }

  listRejected(limit: number): Promise<RejectedInput[]> {
    return this.list<RejectedInput>('IDX#rejected', { limit, descending: true });
  }

  async getCheckpoint(key: string): Promise<string | undefined> {
    const res = await this.client.send(new GetItemCommand({ TableName: this.table, Key: keyOf(`CHECKPOINT#${key}`), ConsistentRead: true }));
    return res.Item?.value?.S;
  }

  async setCheckpoint(key: string, value: string): Promise<void> {
    await this.client.send(new PutItemCommand({ TableName: this.table, Item: { ...keyOf(`CHECKPOINT#${key}`), value: { S: value } } }));
  }

  // ---- actions, audit, suppressions

  async insertAction(a: Action): Promise<boolean> {
    const pk = `ACTION#${a.id}`;
    return this.transact([this.putVersioned(pk, a, a.version, -1), ...actionIndexes(a).map((k) => this.indexPut(k, pk))]);
  }

  getAction(id: string): Promise<Action | undefined> {
    return this.getDoc<Action>(`ACTION#${id}`);
  }

  async updateAction(a: Action): Promise<boolean> {
    const stored = await this.getAction(a.id);
    if (!stored || stored.version !== a.version) return false;
    const next = { ...a, version: a.version + 1 };
    const pk = `ACTION#${a.id}`;
    const ok = await this.transact([this.putVersioned(pk, next, next.version, a.version), ...this.reindex(actionIndexes(stored), actionIndexes(next), pk)]);
    if (ok) a.version = next.version;
    return ok;
  }

  async listActions(filter: { caseId?: string; status?: ActionStatus[] }): Promise<Action[]> {
    let all: Action[];
    if (filter.caseId) all = await this.list<Action>(`IDX#action-case#${filter.caseId}`);
    else if (filter.status) {
      all = (await Promise.all(filter.status.map((s) => this.list<Action>(`IDX#action-status#${s}`)))).flat();
      all.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    } else all = await this.list<Action>('IDX#action');
    return all.filter((a) => !filter.status || filter.status.includes(a.status));
  }

  /**
   * Links the entry to the head of its stream and writes it only if that place is free
   * (`attribute_not_exists`): a writer that lost the race reads the new head and tries
   * again. The functions' roles may neither update nor delete `AUDIT#` and `IDX#audit`
   * items (serverless.yml), so a record once written stays as written, or the chain says so.
   */
  async appendAudit(entry: AuditEntry): Promise<void> {
    const stream = auditStream(entry);
    const id = await this.nextIds('audit', 1);
    await retryOnConflict(`the audit stream ${stream}`, async () => {
      const [head] = await this.list<ChainedAuditEntry>(`IDX#audit-stream#${stream}`, { limit: 1, descending: true });
      const linked = linkAudit(entry, head);
      const pk = `AUDIT#${stream}#${pad(linked.seq)}`;
      const keys: Key[] = [{ pk: 'IDX#audit', sk: pad(id) }, { pk: `IDX#audit-stream#${stream}`, sk: pad(linked.seq) }];
      if (linked.seq === 1) keys.push({ pk: 'IDX#audit-streams', sk: stream });
      if (entry.caseId) keys.push({ pk: `IDX#audit-case#${entry.caseId}`, sk: pad(id) });
      if (entry.actionId) keys.push({ pk: `IDX#audit-action#${entry.actionId}`, sk: pad(id) });
      const ok = await this.transact([this.putVersioned(pk, linked, 1, -1), ...keys.map((k) => this.indexPutNew(k, pk))]);
      return ok ? true : LOST_RACE;
    }, RACES);
  }

  async listAudit(filter: { caseId?: string; actionId?: string }): Promise<AuditEntry[]> {
    const index = filter.actionId ? `IDX#audit-action#${filter.actionId}` : filter.caseId ? `IDX#audit-case#${filter.caseId}` : 'IDX#audit';
    return (await this.list<AuditEntry>(index)).filter((e) => (!filter.caseId || e.caseId === filter.caseId) && (!filter.actionId || e.actionId === filter.actionId)).map(withoutLink);
  }

  async auditStreams(): Promise<string[]> {
    const res = await this.client.send(new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'IDX#audit-streams' } }, ConsistentRead: true }));
    return (res.Items ?? []).flatMap((it) => (it.sk?.S ? [it.sk.S] : []));
  }

  /** A stream's records by the sequence in their key (a deleted record's index entry finds no record: a gap). */
  async auditStreamRecords(stream: string): Promise<StoredAuditRecord[]> {
    const refs = await this.queryRefs(`IDX#audit-stream#${stream}`);
    const out: StoredAuditRecord[] = [];
    // One read per record (not a batch): the verifier must know which key each document came from.
    for (const ref of refs) {
      const record = await this.getDoc<ChainedAuditEntry>(ref);
      if (record) out.push({ position: Number(ref.slice(ref.lastIndexOf('#') + 1)), record });
    }
    return out;
  }

  async putSuppression(rule: SuppressionRule): Promise<void> {
    const pk = `SUPPRESSION#${rule.id}`;
    const active: Key = { pk: 'IDX#suppression-active', sk: rule.id };
    await this.transact([this.put(pk, rule, 1), rule.liftedAt ? this.indexDelete(active) : this.indexPut(active, pk)]);
  }

  getSuppression(id: string): Promise<SuppressionRule | undefined> {
    return this.getDoc<SuppressionRule>(`SUPPRESSION#${id}`);
  }

  activeSuppressions(): Promise<SuppressionRule[]> {
    return this.list<SuppressionRule>('IDX#suppression-active');
  }

  // ---- jobs and leases

  async putJob(j: StoredJob): Promise<void> {
    const pk = `JOB#${j.id}`;
    // A repeat of the id fails the condition: the job is already recorded.
    await this.transact([this.putVersioned(pk, j, 1, -1), this.indexPut({ pk: 'IDX#job', sk: `${j.enqueuedAt}#${j.id}` }, pk)]);
  }

  listJobs(limit: number): Promise<StoredJob[]> {
    return this.list<StoredJob>('IDX#job', { limit });
  }

  async deleteJob(id: string): Promise<void> {
    const j = await this.getDoc<StoredJob>(`JOB#${id}`);
    if (!j) return;
    await this.transact([
      { Delete: { TableName: this.table, Key: keyOf(`JOB#${id}`) } },
      this.indexDelete({ pk: 'IDX#job', sk: `${j.enqueuedAt}#${j.id}` }),
    ]);
  }

  async acquireLease(name: string, owner: string, until: string, now: string): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { ...keyOf(`LEASE#${name}`), owner: { S: owner }, until: { S: until } },
          ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner OR #until <= :now',
          ExpressionAttributeNames: { '#owner': 'owner', '#until': 'until' },
          ExpressionAttributeValues: { ':owner': { S: owner }, ':now': { S: now } },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: keyOf(`LEASE#${name}`),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: owner } },
        }),
      );
    } catch (err) {
      // Someone else holds it now (ours had run out): theirs stays.
      if (!isConditionFailure(err)) throw err;
    }
  }
}
