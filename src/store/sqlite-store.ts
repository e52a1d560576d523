import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { Case, CaseStatus, NewTimelineEvent, RejectedInput, StoredFinding, TimelineEvent } from '../domain/cases/case';
import { CordonError, ErrorCode } from '../errors';
import { absorbCase, checkActionsSettled, checkMerge, mergeEvents, retireCase, type MergeRequest, type MergeResult } from '../domain/cases/merge';
import { movedFinding } from './publish-rules';
import { SQLITE_MIGRATIONS } from './migrations/sqlite-migrations';
import { holdsTarget, LIVE_ON_TARGET, type Action, type ActionStatus } from '../domain/actions/action';
import type { SuppressionRule } from '../domain/triage/suppression';
import { auditStream, linkAudit, withoutLink, type ChainedAuditEntry, type StoredAuditRecord } from './audit-chain';
import type { AuditEntry, CaseClaim, FindingPlacement, IngestLookup, IngestSnapshot, PlacementResult, Store, StoredJob } from './store';
import { caseNeedsPublish, findingNeedsPublish, pendingCheckAskedAt, SILENT_TS } from './publish-rules';
import { isDigestPending, otherActiveCases, pickActiveCase, planPlacement } from '../domain/cases/placement';
import { SqliteCheckpointer } from './sqlite-checkpointer';

/** SQLite's own default: a checkpoint run by the commit that takes the WAL past this many pages. */
const WAL_AUTOCHECKPOINT_PAGES = 1000;
/**
 * Past this, a placement batch checkpoints the WAL itself (PASSIVE: it copies what it can and
 * waits for nobody), as SQLite would: the WAL stays bounded when the worker falls behind.
 */
const WAL_CAP_BYTES = 64 * 1024 * 1024;
/** Rows per multi-row INSERT: bounds the statements cached (one per row count) and the variables bound. */
const ROWS_PER_INSERT = 64;
/** Placement batches between two looks at the WAL's size (a stat each). */
const WAL_CHECK_EVERY = 16;


