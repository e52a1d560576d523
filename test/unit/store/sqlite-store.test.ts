import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Case } from '../../../src/domain/cases/case';
import { SqliteStore } from '../../../src/store/sqlite-store';

function draft(id: string, at = '2026-11-22T02:00:00.000Z'): Case {
  return {
    id,
    title: 't',
    status: 'open',
    severity: 5,
    band: 'medium',
    accounts: ['111111111111'],
    regions: ['us-east-1'],
    primaryType: 'Recon:EC2/X',
    createdAt: at,
    updatedAt: at,
    lastActivityAt: at,
    mention: false,
    escalate: false,
    ownerEmails: [],
    cardPinned: false,
    cardDirty: false,
    version: 1,
  };
}

describe('SqliteStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-store-'));

  it('migrates once and keeps data across reopen', async () => {
    const path = join(dir, 'a.db');
    const s1 = SqliteStore.open(path);
    expect(s1.schemaVersion()).toBe(3);
    await s1.claimCase(draft('IR-20261122-AAAA'), ['k1'], '2026-11-21T00:00:00.000Z');
    await s1.setCheckpoint('poller:us-east-1:d', '{"updatedAtMs":5}');
    await s1.close();
    const s2 = SqliteStore.open(path);
    expect(s2.schemaVersion()).toBe(3);
    expect((await s2.getCase('IR-20261122-AAAA'))?.title).toBe('t');
    expect(await s2.getCheckpoint('poller:us-east-1:d')).toBe('{"updatedAtMs":5}');
    await s2.close();
  });

  it('joins an open case that shares a key within the window, else opens one', async () => {
    const s = SqliteStore.open(':memory:');
    const first = await s.claimCase(draft('IR-20261122-AAAA'), ['key:a', 'user:x'], '2026-11-21T00:00:00.000Z');
    expect(first.created).toBe(true);
    const joined = await s.claimCase(draft('IR-20261122-BBBB'), ['user:x', 'bucket:y'], '2026-11-21T00:00:00.000Z');
    expect(joined).toMatchObject({ created: false, case: { id: 'IR-20261122-AAAA' } });
    // bucket:y now belongs to the first case too
    expect((await s.claimCase(draft('IR-20261122-CCCC'), ['bucket:y'], '2026-11-21T00:00:00.000Z')).case.id).toBe('IR-20261122-AAAA');
    // outside the window: a new case
    expect((await s.claimCase(draft('IR-20261122-DDDD'), ['key:a'], '2026-11-23T00:00:00.000Z')).created).toBe(true);
    // a closed case is never joined
    const d = (await s.getCase('IR-20261122-DDDD'))!;
    expect(await s.updateCase({ ...d, status: 'closed' })).toBe(true);
    expect((await s.claimCase(draft('IR-20261122-EEEE', '2026-11-24T00:00:00.000Z'), ['key:a'], '2026-11-23T00:00:00.000Z')).created).toBe(true);
  });

  it('refuses a stale write (compare-and-set)', async () => {
    const s = SqliteStore.open(':memory:');
    await s.claimCase(draft('IR-20261122-AAAA'), [], '2026-11-21T00:00:00.000Z');
    const a = (await s.getCase('IR-20261122-AAAA'))!;
    const b = (await s.getCase('IR-20261122-AAAA'))!;
    expect(await s.updateCase({ ...a, title: 'first' })).toBe(true);
    expect(await s.updateCase({ ...b, title: 'second' })).toBe(false);
    expect((await s.getCase('IR-20261122-AAAA'))?.title).toBe('first');
  });

  it('keeps rejected inputs with their reason', async () => {
    const s = SqliteStore.open(':memory:');
    await s.addRejected({ at: 'now', source: 'ingest:x', reason: 'id: empty', raw: '{}' });
    expect(await s.listRejected(10)).toEqual([{ id: 1, at: 'now', source: 'ingest:x', reason: 'id: empty', raw: '{}' }]);
  });

  it('reports an unopenable path as STORE.UNAVAILABLE', () => {
    expect(() => SqliteStore.open('/nonexistent-dir/x/y.db')).toThrow(expect.objectContaining({ code: 'STORE.UNAVAILABLE' }) as Error);
  });
});
