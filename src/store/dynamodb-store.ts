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
import { holdsTarget, type Action, type ActionStatus } from '../domain/actions/action';
import type { Case, CaseStatus, NewTimelineEvent, RejectedInput, StoredFinding, TimelineEvent } from '../domain/cases/case';
import { isDigestPending, otherActiveCases, pickActiveCase, planPlacement } from '../domain/cases/placement';
import { absorbCase, checkActionsSettled, checkMerge, mergeEvents, retireCase, type MergeRequest, type MergeResult } from '../domain/cases/merge';
import { correlationKeys } from '../domain/triage/correlation';
import type { SuppressionRule } from '../domain/triage/suppression';
import { CordonError, ErrorCode } from '../errors';
import { jitteredBackoff, LOST_RACE, retryOnConflict, updateWithRetry, type RetryOptions } from './compare-and-set';
import { caseNeedsPublish, findingNeedsPublish, movedFinding, pendingCheckAskedAt, SILENT_TS } from './publish-rules';
import { auditStream, linkAudit, withoutLink, type ChainedAuditEntry, type StoredAuditRecord } from './audit-chain';
import type { AuditEntry, CaseClaim, FindingPlacement, IngestLookup, IngestSnapshot, PlacementResult, Store, StoredJob } from './store';

type Item = Record<string, AttributeValue>;
interface Key {
  pk: string;
  sk: string;
}
/** A correlation key's item: the case that last took the key, and the item's version. */
interface Head {
  caseId: string;
  hv: number;
}

/** Options for {@link DynamoDbStore}. */
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

/** The item whose counter every change to the stored suppression rules bumps (see readForIngest). */
const SUPPRESSIONS_VERSION = 'COUNTER#suppressions';
/**
 * Timeline event ids are the time in ms times this, plus a random offset: unique without a
 * counter item (one round trip less per placement), in time order across writers. A clash
 * fails the event's attribute_not_exists condition and the write is retried. Safe integers
 * hold these ids until the year 2248.
 */
const EVENT_IDS_PER_MS = 1024;

/** Where {@link DynamoDbStore.backfillPendingChecks} left off ('done' once finished). */
const CHECK_BACKFILL = 'backfill:finding-check-pending';

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
  // Sorted by when the check was last asked for, so the sweep reads only those due.
  const asked = pendingCheckAskedAt(f);
  if (asked !== undefined) out.push({ pk: 'IDX#finding-check-pending', sk: `${asked}#${f.id}` });
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

/** Placement chains in flight at once (the SDK's Node handler keeps up to 50 sockets a host). */
const PLACEMENT_LANES = 32;
/** Cases and findings whose index entries a store remembers (see DynamoDbStore.knownIndexes): about 2 MB at most. */
const KNOWN_INDEXES = 10_000;

/** The batch's placements grouped by shared correlation keys (union-find), each group in input order. */
function placementChains(ps: FindingPlacement[]): Map<number, number[]> {
  const parent = ps.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i] as number] as number;
    return i;
  };
  const owner = new Map<string, number>();
  ps.forEach((p, i) => {
    for (const k of p.claim?.keys ?? []) {
      const j = owner.get(k);
      if (j === undefined) owner.set(k, i);
      else parent[root(i)] = root(j);
    }
  });
  const chains = new Map<number, number[]>();
  ps.forEach((_, i) => {
    const r = root(i);
    chains.set(r, [...(chains.get(r) ?? []), i]);
  });
  return chains;
}

function isConditionFailure(err: unknown): boolean {
  const name = (err as { name?: string }).name;
  return name === 'ConditionalCheckFailedException' || name === 'TransactionCanceledException' || name === 'TransactionConflictException';
}