/** `WHERE a = ? AND b IN (?, ?)` from the filters that are set. */
function where(filters: [column: string, value: string | string[] | undefined][]): { sql: string; args: string[] } {
  const parts: string[] = [];
  const args: string[] = [];
  for (const [column, value] of filters) {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    if (Array.isArray(value)) {
      parts.push(`${column} IN (${value.map(() => '?').join(',')})`);
      args.push(...value);
    } else {
      parts.push(`${column} = ?`);
      args.push(value);
    }
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', args };
}

interface DocRow {
  doc: string;
}

/**
 * What one placement transaction has read and changed: the cases of each correlation key
 * and the cases it touched, so a batch reads each key and case once and writes each joined
 * case once, at commit. Valid only inside that immediate transaction (nobody else writes).
 */
class PlacementBatch {
  readonly keyCases = new Map<string, Set<string>>();
  readonly cases = new Map<string, { case: Case; storedVersion: number; dirty: boolean }>();
  /** Finding ids stored before the batch or by it: the batch read them once, up front. */
  readonly storedIds = new Set<string>();
  /**
   * Rows written when the batch ends, many to a statement, in the order they were made (a
   * statement costs a few µs of its own, as much as the B-tree work of a row).
   */
  readonly keyRows: unknown[][] = [];
  readonly eventRows: unknown[][] = [];
  readonly findingRows: unknown[][] = [];

  /** A case as a join left it (its version already bumped by the placement rule). */
  joined(c: Case): void {
    const held = this.cases.get(c.id);
    if (!held) throw new CordonError(ErrorCode.STORE_CONFLICT, `case ${c.id} was joined without being read`);
    held.case = c;
    held.dirty = true;
  }

  dirtyCases(): { case: Case; storedVersion: number }[] {
    return [...this.cases.values()].filter((h) => h.dirty);
  }
}

/**
 * The embedded default store. better-sqlite3 is synchronous, so each method is
 * atomic within the process; WAL lets a second reader (`cordon report`) run beside
 * `cordon serve`.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  /** Prepared once: preparing is most of the cost of a small statement. */
  private readonly statements = new Map<string, Database.Statement>();
  /** Started by the first placement batch of a file in WAL mode: short-lived commands never start it. */
  private checkpointer: SqliteCheckpointer | undefined;
  private placements = 0;

  private constructor(
    db: Database.Database,
    /** The file, when the store is one in WAL mode (not `:memory:`). */
    private readonly walPath: string | undefined,
  ) {
    this.db = db;
  }

  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** Opens (creating if needed) and migrates. `path` may be `:memory:`. */
  static open(path: string): SqliteStore {
    let db: Database.Database;
    try {
      // Loaded on use: the Lambda bundles leave this native module out (they use DynamoDB).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const Sqlite = require('better-sqlite3') as typeof Database;
      db = new Sqlite(path);
    } catch (err) {
      throw new CordonError(ErrorCode.STORE_UNAVAILABLE, `cannot open the SQLite store at ${path}: ${(err as Error).message}`);
    }
    const wal = db.pragma('journal_mode = WAL', { simple: true }) === 'wal';
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const store = new SqliteStore(db, wal ? db.name : undefined);
    store.migrate();
    return store;
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    const row = this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
    const current = row.v ?? 0;
    if (current > SQLITE_MIGRATIONS.length) {
      throw new CordonError(
        ErrorCode.STORE_UNAVAILABLE,
        `the store is at schema version ${current}, newer than this Cordon (${SQLITE_MIGRATIONS.length}); upgrade Cordon`,
      );
    }
    SQLITE_MIGRATIONS.slice(current).forEach((sql, i) => {
      this.db.transaction(() => {
        this.db.exec(sql);
        this.db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(current + i + 1, new Date().toISOString());
      })();
    });
  }

  schemaVersion(): number {
    return (this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v;
  }

  ping(): Promise<void> {
    this.stmt('SELECT 1').get();
    return Promise.resolve();
  }

  async close(): Promise<void> {
    // The worker's connection first: the last one to close checkpoints and removes the WAL.
    const checkpointer = this.checkpointer;
    this.checkpointer = undefined;
    await checkpointer?.stop();
    if (this.db.open) this.db.close();
  }

  /**
   * Ingestion writes the WAL fast: checkpoints move to a worker thread (store/sqlite-checkpointer.ts)
   * and SQLite's own, run on the event loop by a commit, are turned off while it lives.
   */
  private checkpointInBackground(): void {
    this.placements++;
    if (!this.walPath) return;
    if (!this.checkpointer && this.placements === 1) {
      this.checkpointer = SqliteCheckpointer.start(this.walPath, () => {
        if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      });
      this.db.pragma('wal_autocheckpoint = 0');
      return;
    }
    if (this.placements % WAL_CHECK_EVERY !== 0) return;
    let size = 0;
    try {
      size = statSync(`${this.walPath}-wal`).size;
    } catch {
      return;
    }
    if (size > WAL_CAP_BYTES) this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  // ---- findings

  getFinding(id: string): Promise<StoredFinding | undefined> {
    const row = this.stmt('SELECT doc FROM findings WHERE id = ?').get(id) as DocRow | undefined;
    return Promise.resolve(row ? (JSON.parse(row.doc) as StoredFinding) : undefined);
  }

  async readForIngest(items: IngestLookup[]): Promise<IngestSnapshot> {
    const stored = new Map<string, StoredFinding>();
    // One statement per 500 ids (a batch), not one per finding.
    for (let i = 0; i < items.length; i += 500) {
      const ids = items.slice(i, i + 500).map((it) => it.id);
      const rows = this.stmt(`SELECT id, doc FROM findings WHERE id IN (${ids.map(() => '?').join(',')})`).all(...ids) as (DocRow & { id: string })[];
      for (const r of rows) stored.set(r.id, JSON.parse(r.doc) as StoredFinding);
    }
    return { stored, suppressions: await this.activeSuppressions() };
  }

  insertFinding(f: StoredFinding): Promise<boolean> {
    return Promise.resolve(this.insertFindingSync(f));
  }

  private insertFindingSync(f: StoredFinding): boolean {
    const res = this.stmt(
        `INSERT INTO findings (id, case_id, disposition, needs_publish, digest_pending, first_seen_at, version, attack_sequence, check_asked_at, doc)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
      )
      .run(
        f.id,
        f.caseId ?? null,
        f.disposition,
        findingNeedsPublish(f) ? 1 : 0,
        isDigestPending(f) ? 1 : 0,
        f.firstSeenAt,
        f.version,
        f.finding.isAttackSequence ? 1 : 0,
        pendingCheckAskedAt(f) ?? null,
        JSON.stringify(f),
      );
    return res.changes === 1;
  }

  updateFinding(f: StoredFinding): Promise<boolean> {
    const next = { ...f, version: f.version + 1 };
    const res = this.stmt(
        `UPDATE findings SET case_id = ?, disposition = ?, needs_publish = ?, digest_pending = ?, version = ?, attack_sequence = ?, check_asked_at = ?, doc = ?
         WHERE id = ? AND version = ?`,
      )
      .run(
        next.caseId ?? null,
        next.disposition,
        findingNeedsPublish(next) ? 1 : 0,
        isDigestPending(next) ? 1 : 0,
        next.version,
        next.finding.isAttackSequence ? 1 : 0,
        pendingCheckAskedAt(next) ?? null,
        JSON.stringify(next),
        f.id,
        f.version,
      );
    if (res.changes === 1) f.version = next.version;
    return Promise.resolve(res.changes === 1);
  }

  listFindings(filter: { caseId?: string; disposition?: StoredFinding['disposition']; attackSequence?: true }): Promise<StoredFinding[]> {
    const w = where([
      ['case_id', filter.caseId],
      ['disposition', filter.disposition],
    ]);
    // From the indexed column, not the documents: a case's findings are mostly not sequences.
    const sequences = filter.attackSequence ? `${w.sql ? `${w.sql} AND` : 'WHERE'} attack_sequence = 1` : w.sql;
    return Promise.resolve((this.stmt(`SELECT doc FROM findings ${sequences} ORDER BY first_seen_at, id`).all(...w.args) as DocRow[]).map((r) => JSON.parse(r.doc) as StoredFinding));
  }

  findingsToPublish(limit: number): Promise<StoredFinding[]> {
    const rows = this.stmt(
        `SELECT f.doc FROM findings f JOIN cases c ON c.id = f.case_id
         WHERE f.needs_publish = 1 AND c.channel_id IS NOT NULL ORDER BY f.first_seen_at, f.id LIMIT ?`,
      )
      .all(limit) as DocRow[];
    return Promise.resolve(rows.map((r) => JSON.parse(r.doc) as StoredFinding));
  }

  pendingPrincipalChecks(askedBy: string, limit: number): Promise<StoredFinding[]> {
    const rows = this.stmt('SELECT doc FROM findings WHERE check_asked_at IS NOT NULL AND check_asked_at <= ? ORDER BY check_asked_at, rowid LIMIT ?')
      .all(askedBy, limit) as DocRow[];
    return Promise.resolve(rows.map((r) => JSON.parse(r.doc) as StoredFinding));
  }

  digestPending(limit: number): Promise<StoredFinding[]> {
    const rows = this.stmt('SELECT doc FROM findings WHERE digest_pending = 1 ORDER BY first_seen_at, id LIMIT ?')
      .all(limit) as DocRow[];
    return Promise.resolve(rows.map((r) => JSON.parse(r.doc) as StoredFinding));
  }

  markDigested(ids: string[], at: string): Promise<void> {
    const get = this.stmt('SELECT doc FROM findings WHERE id = ?');
    const put = this.stmt('UPDATE findings SET digest_pending = ?, version = version + 1, doc = ? WHERE id = ?');
    this.db.transaction(() => {
      for (const id of ids) {
        const row = get.get(id) as DocRow | undefined;
        if (!row) continue;
        const f = JSON.parse(row.doc) as StoredFinding;
        const next = { ...f, digestedAt: at, version: f.version + 1 };
        put.run(isDigestPending(next) ? 1 : 0, JSON.stringify(next), id);
      }
    })();
    return Promise.resolve();
  }

  async placeFinding(p: FindingPlacement): Promise<PlacementResult> {
    return (await this.placeFindings([p]))[0] as PlacementResult;
  }

  // async: a refusal must reach the caller as a rejected promise, never as a synchronous throw.
  async placeFindings(ps: FindingPlacement[]): Promise<PlacementResult[]> {
    await Promise.resolve();
    this.checkpointInBackground();
    try {
      return this.db
        .transaction(() => {
          const batch = new PlacementBatch();
          this.prefetch(ps, batch);
          const results = ps.map((p) => this.placeSync(p, batch));
          this.writeRows(batch);
          this.flushCases(batch);
          return results;
        })
        .immediate();
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new CordonError(ErrorCode.STORE_CONFLICT, 'a case id was taken; try again');
      throw err;
    }
  }

  /**
   * Three statements for the whole batch instead of one or more per finding: which of its
   * findings are stored already, the cases holding each key its claims name, and those cases.
   */
  private prefetch(ps: FindingPlacement[], batch: PlacementBatch): void {
    const ids = JSON.stringify(ps.map((p) => p.finding.id));
    for (const r of this.stmt('SELECT id FROM findings WHERE id IN (SELECT value FROM json_each(?))').all(ids) as { id: string }[]) batch.storedIds.add(r.id);
    const keys = [...new Set(ps.flatMap((p) => p.claim?.keys ?? []))];
    if (keys.length === 0) return;
    for (const k of keys) batch.keyCases.set(k, new Set());
    const rows = this.stmt('SELECT key, case_id FROM case_keys WHERE key IN (SELECT value FROM json_each(?))').all(JSON.stringify(keys)) as { key: string; case_id: string }[];
    for (const r of rows) batch.keyCases.get(r.key)?.add(r.case_id);
    // Every case holding one of those keys is a candidate of some claim: read them all at once.
    const caseIds = [...new Set(rows.map((r) => r.case_id))];
    if (caseIds.length === 0) return;
    for (const r of this.stmt('SELECT doc FROM cases WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(caseIds)) as DocRow[]) {
      const c = JSON.parse(r.doc) as Case;
      batch.cases.set(c.id, { case: c, storedVersion: c.version, dirty: false });
    }
  }

  private placeSync(p: FindingPlacement, batch: PlacementBatch): PlacementResult {
    if (batch.storedIds.has(p.finding.id)) return { inserted: false };
    batch.storedIds.add(p.finding.id);
    const plan = planPlacement(p, p.claim ? this.claimSync(p.claim.draft, p.claim.keys, p.claim.activeSince, batch, p.claim) : undefined);
    // In an immediate transaction nobody else writes: the joined case is kept in the batch and
    // written once when it commits (flushCases), not re-serialized for every finding it takes.
    if (plan.join) batch.joined(plan.join.case);
    for (const e of plan.events) batch.eventRows.push([e.caseId, e.at, e.silent ? SILENT_TS : null, JSON.stringify(e)]);
    const f = plan.finding;
    batch.findingRows.push([f.id, f.caseId ?? null, f.disposition, findingNeedsPublish(f) ? 1 : 0, isDigestPending(f) ? 1 : 0, f.firstSeenAt, f.version, f.finding.isAttackSequence ? 1 : 0, pendingCheckAskedAt(f) ?? null, JSON.stringify(f)]);
    return plan.result;
  }

  /** Writes the rows the batch collected (keys, then events, then findings), in the order collected. */
  private writeRows(batch: PlacementBatch): void {
    this.insertRows('INSERT OR IGNORE INTO case_keys (key, case_id) VALUES ', '(?, ?)', '', batch.keyRows);
    this.insertRows('INSERT INTO timeline (case_id, at, posted_ts, doc) VALUES ', '(?, ?, ?, ?)', '', batch.eventRows);
    this.insertRows(
      'INSERT INTO findings (id, case_id, disposition, needs_publish, digest_pending, first_seen_at, version, attack_sequence, check_asked_at, doc) VALUES ',
      '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ' ON CONFLICT(id) DO NOTHING',
      batch.findingRows,
    );
  }

  private insertRows(head: string, row: string, tail: string, rows: unknown[][]): void {
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const part = rows.slice(i, i + ROWS_PER_INSERT);
      this.stmt(`${head}${new Array<string>(part.length).fill(row).join(', ')}${tail}`).run(...part.flat());
    }
  }

  private insertEvent(e: NewTimelineEvent): void {
    this.stmt('INSERT INTO timeline (case_id, at, posted_ts, doc) VALUES (?, ?, ?, ?)').run(e.caseId, e.at, e.silent ? SILENT_TS : null, JSON.stringify(e));
  }

  /** Writes each case the batch joined once, at its final state, on condition it is still at the version read. */
  private flushCases(batch: PlacementBatch): void {
    for (const { case: c, storedVersion } of batch.dirtyCases()) {
      if (!this.updateCaseRow(c, storedVersion)) throw new CordonError(ErrorCode.STORE_CONFLICT, `case ${c.id} changed during the placement`);
    }
  }

  // ---- cases

  async claimCase(draft: Case, keys: string[], activeSince: string): Promise<CaseClaim> {
    await Promise.resolve();
    try {
      return this.db
        .transaction(() => {
          const batch = new PlacementBatch();
          const claim = this.claimSync(draft, keys, activeSince, batch) as CaseClaim;
          this.writeRows(batch);
          return claim;
        })
        .immediate();
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new CordonError(ErrorCode.STORE_CONFLICT, `case id ${draft.id} is taken`);
      }
      throw err;
    }
  }

  /** The cases holding `key`, read once per batch (the batch adds the keys it gives out). */
  private casesOfKey(key: string, batch: PlacementBatch): Set<string> {
    let ids = batch.keyCases.get(key);
    if (!ids) {
      ids = new Set((this.stmt('SELECT case_id FROM case_keys WHERE key = ?').all(key) as { case_id: string }[]).map((r) => r.case_id));
      batch.keyCases.set(key, ids);
    }
    return ids;
  }

  /** A case as the batch has it (joins applied), read once per batch. */
  private batchCase(id: string, batch: PlacementBatch): Case | undefined {
    const held = batch.cases.get(id);
    if (held) return held.case;
    const row = this.stmt('SELECT doc FROM cases WHERE id = ?').get(id) as DocRow | undefined;
    if (!row) return undefined;
    const c = JSON.parse(row.doc) as Case;
    batch.cases.set(id, { case: c, storedVersion: c.version, dirty: false });
    return c;
  }

  private claimSync(draft: Case, allKeys: string[], activeSince: string, batch: PlacementBatch, opts: { joinOnly?: boolean; wantOthers?: boolean } = {}): CaseClaim | undefined {
    const keys = [...new Set(allKeys)];
    // Every case sharing a key, most recently active first (ties by id), as the rule reads them.
    const ids = new Set<string>();
    for (const k of keys) for (const id of this.casesOfKey(k, batch)) ids.add(id);
    const candidates = [...ids].flatMap((id) => {
      const c = this.batchCase(id, batch);
      return c ? [c] : [];
    });
    candidates.sort((a, b) => (a.lastActivityAt === b.lastActivityAt ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.lastActivityAt < b.lastActivityAt ? 1 : -1));
    const existing = pickActiveCase(candidates, activeSince);
    const give = (caseId: string): void => {
      for (const k of keys) {
        const held = this.casesOfKey(k, batch);
        if (held.has(caseId)) continue;
        batch.keyRows.push([k, caseId]);
        held.add(caseId);
      }
    };
    if (existing) {
      give(existing.id);
      const others = opts.wantOthers ? otherActiveCases(candidates, activeSince, existing) : [];
      return { case: existing, created: false, ...(others.length ? { others } : {}) };
    }
    if (opts.joinOnly) return undefined;
    if (batch.cases.has(draft.id) || this.stmt('SELECT 1 FROM cases WHERE id = ?').get(draft.id)) {
      throw new CordonError(ErrorCode.STORE_CONFLICT, `case id ${draft.id} is taken`);
    }
    this.insertCase(draft);
    batch.cases.set(draft.id, { case: draft, storedVersion: draft.version, dirty: false });
    give(draft.id);
    return { case: draft, created: true };
  }

  private insertCase(c: Case): void {
    this.stmt(
        `INSERT INTO cases (id, status, channel_id, last_activity_at, needs_publish, version, doc) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(c.id, c.status, c.channelId ?? null, c.lastActivityAt, caseNeedsPublish(c) ? 1 : 0, c.version, JSON.stringify(c));
  }

  // async: a refusal must reach the caller as a rejected promise, never as a synchronous throw.
  async mergeCase(req: MergeRequest): Promise<MergeResult> {
    await Promise.resolve();
    // One immediate transaction: nothing is half-moved, whatever happens to the process.
    return this.db.transaction(() => this.mergeSync(req)).immediate();
  }

  resumeMerges(): Promise<number> {
    // Merges commit whole here: none is ever left pending.
    return Promise.resolve(0);
  }

  private mergeSync(req: MergeRequest): MergeResult {
    const read = (id: string): Case | undefined => {
      const row = this.stmt('SELECT doc FROM cases WHERE id = ?').get(id) as DocRow | undefined;
      return row ? (JSON.parse(row.doc) as Case) : undefined;
    };
    const into = read(req.intoId);
    const from = read(req.fromId);
    checkMerge(into, from, req);
    const source = from as Case;
    if (source.mergedInto === into.id) return { into, from: source, moved: { findings: 0, actions: 0, events: 0, keys: 0 } };
    const sourceActions = (this.stmt('SELECT doc FROM actions WHERE case_id = ?').all(source.id) as DocRow[]).map((r) => JSON.parse(r.doc) as Action);
    checkActionsSettled(source.id, sourceActions);
    let findings = 0;
    for (const row of this.stmt('SELECT doc FROM findings WHERE case_id = ?').all(source.id) as DocRow[]) {
      const f = JSON.parse(row.doc) as StoredFinding;
      this.writeFindingSync(movedFinding(f, into.id));
      findings++;
    }
    let actions = 0;
    for (const a of sourceActions) {
      const next = { ...a, caseId: into.id, version: a.version + 1 };
      this.stmt('UPDATE actions SET case_id = ?, version = ?, doc = ? WHERE id = ?').run(into.id, next.version, JSON.stringify(next), a.id);
      actions++;
    }
    const events = this.stmt('SELECT id, doc FROM timeline WHERE case_id = ?').all(source.id) as (DocRow & { id: number })[];
    for (const e of events) {
      this.stmt('UPDATE timeline SET case_id = ?, doc = ? WHERE id = ?').run(into.id, JSON.stringify({ ...(JSON.parse(e.doc) as object), caseId: into.id }), e.id);
    }
    const keys = this.stmt('INSERT OR IGNORE INTO case_keys (key, case_id) SELECT key, ? FROM case_keys WHERE case_id = ?').run(into.id, source.id).changes;
    this.stmt('DELETE FROM case_keys WHERE case_id = ?').run(source.id);
    const ev = mergeEvents(into, source, req);
    const survivor = { ...absorbCase(into, source, req.at) };
    const retired = retireCase(source, req, false);
    if (!this.writeCase(survivor) || !this.writeCase(retired)) throw new CordonError(ErrorCode.STORE_CONFLICT, `case ${into.id} or ${source.id} changed during the merge`);
    this.insertEvent(ev.survivor);
    this.insertEvent(ev.pointer);
    return { into: survivor, from: retired, moved: { findings, actions, events: events.length, keys } };
  }

  private writeFindingSync(f: StoredFinding): void {
    this.stmt('UPDATE findings SET case_id = ?, disposition = ?, needs_publish = ?, digest_pending = ?, version = ?, attack_sequence = ?, check_asked_at = ?, doc = ? WHERE id = ?').run(
      f.caseId ?? null,
      f.disposition,
      findingNeedsPublish(f) ? 1 : 0,
      isDigestPending(f) ? 1 : 0,
      f.version,
      f.finding.isAttackSequence ? 1 : 0,
      pendingCheckAskedAt(f) ?? null,
      JSON.stringify(f),
      f.id,
    );
  }

  getCase(id: string): Promise<Case | undefined> {
    const row = this.stmt('SELECT doc FROM cases WHERE id = ?').get(id) as DocRow | undefined;
    return Promise.resolve(row ? (JSON.parse(row.doc) as Case) : undefined);
  }

  getCaseByChannel(channelId: string): Promise<Case | undefined> {
    const row = this.stmt('SELECT doc FROM cases WHERE channel_id = ?').get(channelId) as DocRow | undefined;
    return Promise.resolve(row ? (JSON.parse(row.doc) as Case) : undefined);
  }

  updateCase(c: Case): Promise<boolean> {
    return Promise.resolve(this.writeCase(c));
  }

  /** Compare-and-set on `version`; on success bumps it (also on the object given). */
  private writeCase(c: Case): boolean {
    const next = { ...c, version: c.version + 1 };
    const ok = this.updateCaseRow(next, c.version);
    if (ok) c.version = next.version;
    return ok;
  }

  /** Writes `c` as stored (its version included) on condition the row is still at `expected`. */
  private updateCaseRow(c: Case, expected: number): boolean {
    const res = this.stmt('UPDATE cases SET status = ?, channel_id = ?, last_activity_at = ?, needs_publish = ?, version = ?, doc = ? WHERE id = ? AND version = ?').run(
      c.status,
      c.channelId ?? null,
      c.lastActivityAt,
      caseNeedsPublish(c) ? 1 : 0,
      c.version,
      JSON.stringify(c),
      c.id,
      expected,
    );
    return res.changes === 1;
  }

  listCases(filter?: { status?: CaseStatus[] }): Promise<Case[]> {
    const w = where([['status', filter?.status]]);
    return Promise.resolve((this.stmt(`SELECT doc FROM cases ${w.sql} ORDER BY id`).all(...w.args) as DocRow[]).map((r) => JSON.parse(r.doc) as Case));
  }

  casesToPublish(limit: number): Promise<Case[]> {
    const rows = this.stmt('SELECT doc FROM cases WHERE needs_publish = 1 ORDER BY id LIMIT ?').all(limit) as DocRow[];
    return Promise.resolve(rows.map((r) => JSON.parse(r.doc) as Case));
  }

  // ---- timeline

  appendTimeline(e: NewTimelineEvent): Promise<TimelineEvent> {
    const postedTs = e.silent ? SILENT_TS : null;
    const res = this.stmt('INSERT INTO timeline (case_id, at, posted_ts, doc) VALUES (?, ?, ?, ?)')
      .run(e.caseId, e.at, postedTs, JSON.stringify(e));
    return Promise.resolve({ ...e, id: Number(res.lastInsertRowid), ...(postedTs ? { postedTs } : {}) });
  }

  private rowToEvent(r: { id: number; posted_ts: string | null; doc: string }): TimelineEvent {
    const e = JSON.parse(r.doc) as NewTimelineEvent;
    return { ...e, id: r.id, ...(r.posted_ts ? { postedTs: r.posted_ts } : {}) };
  }

  listTimeline(caseId: string): Promise<TimelineEvent[]> {
    const rows = this.stmt('SELECT id, posted_ts, doc FROM timeline WHERE case_id = ? ORDER BY id').all(caseId) as {
      id: number;
      posted_ts: string | null;
      doc: string;
    }[];
    return Promise.resolve(rows.map((r) => this.rowToEvent(r)));
  }

  unpostedTimeline(limit: number): Promise<TimelineEvent[]> {
    const rows = this.stmt(
        `SELECT t.id, t.posted_ts, t.doc FROM timeline t JOIN cases c ON c.id = t.case_id
         WHERE t.posted_ts IS NULL AND c.channel_id IS NOT NULL ORDER BY t.id LIMIT ?`,
      )
      .all(limit) as { id: number; posted_ts: string | null; doc: string }[];
    return Promise.resolve(rows.map((r) => this.rowToEvent(r)));
  }

  markTimelinePosted(id: number, ts: string): Promise<void> {
    this.stmt('UPDATE timeline SET posted_ts = ? WHERE id = ?').run(ts, id);
    return Promise.resolve();
  }

  // ---- rejected inputs and checkpoints

  addRejected(r: Omit<RejectedInput, 'id'>): Promise<RejectedInput> {
    const res = this.stmt('INSERT INTO rejected_inputs (at, source, reason, finding_id, raw) VALUES (?, ?, ?, ?, ?)')
      .run(r.at, r.source, r.reason, r.findingId ?? null, r.raw);
    return Promise.resolve({ ...r, id: Number(res.lastInsertRowid) });
  }

  listRejected(limit: number): Promise<RejectedInput[]> {
    const rows = this.stmt('SELECT id, at, source, reason, finding_id AS findingId, raw FROM rejected_inputs ORDER BY id DESC LIMIT ?')
      .all(limit) as (Omit<RejectedInput, 'findingId'> & { findingId: string | null })[];
    return Promise.resolve(rows.map(({ findingId, ...r }) => ({ ...r, ...(findingId ? { findingId } : {}) })));
  }

  // ---- actions and audit

  insertAction(a: Action, opts: { exclusiveTarget?: boolean } = {}): Promise<boolean> {
    const insert = (): boolean =>
      this.stmt('INSERT INTO actions (id, case_id, status, created_at, version, doc) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING')
        .run(a.id, a.caseId ?? null, a.status, a.createdAt, a.version, JSON.stringify(a)).changes === 1;
    if (!opts.exclusiveTarget || !holdsTarget(a)) return Promise.resolve(insert());
    // Immediate: the look for a live action on the target and the insert are one step, for
    // every process that has the file open (`cordon serve` and a break-glass `cordon contain`).
    return Promise.resolve(
      this.db
        .transaction(() => {
          const live = this.stmt(`SELECT doc FROM actions WHERE status IN (${LIVE_ON_TARGET.map(() => '?').join(', ')}) AND json_extract(doc, '$.target.ref') = ?`)
            .all(...LIVE_ON_TARGET, a.target.ref) as DocRow[];
          if (live.some((r) => holdsTarget(JSON.parse(r.doc) as Action))) return false;
          return insert();
        })
        .immediate(),
    );
  }

  getAction(id: string): Promise<Action | undefined> {
    const row = this.stmt('SELECT doc FROM actions WHERE id = ?').get(id) as DocRow | undefined;
    return Promise.resolve(row ? (JSON.parse(row.doc) as Action) : undefined);
  }

  updateAction(a: Action): Promise<boolean> {
    const next = { ...a, version: a.version + 1 };
    const res = this.stmt('UPDATE actions SET case_id = ?, status = ?, version = ?, doc = ? WHERE id = ? AND version = ?')
      .run(next.caseId ?? null, next.status, next.version, JSON.stringify(next), a.id, a.version);
    if (res.changes === 1) a.version = next.version;
    return Promise.resolve(res.changes === 1);
  }

  listActions(filter: { caseId?: string; status?: ActionStatus[] }): Promise<Action[]> {
    const w = where([
      ['case_id', filter.caseId],
      ['status', filter.status],
    ]);
    return Promise.resolve((this.stmt(`SELECT doc FROM actions ${w.sql} ORDER BY created_at, id`).all(...w.args) as DocRow[]).map((r) => JSON.parse(r.doc) as Action));
  }

  appendAudit(entry: AuditEntry): Promise<void> {
    const stream = auditStream(entry);
    // Immediate: the head read and the insert are one step, whoever else has the file open.
    this.db
      .transaction(() => {
        const head = this.stmt('SELECT doc FROM audit WHERE stream = ? ORDER BY id DESC LIMIT 1').get(stream) as DocRow | undefined;
        const linked = linkAudit(entry, head ? (JSON.parse(head.doc) as ChainedAuditEntry) : undefined);
        this.stmt('INSERT INTO audit (at, case_id, action_id, stream, doc) VALUES (?, ?, ?, ?, ?)').run(entry.at, entry.caseId ?? null, entry.actionId ?? null, stream, JSON.stringify(linked));
      })
      .immediate();
    return Promise.resolve();
  }

  listAudit(filter: { caseId?: string; actionId?: string }): Promise<AuditEntry[]> {
    const w = where([
      ['case_id', filter.caseId],
      ['action_id', filter.actionId],
    ]);
    return Promise.resolve((this.stmt(`SELECT doc FROM audit ${w.sql} ORDER BY id`).all(...w.args) as DocRow[]).map((r) => withoutLink(JSON.parse(r.doc) as AuditEntry)));
  }

  auditStreams(): Promise<string[]> {
    return Promise.resolve((this.stmt('SELECT DISTINCT stream FROM audit WHERE stream IS NOT NULL ORDER BY stream').all() as { stream: string }[]).map((r) => r.stream));
  }

  auditStreamRecords(stream: string): Promise<StoredAuditRecord[]> {
    const rows = this.stmt('SELECT id, doc FROM audit WHERE stream = ? ORDER BY id').all(stream) as { id: number; doc: string }[];
    return Promise.resolve(rows.map((r) => ({ position: r.id, record: JSON.parse(r.doc) as ChainedAuditEntry })));
  }

  putSuppression(rule: SuppressionRule): Promise<void> {
    this.stmt('INSERT INTO suppression_rules (id, active, version, doc) VALUES (?, ?, 1, ?) ON CONFLICT(id) DO UPDATE SET active = excluded.active, version = version + 1, doc = excluded.doc').run(
      rule.id,
      rule.liftedAt ? 0 : 1,
      JSON.stringify(rule),
    );
    return Promise.resolve();
  }

  getSuppression(id: string): Promise<SuppressionRule | undefined> {
    const row = this.stmt('SELECT doc FROM suppression_rules WHERE id = ?').get(id) as DocRow | undefined;
    return Promise.resolve(row ? (JSON.parse(row.doc) as SuppressionRule) : undefined);
  }

  activeSuppressions(): Promise<SuppressionRule[]> {
    return Promise.resolve((this.stmt('SELECT doc FROM suppression_rules WHERE active = 1 ORDER BY id').all() as DocRow[]).map((r) => JSON.parse(r.doc) as SuppressionRule));
  }

  getCheckpoint(key: string): Promise<string | undefined> {
    const row = this.stmt('SELECT value FROM checkpoints WHERE key = ?').get(key) as { value: string } | undefined;
    return Promise.resolve(row?.value);
  }

  setCheckpoint(key: string, value: string): Promise<void> {
    this.stmt('INSERT INTO checkpoints (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
    return Promise.resolve();
  }

  // ---- jobs and leases

  putJob(j: StoredJob): Promise<void> {
    this.stmt('INSERT INTO jobs (id, enqueued_at, doc) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING').run(j.id, j.enqueuedAt, JSON.stringify(j));
    return Promise.resolve();
  }

  listJobs(limit: number): Promise<StoredJob[]> {
    return Promise.resolve((this.stmt('SELECT doc FROM jobs ORDER BY enqueued_at, id LIMIT ?').all(limit) as DocRow[]).map((r) => JSON.parse(r.doc) as StoredJob));
  }

  deleteJob(id: string): Promise<void> {
    this.stmt('DELETE FROM jobs WHERE id = ?').run(id);
    return Promise.resolve();
  }

  acquireLease(name: string, owner: string, until: string, now: string): Promise<boolean> {
    const res = this.stmt(
      `INSERT INTO leases (name, owner, until) VALUES (?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, until = excluded.until
       WHERE leases.owner = excluded.owner OR leases.until <= ?`,
    ).run(name, owner, until, now);
    return Promise.resolve(res.changes === 1);
  }

  releaseLease(name: string, owner: string): Promise<void> {
    this.stmt('DELETE FROM leases WHERE name = ? AND owner = ?').run(name, owner);
    return Promise.resolve();
  }
}
