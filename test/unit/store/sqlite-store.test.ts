import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../../src/store/sqlite-store';
import { draft } from './store-contract';

describe('SqliteStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-store-'));

  it('migrates once and keeps data across reopen', async () => {
    const path = join(dir, 'a.db');
    const s1 = SqliteStore.open(path);
    expect(s1.schemaVersion()).toBe(5);
    await s1.claimCase(draft('IR-20261122-AAAA'), ['k1'], '2026-11-21T00:00:00.000Z');
    await s1.setCheckpoint('poller:us-east-1:d', '{"updatedAtMs":5}');
    await s1.close();
    const s2 = SqliteStore.open(path);
    expect(s2.schemaVersion()).toBe(5);
    expect((await s2.getCase('IR-20261122-AAAA'))?.title).toBe('case IR-20261122-AAAA');
    expect(await s2.getCheckpoint('poller:us-east-1:d')).toBe('{"updatedAtMs":5}');
    await s2.close();
  });

  it('reports an unopenable path as STORE.UNAVAILABLE', () => {
    expect(() => SqliteStore.open('/nonexistent-dir/x/y.db')).toThrow(expect.objectContaining({ code: 'STORE.UNAVAILABLE' }) as Error);
  });
});
