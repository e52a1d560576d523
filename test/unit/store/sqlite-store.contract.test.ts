import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../../src/store/sqlite-store';
import { describeStoreContract, type AuditTamperer } from './store-contract';

/** Someone with the database file: the triggers first, then (having dropped them) the rows. */
function tamperer(path: string): AuditTamperer {
  const raw = (): Database.Database => new Database(path);
  const at = (db: Database.Database, stream: string, seq: number): { id: number; doc: string } =>
    db.prepare("SELECT id, doc FROM audit WHERE stream = ? AND json_extract(doc, '$.seq') = ?").get(stream, seq) as { id: number; doc: string };
  const unguarded = (fn: (db: Database.Database) => void): Promise<void> => {
    const db = raw();
    db.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;');
    fn(db);
    db.close();
    return Promise.resolve();
  };
  return {
    edit: (stream, seq) => unguarded((db) => db.prepare("UPDATE audit SET doc = json_set(doc, '$.actor', 'U0EVIL') WHERE id = ?").run(at(db, stream, seq).id)),
    remove: (stream, seq) => unguarded((db) => db.prepare('DELETE FROM audit WHERE id = ?').run(at(db, stream, seq).id)),
    swap: (stream, a, b) =>
      unguarded((db) => {
        const [ra, rb] = [at(db, stream, a), at(db, stream, b)];
        db.prepare('UPDATE audit SET doc = ? WHERE id = ?').run(rb.doc, ra.id);
        db.prepare('UPDATE audit SET doc = ? WHERE id = ?').run(ra.doc, rb.id);
      }),
    refusesChange: () => {
      const db = raw();
      try {
        expect(() => db.prepare("UPDATE audit SET doc = '{}'").run()).toThrow('the audit trail is append-only');
        expect(() => db.prepare('DELETE FROM audit').run()).toThrow('the audit trail is append-only');
      } finally {
        db.close();
      }
      return Promise.resolve();
    },
  };
}

describeStoreContract('SQLite', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'cordon-contract-')), 'cordon.db');
  return Promise.resolve({ store: SqliteStore.open(path), cleanup: () => Promise.resolve(), tamper: tamperer(path) });
});
