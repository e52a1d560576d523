import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/store/sqlite-store';
import { runCli, testConfigYaml, testWorkspace } from '../support/cli-harness';

/** Acceptance 3 of issue 17 from a terminal: `cordon audit verify` on an untouched store, then on tampered ones. */
describe('cordon audit verify', () => {
  const CASE = 'IR-20261122-AAAA';
  const prepare = async () => {
    const ws = testWorkspace(testConfigYaml({ triageChannel: 'C0TRIAGE' }));
    const path = ws.env.CORDON_STORE!.slice('sqlite:'.length);
    const store = SqliteStore.open(path);
    for (let i = 1; i <= 4; i++) await store.appendAudit({ at: `2026-11-22T0${i}:00:00.000Z`, actor: `U0${i}`, event: `access.note`, caseId: CASE, allowed: true });
    await store.appendAudit({ at: '2026-11-22T05:00:00.000Z', actor: 'U0X', event: 'access.whoami', allowed: true });
    await store.close();
    return { ws, path };
  };
  /** As someone holding the database file: drop the triggers, then change the rows. */
  const tamper = (path: string, sql: string): void => {
    const db = new Database(path);
    db.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;');
    db.exec(sql);
    db.close();
  };
  const idOf = (seq: number) => `(SELECT id FROM audit WHERE stream = '${CASE}' AND json_extract(doc, '$.seq') = ${seq})`;

  it('passes on an untouched store', async () => {
    const { ws } = await prepare();
    const res = await runCli(['audit', 'verify'], ws.env);
    expect([res.code, res.out.trim()]).toEqual([0, 'audit trail verified: 5 records in 2 streams, every hash chain intact']);
  });

  it.each([
    ['edited', (p: string) => tamper(p, `UPDATE audit SET doc = json_set(doc, '$.allowed', json('false')) WHERE id = ${idOf(3)}`), /stream IR-20261122-AAAA, record 3 \(stored at 3\): its content does not match its hash \(edited\)/],
    ['deleted', (p: string) => tamper(p, `DELETE FROM audit WHERE id = ${idOf(2)}`), /stream IR-20261122-AAAA, record 3 \(stored at 3\): record 2 of the stream is missing \(deleted\)/],
    [
      'swapped',
      (p: string) =>
        tamper(p, `CREATE TEMP TABLE old AS SELECT id, doc FROM audit WHERE id IN (2, 3); UPDATE audit SET doc = (SELECT doc FROM old WHERE old.id = 5 - audit.id) WHERE id IN (2, 3);`),
      /stream IR-20261122-AAAA, record 3 \(stored at 2\): the record is number 3, stored where number 2 belongs \(reordered\)/,
    ],
  ] as const)('fails naming the record on a store where one was %s', async (_what, act, message) => {
    const { ws, path } = await prepare();
    act(path);
    const res = await runCli(['audit', 'verify'], ws.env);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(message);
    expect(res.err).toContain('(AUDIT.BROKEN)');
  });

  it('the database itself refuses to change or delete an audit record', async () => {
    const { path } = await prepare();
    const db = new Database(path);
    expect(() => db.exec("UPDATE audit SET doc = '{}'")).toThrow('the audit trail is append-only');
    expect(() => db.exec('DELETE FROM audit')).toThrow('the audit trail is append-only');
    db.close();
  });
});
