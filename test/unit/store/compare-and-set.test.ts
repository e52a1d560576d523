import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LOST_RACE, retryOnConflict, updateWithRetry } from '../../../src/store/compare-and-set';

interface Doc {
  id: string;
  n: number;
  version: number;
}

/** A one-record store whose conditional write loses the first `losses` races. */
function record(initial: Doc, losses: number) {
  let stored: Doc | undefined = { ...initial };
  let lost = 0;
  return {
    get stored() {
      return stored;
    },
    remove() {
      stored = undefined;
    },
    read: () => Promise.resolve(stored ? { ...stored } : undefined),
    write: (next: Doc) => {
      if (!stored || stored.version !== next.version) return Promise.resolve(false);
      if (lost < losses) {
        lost++;
        // Someone else wrote in between: the stored version moves on.
        stored = { ...stored, version: stored.version + 1 };
        return Promise.resolve(false);
      }
      stored = { ...next, version: next.version + 1 };
      return Promise.resolve(true);
    },
  };
}

describe('updateWithRetry', () => {
  it('reads again after a lost race and applies the change to the fresh copy', async () => {
    const r = record({ id: 'a', n: 1, version: 1 }, 2);
    const out = await updateWithRetry({ what: 'doc a', read: r.read, mutate: (d) => ({ ...d, n: d.n + 1 }), write: r.write });
    expect(out?.n).toBe(2);
    expect(r.stored).toEqual({ id: 'a', n: 2, version: 4 });
  });

  it('ends in STORE.CONFLICT after the attempts, having written nothing', async () => {
    const r = record({ id: 'a', n: 1, version: 1 }, 99);
    await expect(updateWithRetry({ what: 'doc a', read: r.read, mutate: (d) => ({ ...d, n: 7 }), write: r.write }, { attempts: 3 })).rejects.toMatchObject({
      code: 'STORE.CONFLICT',
      details: { attempts: 3 },
    });
    expect(r.stored?.n).toBe(1);
  });

  it('yields undefined for a record that is gone or a change that no longer applies', async () => {
    const r = record({ id: 'a', n: 1, version: 1 }, 0);
    expect(await updateWithRetry({ what: 'doc a', read: r.read, mutate: () => undefined, write: r.write })).toBeUndefined();
    expect(r.stored?.version).toBe(1);
    r.remove();
    expect(await updateWithRetry({ what: 'doc a', read: r.read, mutate: (d) => d, write: r.write })).toBeUndefined();
  });

  it('uses the copy in hand first and reads only after losing', async () => {
    const r = record({ id: 'a', n: 1, version: 1 }, 0);
    const read = jest.fn(r.read);
    await updateWithRetry({ what: 'doc a', initial: { id: 'a', n: 1, version: 1 }, read, mutate: (d) => ({ ...d, n: 5 }), write: r.write });
    expect(read).not.toHaveBeenCalled();
    expect(r.stored?.n).toBe(5);
  });
});

describe('retryOnConflict', () => {
  it('waits between lost attempts, never after the last', async () => {
    const waits: number[] = [];
    await expect(retryOnConflict('x', () => Promise.resolve(LOST_RACE), { attempts: 3, backoff: (n) => Promise.resolve(void waits.push(n)) })).rejects.toMatchObject({ code: 'STORE.CONFLICT' });
    expect(waits).toEqual([0, 1]);
  });
});

/**
 * Acceptance (issue 14, point 5): the compare-and-set retry is written once. A loop that
 * counts attempts and, in its body, makes a conditional write (or catches a lost one) is a
 * hand-rolled retry; only the helper may hold one.
 */
describe('compare-and-set retries in src', () => {
  const root = join(__dirname, '../../../src');
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
    });
  const LOOP = /\bfor \(let \w+ = \d+;|\bwhile \(true\)|\bfor \(;;\)/;
  const CAS = /\.update(Case|Action|Finding)\(|\.transact\(|tryPlace\(|STORE_CONFLICT|ConditionalCheckFailed|LOST_RACE/;

  it('has one hand-rolled retry loop: the helper', () => {
    const places: string[] = [];
    for (const file of files(root)) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        // The loop's body: up to the next line indented as the loop itself (or 25 lines).
        if (!LOOP.test(line)) return;
        const indent = line.search(/\S/);
        const body: string[] = [];
        for (const next of lines.slice(i + 1, i + 26)) {
          if (next.trim() && next.search(/\S/) <= indent) break;
          body.push(next);
        }
        if (body.some((b) => CAS.test(b))) places.push(`${relative(root, file)}:${i + 1}`);
      });
    }
    expect(places.map((p) => p.replace(/:\d+$/, ''))).toEqual(['store/compare-and-set.ts']);
  });
});