/**
 * The Store port on one DynamoDB table (`pk`/`sk`, as serverless.yml declares it). Every
 * record is one item holding its JSON and `version`; every state change is a conditional
 * write on that version. Placing a finding (the finding, the case it opens or joins, its
 * correlation keys and timeline events) is one TransactWriteItems; a batch of placements
 * is one transaction per placement, chains of placements sharing a key in order. Correlation keys are `KEY#<key>` items
 * naming the case that last took the key, so two processes opening a case for the same
 * key race on one conditional write and the loser joins the winner's case.
 */
export class DynamoDbStore implements Store {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  /**
   * Correlation key heads as {@link readForIngest} read them (undefined: no item), kept up to
   * date by this store's own placements, so the placements of a batch start from them instead
   * of reading each key again. A hint only: the transaction checks each head it relies on, and
   * a placement that lost a race forgets its keys and reads them afresh.
   */
  private readonly knownHeads = new Map<string, Head | undefined>();
  /** Finding ids readForIngest found absent: their first placement attempt skips that read. */
  private readonly knownAbsent = new Set<string>();
  /** The active suppression rules as of a value of the SUPPRESSIONS_VERSION counter. */
  private rules?: { version: number; rules: SuppressionRule[] };
  private lastEventId = 0;
  /**
   * The index entries of each case and finding as of the version this store last read or
   * wrote. A versioned update needs the entries the stored version has (to delete the stale
   * ones); when the caller's copy is that version, they are known without reading the item
   * again. Sound because a version names one content: every write bumps it, on condition
   * that the stored version is the one the entries belong to, so a stale hint only makes
   * the write refused (the caller reads again), never wrong.
   */
  private readonly knownIndexes = new Map<string, { version: number; keys: Key[] }>();

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
    if (!doc) return undefined;
    const parsed = JSON.parse(doc) as T;
    this.noteIndexes(pk, parsed);
    return parsed;
  }

  /** Remembers the index entries of a case or finding as read or written (see knownIndexes). */
  private noteIndexes(pk: string, doc: unknown): void {
    const kind = pk.startsWith('CASE#') ? 'case' : pk.startsWith('FINDING#') ? 'finding' : undefined;
    if (!kind) return;
    const version = (doc as { version?: unknown }).version;
    if (typeof version !== 'number') return;
    this.knownIndexes.delete(pk);
    this.knownIndexes.set(pk, { version, keys: kind === 'case' ? caseIndexes(doc as Case) : findingIndexes(doc as StoredFinding) });
    // Bounded: a long-running process forgets the oldest (it then reads before updating, as before).
    if (this.knownIndexes.size > KNOWN_INDEXES) this.knownIndexes.delete(this.knownIndexes.keys().next().value as string);
  }

  /** The index entries of `pk` at `version`, when known. */
  private indexesAt(pk: string, version: number): Key[] | undefined {
    const known = this.knownIndexes.get(pk);
    return known?.version === version ? known.keys : undefined;
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
      for (const it of items) {
        const item = it.Put?.Item;
        if (item?.sk?.S === MAIN && item.pk?.S && item.doc?.S && /^(CASE|FINDING)#/.test(item.pk.S)) this.noteIndexes(item.pk.S, JSON.parse(item.doc.S));
      }
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** Refs of an index, in order; `limit` counts entries read (callers filter after); `skBelow`: only entries whose sort key is less. */
  private async queryRefs(pk: string, opts: { limit?: number; descending?: boolean; skBelow?: string } = {}): Promise<string[]> {
    const refs: string[] = [];
    let start: Item | undefined;
    do {
      const res = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: opts.skBelow !== undefined ? 'pk = :pk AND sk < :hi' : 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: pk }, ...(opts.skBelow !== undefined ? { ':hi': { S: opts.skBelow } } : {}) },
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
        for (const it of res.Responses?.[this.table] ?? []) {
          if (!it.pk?.S || !it.doc?.S) continue;
          const doc = JSON.parse(it.doc.S) as T;
          this.noteIndexes(it.pk.S, doc);
          found.set(it.pk.S, doc);
        }
        keys = (res.UnprocessedKeys?.[this.table]?.Keys ?? []);
        if (keys.length) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
      }
      if (keys.length) throw new CordonError(ErrorCode.STORE_UNAVAILABLE, 'DynamoDB kept some reads unprocessed; try again');
    }
    return pks.flatMap((pk) => (found.has(pk) ? [found.get(pk) as T] : []));
  }

  private async list<T>(index: string, opts: { limit?: number; descending?: boolean; skBelow?: string } = {}): Promise<T[]> {
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
    let before = this.indexesAt(`FINDING#${f.id}`, f.version);
    if (!before) {
      const stored = await this.getFinding(f.id);
      if (!stored || stored.version !== f.version) return false;
      before = findingIndexes(stored);
    }
    const next = { ...f, version: f.version + 1 };
    const ok = await this.transact(this.findingWrites(next, f.version, before));
    if (ok) f.version = next.version;
    return ok;
  }

  async listFindings(filter: { caseId?: string; disposition?: StoredFinding['disposition']; attackSequence?: true }): Promise<StoredFinding[]> {
    const index = filter.caseId ? `IDX#finding-case#${filter.caseId}` : filter.disposition ? `IDX#finding-disposition#${filter.disposition}` : 'IDX#finding';
    const all = await this.list<StoredFinding>(index);
    return all.filter((f) => (!filter.disposition || f.disposition === filter.disposition) && (!filter.caseId || f.caseId === filter.caseId) && (!filter.attackSequence || f.finding.isAttackSequence));
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

  async pendingPrincipalChecks(askedBy: string, limit: number): Promise<StoredFinding[]> {
    // Sort keys are `<asked at>#<id>`: every one asked at or before `askedBy` sorts below `<askedBy>$` ('$' follows '#').
    const found = await this.list<StoredFinding>('IDX#finding-check-pending', { limit, skBelow: `${askedBy}$` });
    // An entry and its finding are written in one transaction; this only drops a finding changed since the query.
    return found.filter((f) => {
      const asked = pendingCheckAskedAt(f);
      return asked !== undefined && asked <= askedBy;
    });
  }

  /**
   * Cased findings stored before `IDX#finding-check-pending` existed have no entry there, so
   * the sweep would never find their pending check (on Lambda that was every check: the
   * worker refused the job). Walks `IDX#finding-disposition#cased` one page a call, resuming
   * from a checkpoint, and puts each pending check's entry on condition that the finding is
   * still at the version read: one changed meanwhile was reindexed by its own write.
   */
  async backfillPendingChecks(pageSize = 200): Promise<boolean> {
    const cp = await this.getCheckpoint(CHECK_BACKFILL);
    if (cp === 'done') return true;
    const res = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'IDX#finding-disposition#cased' } },
        ConsistentRead: true,
        Limit: pageSize,
        ...(cp ? { ExclusiveStartKey: JSON.parse(cp) as Item } : {}),
      }),
    );
    const refs = (res.Items ?? []).flatMap((it) => (it.ref?.S ? [it.ref.S] : []));
    const pending = (await this.docs<StoredFinding>(refs)).flatMap((f) => {
      const asked = pendingCheckAskedAt(f);
      return asked === undefined ? [] : [{ f, key: { pk: 'IDX#finding-check-pending', sk: `${asked}#${f.id}` } }];
    });
    // Findings stored since the index existed have their entry: only the missing are written.
    const present = new Set<string>();
    for (let i = 0; i < pending.length; i += 100) {
      let keys: Item[] = pending.slice(i, i + 100).map(({ key }) => ({ pk: { S: key.pk }, sk: { S: key.sk } }));
      for (let attempt = 0; keys.length && attempt < 10; attempt++) {
        const got = await this.client.send(new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'sk' } } }));
        for (const it of got.Responses?.[this.table] ?? []) if (it.sk?.S) present.add(it.sk.S);
        keys = got.UnprocessedKeys?.[this.table]?.Keys ?? [];
        if (keys.length) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
      }
      if (keys.length) throw new CordonError(ErrorCode.STORE_UNAVAILABLE, 'DynamoDB kept some reads unprocessed; try again');
    }
    const missing = pending.filter(({ key }) => !present.has(key.sk));
    // Side by side, ten at a time: each is its own small transaction (not a retry: a finding
    // changed since the read was reindexed by its own write, and its refusal is left as is).
    const tens = Array.from({ length: Math.ceil(missing.length / 10) }, (_, k) => missing.slice(k * 10, k * 10 + 10));
    for (const ten of tens) {
      await Promise.all(
        ten.map(({ f, key }) =>
          this.transact([
            { ConditionCheck: { TableName: this.table, Key: keyOf(`FINDING#${f.id}`), ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': { N: String(f.version) } } } },
            this.indexPut(key, `FINDING#${f.id}`),
          ]),
        ),
      );
    }
    await this.setCheckpoint(CHECK_BACKFILL, res.LastEvaluatedKey ? JSON.stringify(res.LastEvaluatedKey) : 'done');
    return !res.LastEvaluatedKey;
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
   * One BatchGetItem (100 items a request) for the findings, their correlation keys' heads and
   * the suppression rules' version: a re-sent finding needs nothing more, a new one's placement
   * starts from the heads. The rules are read again only when their version moved.
   */
  async readForIngest(items: IngestLookup[]): Promise<IngestSnapshot> {
    const keys = [...new Set(items.flatMap((i) => i.keys))];
    const pks = [SUPPRESSIONS_VERSION, ...new Set(items.map((i) => `FINDING#${i.id}`)), ...keys.map((k) => `KEY#${k}`)];
    const got = await this.rawItems(pks);
    const stored = new Map<string, StoredFinding>();
    const heads = new Map<string, Head | undefined>();
    for (const k of keys) {
      const it = got.get(`KEY#${k}`);
      heads.set(k, it?.caseId?.S ? { caseId: it.caseId.S, hv: Number(it.hv?.N ?? 0) } : undefined);
    }
    // Bounded: hints an earlier or concurrent ingest left are dropped (placements then read afresh).
    if (this.knownHeads.size + heads.size > 10_000 || this.knownAbsent.size + items.length > 10_000) {
      this.knownHeads.clear();
      this.knownAbsent.clear();
    }
    for (const [k, h] of heads) this.knownHeads.set(k, h);
    for (const i of items) {
      const doc = got.get(`FINDING#${i.id}`)?.doc?.S;
      if (doc) stored.set(i.id, JSON.parse(doc) as StoredFinding);
      else this.knownAbsent.add(i.id);
    }
    const version = Number(got.get(SUPPRESSIONS_VERSION)?.n?.N ?? 0);
    if (this.rules?.version !== version) this.rules = { version, rules: await this.activeSuppressions() };
    return { stored, suppressions: this.rules.rules };
  }

  /** Whole items by pk (BatchGetItem, 100 at a time, unprocessed keys retried). */
  private async rawItems(pks: string[]): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    const chunks: string[][] = [];
    for (let i = 0; i < pks.length; i += 100) chunks.push(pks.slice(i, i + 100));
    // The chunks side by side: a batch's first read costs one round trip, not one per 100 items.
    await Promise.all(
      chunks.map(async (chunk) => {
        let keys: Item[] = chunk.map(keyOf);
        for (let attempt = 0; keys.length && attempt < 10; attempt++) {
          const res = await this.client.send(new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }));
          for (const it of res.Responses?.[this.table] ?? []) if (it.pk?.S) found.set(it.pk.S, it);
          keys = res.UnprocessedKeys?.[this.table]?.Keys ?? [];
          if (keys.length) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
        }
        if (keys.length) throw new CordonError(ErrorCode.STORE_UNAVAILABLE, 'DynamoDB kept some reads unprocessed; try again');
      }),
    );
    return found;
  }

  async placeFinding(p: FindingPlacement): Promise<PlacementResult> {
    return retryOnConflict(`finding ${p.finding.id}`, async () => (await this.tryPlace(p)) ?? LOST_RACE, RACES);
  }

  /**
   * Placements sharing a correlation key (directly or through another placement of the batch)
   * run one after another, in the order given, so the first opens the case and the next join
   * it as they would one by one; placements sharing none are independent and run side by side,
   * PLACEMENT_LANES at a time: a batch costs the round trips of its longest chain, not their sum.
   */
  async placeFindings(ps: FindingPlacement[]): Promise<PlacementResult[]> {
    const out: PlacementResult[] = new Array<PlacementResult>(ps.length);
    const chains = [...placementChains(ps).values()];
    let next = 0;
    const lane = async (): Promise<void> => {
      for (let c = next++; c < chains.length; c = next++) {
        const chain = chains[c] as number[];
        const results = await this.placeChain(chain.map((i) => ps[i] as FindingPlacement));
        chain.forEach((i, j) => (out[i] = results[j] as PlacementResult));
      }
    };
    // Every lane finishes before a refusal is passed on: the caller then redoes the batch one by one.
    const settled = await Promise.allSettled(Array.from({ length: Math.min(PLACEMENT_LANES, chains.length) }, lane));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return out;
  }

  /**
   * A chain of related placements, in order: as many as fit in one transaction at a time (see
   * {@link tryPlaceTogether}), else one by one.
   */
  private async placeChain(ps: FindingPlacement[]): Promise<PlacementResult[]> {
    const out: PlacementResult[] = [];
    while (out.length < ps.length) {
      const rest = ps.slice(out.length);
      let together: PlacementResult[] | undefined;
      for (let n = rest.length; n >= 2; n = Math.floor(n / 2)) {
        const r = await this.tryPlaceTogether(rest.slice(0, n));
        if (r === null) break;
        if (r) {
          together = r;
          break;
        }
      }
      if (together?.length) out.push(...together);
      else out.push(await this.placeFinding(rest[0] as FindingPlacement));
    }
    return out;
  }

  /**
   * Several placements of one chain in one transaction: the placement rule applied to each in
   * turn against the cases and key heads as the ones before left them (as one by one would),
   * then everything they change written at once, on condition that every head, every joined
   * case and every new finding and case id is still as read. Only for findings readForIngest
   * found absent and keys whose heads are known; returns the results of the placements it
   * wrote (a prefix of `ps`, at least two), undefined when the writes would not fit in one
   * transaction, and null when it cannot or lost a race (the caller goes one by one).
   */
  private async tryPlaceTogether(ps: FindingPlacement[]): Promise<PlacementResult[] | undefined | null> {
    const read = new Map<string, Head | undefined>();
    const leads = new Map<string, string | undefined>();
    const cases = new Map<string, { case: Case; stored?: Case }>();
    const writes: TransactWriteItem[] = [];
    const reverse = new Map<string, Key>();
    const results: PlacementResult[] = [];
    const ids: string[] = [];
    const creating: [FindingPlacement, Case][] = [];
    for (const p of ps) {
      const keys = p.claim ? [...new Set(p.claim.keys)] : [];
      if (!this.knownAbsent.has(p.finding.id) || !keys.every((k) => leads.has(k) || this.knownHeads.has(k))) break;
      for (const k of keys) {
        if (leads.has(k)) continue;
        const h = this.knownHeads.get(k);
        read.set(k, h);
        leads.set(k, h?.caseId);
      }
      let claim: CaseClaim | undefined;
      if (p.claim) {
        const caseIds = [...new Set(keys.flatMap((k) => leads.get(k) ?? []))];
        const missing = caseIds.filter((id) => !cases.has(id));
        if (missing.length) for (const c of await this.docs<Case>(missing.map((id) => `CASE#${id}`))) cases.set(c.id, { case: c, stored: c });
        const candidates = caseIds.flatMap((id) => cases.get(id)?.case ?? []);
        const active = pickActiveCase(candidates, p.claim.activeSince);
        if (active || !p.claim.joinOnly) {
          const target = active ?? p.claim.draft;
          if (!active && cases.has(target.id)) break;
          if (!active) cases.set(target.id, { case: target });
          for (const k of keys) {
            if (leads.get(k) === target.id) continue;
            leads.set(k, target.id);
            reverse.set(`${target.id}|${k}`, { pk: `IDX#case-key#${target.id}`, sk: k });
          }
          const others = active && p.claim.wantOthers ? otherActiveCases(candidates, p.claim.activeSince, active) : [];
          claim = { case: target, created: !active, ...(others.length ? { others } : {}) };
          if (!active) creating.push([p, target]);
        }
      }
      const plan = planPlacement(p, claim);
      const held = plan.join ? cases.get(plan.join.case.id) : undefined;
      if (held) held.case = plan.join?.case as Case;
      writes.push(...this.findingWrites(plan.finding, -1, []), ...this.eventWrites(plan.events));
      results.push(plan.result);
      ids.push(p.finding.id);
    }
    if (results.length < 2) return null;
    const keyWrites: TransactWriteItem[] = [];
    const after = new Map<string, Head>();
    for (const [k, caseId] of leads) {
      const head = read.get(k);
      if (!caseId) continue;
      if (head && head.caseId === caseId) {
        keyWrites.push({ ConditionCheck: { TableName: this.table, Key: keyOf(`KEY#${k}`), ConditionExpression: 'hv = :hv', ExpressionAttributeValues: { ':hv': { N: String(head.hv) } } } });
        after.set(k, head);
        continue;
      }
      const hv = (head?.hv ?? 0) + 1;
      keyWrites.push({
        Put: {
          TableName: this.table,
          Item: { ...keyOf(`KEY#${k}`), caseId: { S: caseId }, hv: { N: String(hv) } },
          ...(head ? { ConditionExpression: 'hv = :hv', ExpressionAttributeValues: { ':hv': { N: String(head.hv) } } } : { ConditionExpression: 'attribute_not_exists(pk)' }),
        },
      });
      after.set(k, { caseId, hv });
    }
    const caseWrites = [...cases.values()].flatMap(({ case: c, stored }) => (!stored ? this.caseWrites(c, -1, []) : c !== stored ? this.caseWrites(c, stored.version, caseIndexes(stored)) : []));
    const all = [...keyWrites, ...[...reverse.values()].map((k) => this.indexPut(k, `KEY#${k.sk}`)), ...caseWrites, ...writes];
    if (all.length > 100) return undefined;
    for (const [p, c] of creating) p.claim?.onCreating?.(c);
    for (const id of ids) this.knownAbsent.delete(id);
    const ok = await this.transact(all);
    for (const k of leads.keys()) {
      const h = ok ? after.get(k) : undefined;
      if (h) this.knownHeads.set(k, h);
      else if (!ok) this.knownHeads.delete(k);
    }
    return ok ? results : null;
  }

  /**
   * One attempt; undefined when another writer got in first (the caller reads again and retries).
   * A finding readForIngest found absent, whose keys' heads are known, costs only the read of
   * the candidate cases: the transaction's conditions (the finding and a new case absent, each
   * head and the joined case unchanged) refuse it if any of that moved, and the retry, with the
   * hints forgotten, reads everything again and says why.
   */
  private async tryPlace(p: FindingPlacement): Promise<PlacementResult | undefined> {
    const id = p.finding.id;
    const keys = p.claim ? [...new Set(p.claim.keys)] : [];
    const hinted = this.knownAbsent.has(id) && keys.every((k) => this.knownHeads.has(k));
    this.knownAbsent.delete(id);
    if (!hinted && (await this.getFinding(id))) return { inserted: false };
    const claim = p.claim ? await this.prepareClaim(p.claim.draft, keys, p.claim.activeSince, p.claim, hinted ? this.knownHeads : undefined) : undefined;
    const plan = planPlacement(p, claim);
    const writes: TransactWriteItem[] = [...(claim?.writes ?? [])];
    if (plan.join && claim) writes.push(...this.caseWrites(plan.join.case, plan.join.expectedVersion, caseIndexes(claim.case)));
    writes.push(...this.findingWrites(plan.finding, -1, []));
    writes.push(...this.eventWrites(plan.events));
    if (claim?.created) p.claim?.onCreating?.(claim.case);
    const ok = await this.transact(writes);
    // What the key items now hold (or, lost, that they are unknown): the batch's next placements start from it.
    for (const k of keys) {
      if (ok && !claim) continue; // a join-only finding that joined nothing wrote no key
      const h = ok ? claim?.heads.get(k) : undefined;
      if (h) this.knownHeads.set(k, h);
      else this.knownHeads.delete(k);
    }
    return ok ? plan.result : undefined;
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
    known?: Map<string, Head | undefined>,
  ): Promise<{ case: Case; created: boolean; writes: TransactWriteItem[]; heads: Map<string, Head>; others?: string[] } | undefined> {
    // A transaction may touch an item once: each key once.
    const keys = [...new Set(allKeys)];
    const heads = new Map<string, Head>();
    const prefetched = !!known && keys.every((k) => known.has(k));
    if (prefetched) for (const k of keys) {
      const h = known.get(k);
      if (h) heads.set(k, h);
    }
    for (let i = 0; !prefetched && i < keys.length; i += 100) {
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
    // The heads once the writes land: each key leads to the target, bumped where it was put.
    const after = new Map(keys.map((k) => {
      const head = heads.get(k);
      return [k, head && head.caseId === target.id ? head : { caseId: target.id, hv: (head?.hv ?? 0) + 1 }];
    }));
    if (active) {
      const others = opts.wantOthers ? otherActiveCases(candidates, activeSince, active) : [];
      return { case: active, created: false, writes: [...writes, ...reverse], heads: after, ...(others.length ? { others } : {}) };
    }
    if (opts.joinOnly) return undefined;
    // With prefetched heads the draft's attribute_not_exists condition stands in for this read;
    // if it fails, the retry reads and says so.
    if (!prefetched && (await this.getCase(draft.id))) throw new CordonError(ErrorCode.STORE_CONFLICT, `case id ${draft.id} is taken`);
    return { case: draft, created: true, writes: [...writes, ...reverse, ...this.caseWrites(draft, -1, [])], heads: after };
  }

  async claimCase(draft: Case, keys: string[], activeSince: string): Promise<CaseClaim> {
    return retryOnConflict(
      'the case being claimed',
      async () => {
        const claim = (await this.prepareClaim(draft, keys, activeSince)) as NonNullable<Awaited<ReturnType<DynamoDbStore['prepareClaim']>>>;
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
          ...this.eventWrites([ev.survivor, ev.pointer]),
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
    let before = this.indexesAt(`CASE#${c.id}`, c.version);
    if (!before) {
      const stored = await this.getCase(c.id);
      if (!stored || stored.version !== c.version) return false;
      before = caseIndexes(stored);
    }
    const next = { ...c, version: c.version + 1 };
    const ok = await this.transact(this.caseWrites(next, c.version, before));
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

  /** `n` consecutive event ids (see EVENT_IDS_PER_MS), after any this store gave out before. */
  private eventIds(n: number): number {
    const fromClock = Date.now() * EVENT_IDS_PER_MS + Math.floor(Math.random() * (EVENT_IDS_PER_MS - n));
    const first = Math.max(fromClock, this.lastEventId + 1);
    this.lastEventId = first + n - 1;
    return first;
  }

  private eventWrites(events: NewTimelineEvent[]): TransactWriteItem[] {
    if (!events.length) return [];
    const first = this.eventIds(events.length);
    return events.flatMap((e, i) => {
      const id = first + i;
      const postedTs = e.silent ? SILENT_TS : undefined;
      const pk = `EVENT#${pad(id)}`;
      return [this.putVersioned(pk, { ...e, id, ...(postedTs ? { postedTs } : {}) }, 1, -1), ...eventIndexes({ id, caseId: e.caseId, ...(postedTs ? { postedTs } : {}) }).map((k) => this.indexPut(k, pk))];
    });
  }

  async appendTimeline(e: NewTimelineEvent): Promise<TimelineEvent> {
    // Another writer took the id in the same millisecond: draw another.
    return retryOnConflict(
      `timeline event of ${e.caseId}`,
      async () => {
        const writes = this.eventWrites([e]);
        if (!(await this.transact(writes))) return LOST_RACE;
        return JSON.parse((writes[0]?.Put?.Item?.doc?.S as string) ?? '{}') as TimelineEvent;
      },
      RACES,
    );
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

  async insertAction(a: Action, opts: { exclusiveTarget?: boolean } = {}): Promise<boolean> {
    const pk = `ACTION#${a.id}`;
    const items = [this.putVersioned(pk, a, a.version, -1), ...actionIndexes(a).map((k) => this.indexPut(k, pk))];
    if (!opts.exclusiveTarget || !holdsTarget(a)) return this.transact(items);
    // The target's lock item `TARGET#<ref>` names the action holding it and is written in the
    // same transaction as the action, only if absent: of two plans racing for one target, one
    // transaction is cancelled. A lock whose action no longer holds the target (its release
    // was lost in a crash) is removed, conditioned on naming that action, and the insert retried.
    const lock = `TARGET#${a.target.ref}`;
    const claim: TransactWriteItem = {
      Put: { TableName: this.table, Item: { ...keyOf(lock), actionId: { S: a.id } }, ConditionExpression: 'attribute_not_exists(pk)' },
    };
    return retryOnConflict(
      `the lock on ${a.target.ref}`,
      async () => {
        if (await this.transact([...items, claim])) return true;
        if (await this.getAction(a.id)) return false;
        const res = await this.client.send(new GetItemCommand({ TableName: this.table, Key: keyOf(lock), ConsistentRead: true }));
        const holderId = res.Item?.actionId?.S;
        if (!holderId) return LOST_RACE;
        const holder = await this.getAction(holderId);
        if (holder && holdsTarget(holder)) return false;
        await this.releaseTarget(a.target.ref, holderId);
        return LOST_RACE;
      },
      { backoff: jitteredBackoff },
    );
  }

  /** Deletes the target's lock if `actionId` still holds it; someone else's lock is left alone. */
  private async releaseTarget(ref: string, actionId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: keyOf(`TARGET#${ref}`),
          ConditionExpression: 'actionId = :a',
          ExpressionAttributeValues: { ':a': { S: actionId } },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
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
    // Left its target (reverted, failed, rejected…): free it for the next Contain. Should this
    // delete be lost, the next insert finds the lock stale and removes it.
    if (ok && holdsTarget(stored) && !holdsTarget(next)) await this.releaseTarget(next.target.ref, next.id);
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
    // The version moves with the rule, in one transaction: readForIngest sees the change.
    const bump: TransactWriteItem = { Update: { TableName: this.table, Key: keyOf(SUPPRESSIONS_VERSION), UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': { N: '1' } } } };
    await this.transact([this.put(pk, rule, 1), rule.liftedAt ? this.indexDelete(active) : this.indexPut(active, pk), bump]);
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
