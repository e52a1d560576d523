import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from '../../../src/store/migrations/sqlite-migrations';
import { SqliteStore } from '../../../src/store/sqlite-store';
import { draft, stored } from './store-contract';

/** Findings in the database file itself, WAL left out: what checkpoints have copied back. */
function findingsInFile(path: string, copy: string): number {
  copyFileSync(path, copy);
  const db = new Database(copy, { readonly: true });
  try {
    // Before the first checkpoint even the tables are only in the WAL.
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'findings'").get();
    return table ? (db.prepare('SELECT COUNT(*) AS n FROM findings').get() as { n: number }).n : 0;
  } finally {
    db.close();
  }
}

/** A database file at schema `version`, as an older Cordon left it. */
function databaseAt(path: string, version: number): Database.Database {
  const db = new Database(path);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  SQLITE_MIGRATIONS.slice(0, version).forEach((sql, i) => {
    db.exec(sql);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(i + 1, '2026-11-22T00:00:00.000Z');
  });
  return db;
}

describe('SqliteStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-store-'));

  it('migrates once and keeps data across reopen', async () => {
    const path = join(dir, 'a.db');
    const s1 = SqliteStore.open(path);
    expect(s1.schemaVersion()).toBe(SQLITE_MIGRATIONS.length);
    await s1.claimCase(draft('IR-20261122-AAAA'), ['k1'], '2026-11-21T00:00:00.000Z');
    await s1.setCheckpoint('poller:us-east-1:d', '{"updatedAtMs":5}');
    await s1.close();
    const s2 = SqliteStore.open(path);
    expect(s2.schemaVersion()).toBe(SQLITE_MIGRATIONS.length);
    expect((await s2.getCase('IR-20261122-AAAA'))?.title).toBe('case IR-20261122-AAAA');
    expect(await s2.getCheckpoint('poller:us-east-1:d')).toBe('{"updatedAtMs":5}');
    await s2.close();
  });

  it('marks the attack sequences stored before the attack_sequence column existed', async () => {
    const path = join(dir, 'v5.db');
    const old = databaseAt(path, 5);
    const row = (id: string, isAttackSequence: boolean) =>
      old
        .prepare('INSERT INTO findings (id, case_id, disposition, needs_publish, digest_pending, first_seen_at, version, doc) VALUES (?, NULL, ?, 0, 1, ?, 1, ?)')
        .run(id, 'digest', '2026-11-22T00:00:00.000Z', JSON.stringify({ id, disposition: 'digest', version: 1, finding: { id, isAttackSequence } }));
    row('seq', true);
    row('plain', false);
    old.close();
    const s = SqliteStore.open(path);
    expect(s.schemaVersion()).toBe(SQLITE_MIGRATIONS.length);
    expect((await s.listFindings({ attackSequence: true })).map((f) => f.id)).toEqual(['seq']);
    expect((await s.listFindings({ disposition: 'digest' })).map((f) => f.id)).toEqual(['plain', 'seq']);
    await s.close();
  });

  it('indexes the pending principal checks stored before the check_asked_at column existed', async () => {
    const path = join(dir, 'v6.db');
    const old = databaseAt(path, 6);
    const row = (id: string, disposition: string, principalCheck: Record<string, unknown> | undefined) =>
      old
        .prepare('INSERT INTO findings (id, case_id, disposition, needs_publish, digest_pending, first_seen_at, version, doc) VALUES (?, NULL, ?, 0, 0, ?, 1, ?)')
        .run(id, disposition, '2026-11-22T00:00:00.000Z', JSON.stringify({ id, disposition, version: 1, finding: { id }, ...(principalCheck ? { principalCheck } : {}) }));
    row('never-asked', 'cased', { status: 'pending' });
    row('asked', 'cased', { status: 'pending', requestedAt: '2026-11-22T01:00:00.000Z' });
    row('reasked', 'cased', { status: 'pending', requestedAt: '2026-11-22T00:00:00.000Z', reaskedAt: '2026-11-22T02:00:00.000Z' });
    row('answered', 'cased', { status: 'verified' });
    row('digest', 'digest', { status: 'pending' });
    row('none', 'cased', undefined);
    old.close();
    const s = SqliteStore.open(path);
    expect((await s.pendingPrincipalChecks('2026-11-22T01:30:00.000Z', 10)).map((f) => f.id)).toEqual(['never-asked', 'asked']);
    expect((await s.pendingPrincipalChecks('2026-11-22T03:00:00.000Z', 10)).map((f) => f.id)).toEqual(['never-asked', 'asked', 'reasked']);
    await s.close();
  });

  it('keeps every case key when case_keys becomes a WITHOUT ROWID table', async () => {
    const path = join(dir, 'v7.db');
    const old = databaseAt(path, 7);
    old.prepare('INSERT INTO cases (id, status, channel_id, last_activity_at, needs_publish, version, doc) VALUES (?, ?, NULL, ?, 0, 1, ?)').run('IR-20261122-AAAA', 'open', '2026-11-22T00:00:00.000Z', '{}');
    for (const key of ['instance:1:i-1', 'finding:f1']) old.prepare('INSERT INTO case_keys (key, case_id) VALUES (?, ?)').run(key, 'IR-20261122-AAAA');
    old.close();
    const s = SqliteStore.open(path);
    expect(s.schemaVersion()).toBe(SQLITE_MIGRATIONS.length);
    await s.close();
    const after = new Database(path, { readonly: true });
    expect(after.prepare('SELECT key, case_id FROM case_keys ORDER BY key').all()).toEqual([
      { key: 'finding:f1', case_id: 'IR-20261122-AAAA' },
      { key: 'instance:1:i-1', case_id: 'IR-20261122-AAAA' },
    ]);
    expect((after.prepare("SELECT sql FROM sqlite_master WHERE name = 'case_keys'").get() as { sql: string }).sql).toMatch(/WITHOUT ROWID$/);
    after.close();
  });

  it('checkpoints on a worker thread, never in a commit on the event loop, and leaves no WAL once closed', async () => {
    const path = join(dir, 'wal.db');
    const s = SqliteStore.open(path);
    await s.placeFindings(Array.from({ length: 20 }, (_, i) => ({ finding: stored(`w${i}`, { disposition: 'digest' }), events: [] })));
    // The connection the store commits on never checkpoints by itself once ingestion has started.
    expect((s as unknown as { db: Database.Database }).db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    let copied = 0;
    for (let i = 0; i < 100 && copied < 20; i++) {
      await new Promise((r) => setTimeout(r, 20));
      copied = findingsInFile(path, join(dir, 'wal-copy.db'));
    }
    expect(copied).toBe(20);
    await s.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    const again = SqliteStore.open(path);
    expect((await again.listFindings({ disposition: 'digest' })).length).toBe(20);
    await again.close();
  });

  it('reports an unopenable path as STORE.UNAVAILABLE', () => {
    expect(() => SqliteStore.open('/nonexistent-dir/x/y.db')).toThrow(expect.objectContaining({ code: 'STORE.UNAVAILABLE' }) as Error);
  });
});
