import { InProcessQueue } from '../../../src/jobs/in-process-queue';
import type { Job, JobMeta } from '../../../src/jobs/job-queue';
import { silentLogger } from '../../../src/log';
import { SqliteStore } from '../../../src/store/sqlite-store';

const T0 = Date.parse('2026-11-22T02:00:00.000Z');
const publish: Job = { type: 'publish' };
const report = (caseId: string): Job => ({ type: 'report', caseId, by: 'U0A', channelId: 'C1' });

describe('InProcessQueue with a store', () => {
  let store: SqliteStore;
  let clock: number;
  const now = () => new Date(clock);

  beforeEach(() => {
    store = SqliteStore.open(':memory:');
    clock = T0;
  });

  it('records a job before enqueue resolves, runs it once, and forgets it when it ends', async () => {
    const ran: Job[] = [];
    let seenWhileRunning: number | undefined;
    const q = new InProcessQueue(
      async (job) => {
        seenWhileRunning = (await store.listJobs(10)).length;
        ran.push(job);
      },
      silentLogger,
      { store, now },
    );
    await q.enqueue(report('IR-20261122-AAAA'));
    expect((await store.listJobs(10)).map((j) => j.job)).toEqual([report('IR-20261122-AAAA')]);
    await q.idle();
    expect(ran).toEqual([report('IR-20261122-AAAA')]);
    expect(seenWhileRunning).toBe(1);
    expect(await store.listJobs(10)).toEqual([]);
    // Its lease is given back: anyone may take the name again.
    expect(await store.acquireLease(`job:x`, 'other', new Date(T0 + 1000).toISOString(), now().toISOString())).toBe(true);
  });

  it('runs at most 4 principal checks at once, and a containment job enqueued behind a burst of them starts at once', async () => {
    let active = 0;
    let most = 0;
    const order: string[] = [];
    const gates: (() => void)[] = [];
    const q = new InProcessQueue(
      async (job) => {
        order.push(job.type === 'principal-check' ? job.findingId : job.type);
        if (job.type !== 'principal-check') return;
        active++;
        most = Math.max(most, active);
        await new Promise<void>((r) => gates.push(r));
        active--;
      },
      silentLogger,
      { store, now },
    );
    for (let i = 0; i < 20; i++) await q.enqueue({ type: 'principal-check', findingId: `f${i}` });
    await q.enqueue({ type: 'apply', actionId: 'a1', by: 'U0A', target: 'arn:aws:iam::111122223333:user/x' });
    for (let i = 0; i < 50 && !order.includes('apply'); i++) await new Promise((r) => setTimeout(r, 5));
    // The apply ran while 16 checks still waited for a slot; every check is recorded meanwhile.
    expect(order).toContain('apply');
    expect(order.filter((o) => o.startsWith('f'))).toHaveLength(4);
    expect((await store.listJobs(100)).filter((j) => j.job.type === 'principal-check')).toHaveLength(20);
    while (order.filter((o) => o.startsWith('f')).length < 20 || gates.length) {
      gates.splice(0).forEach((open) => open());
      await new Promise((r) => setTimeout(r, 5));
    }
    await q.idle();
    expect(most).toBe(4);
    expect(order.filter((o) => o.startsWith('f')).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `f${i}`).sort());
    expect(await store.listJobs(100)).toEqual([]);
  });

  it('a job that fails is logged and not run again', async () => {
    let runs = 0;
    const q = new InProcessQueue(
      () => {
        runs++;
        return Promise.reject(new Error('boom'));
      },
      silentLogger,
      { store, now },
    );
    await q.enqueue(publish);
    await q.idle();
    expect(await q.recover()).toBe(0);
    await q.idle();
    expect(runs).toBe(1);
    expect(await store.listJobs(10)).toEqual([]);
  });

  it('when the store cannot record the job, enqueue fails and nothing runs', async () => {
    let runs = 0;
    const failing = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'putJob') return () => Promise.reject(new Error('SQLITE_FULL: database or disk is full'));
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const q = new InProcessQueue(
      () => {
        runs++;
        return Promise.resolve();
      },
      silentLogger,
      { store: failing, now },
    );
    await expect(q.enqueue(publish)).rejects.toThrow('SQLITE_FULL');
    await q.idle();
    expect(runs).toBe(0);
  });

  it("runs a dead process's jobs once its lease runs out, exactly once across two live processes, flagged as recovered", async () => {
    // What a process that died right after accepting two jobs leaves behind.
    await store.putJob({ id: 'j1', enqueuedAt: new Date(T0).toISOString(), job: report('IR-20261122-AAAA') });
    await store.putJob({ id: 'j2', enqueuedAt: new Date(T0 + 1).toISOString(), job: report('IR-20261122-BBBB') });
    await store.acquireLease('job:j1', 'proc-dead', new Date(T0 + 30_000).toISOString(), new Date(T0).toISOString());
    await store.acquireLease('job:j2', 'proc-dead', new Date(T0 + 30_000).toISOString(), new Date(T0).toISOString());

    const ran: { who: string; job: Job; meta?: JobMeta }[] = [];
    const make = (who: string) =>
      new InProcessQueue(
        async (job, meta) => {
          await new Promise((r) => setTimeout(r, 20));
          ran.push({ who, job, ...(meta ? { meta } : {}) });
        },
        silentLogger,
        { store, now, leaseMs: 30_000 },
      );
    const a = make('a');
    const b = make('b');

    clock = T0 + 10_000;
    expect(await a.recover()).toBe(0);
    expect(ran).toEqual([]);

    clock = T0 + 30_000;
    const started = await Promise.all([a.recover(), b.recover(), a.recover()]);
    await Promise.all([a.idle(), b.idle()]);
    expect(started.reduce((x, y) => x + y, 0)).toBe(2);
    expect(ran.map((r) => r.job).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))).toEqual([report('IR-20261122-AAAA'), report('IR-20261122-BBBB')]);
    expect(ran.every((r) => r.meta?.recovered === true)).toBe(true);
    expect(await store.listJobs(10)).toEqual([]);
    expect(await a.recover()).toBe(0);
  });

  it('leaves alone a job a live process is running', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const busy = new InProcessQueue(() => gate, silentLogger, { store, now, leaseMs: 30_000 });
    let other = 0;
    const idleOne = new InProcessQueue(
      () => {
        other++;
        return Promise.resolve();
      },
      silentLogger,
      { store, now, leaseMs: 30_000 },
    );
    await busy.enqueue(publish);
    await new Promise((r) => setTimeout(r, 20));
    expect(await idleOne.recover()).toBe(0);
    release();
    await busy.idle();
    expect(other).toBe(0);
    expect(await store.listJobs(10)).toEqual([]);
  });
});
