import { PRINCIPAL_CHECK_GRACE_MS, type PrincipalCheck } from '../../../src/domain/findings/principal-check';
import { silentLogger } from '../../../src/log';
import { PrincipalChecks } from '../../../src/services/principal-checks';
import { SqliteStore } from '../../../src/store/sqlite-store';
import { draft, stored, T } from '../store/store-contract';

const CHECK: PrincipalCheck = { target: 'arn:aws:iam::111111111111:user/x', kind: 'iam-user', name: 'x', principalId: 'AIDAEXAMPLE', status: 'pending', requestedAt: T(1) };

describe('PrincipalChecks.sweep', () => {
  let store: SqliteStore;
  let clock: number;
  const checks = () => new PrincipalChecks({ store, log: silentLogger, now: () => new Date(clock), reader: () => () => Promise.resolve('AIDAEXAMPLE') });

  beforeEach(async () => {
    store = SqliteStore.open(':memory:');
    await store.claimCase(draft('IR-20261122-SWEP'), [], T(-24));
    clock = Date.parse(T(1)) + PRINCIPAL_CHECK_GRACE_MS;
  });

  afterEach(() => store.close());

  it('a re-ask that cannot be queued is still counted: the sweep asks a bounded number of times whatever fails', async () => {
    await store.insertFinding(stored('f1', { caseId: 'IR-20261122-SWEP', principalCheck: CHECK }));
    const failing = () => Promise.reject(new Error('queue down'));
    expect(await checks().sweep(failing)).toEqual({ asked: 1, gaveUp: 0 });
    expect((await store.getFinding('f1'))!.principalCheck).toMatchObject({ status: 'pending', reasks: 1, reaskedAt: new Date(clock).toISOString() });
    // Within the grace period of that re-ask: nothing.
    expect(await checks().sweep(failing)).toEqual({ asked: 0, gaveUp: 0 });
  });

  it('a check answered between the query and the write is not asked for again, nor given up', async () => {
    await store.insertFinding(stored('f2', { caseId: 'IR-20261122-SWEP', principalCheck: { ...CHECK, reasks: 3, reaskedAt: T(1) } }));
    const asked: string[] = [];
    // The worker answers just as the sweep reads: the verdict lands before the sweep writes.
    const racing = new Proxy(store, {
      get(target, prop) {
        if (prop === 'pendingPrincipalChecks') {
          return async (by: string, limit: number) => {
            const due = await target.pendingPrincipalChecks(by, limit);
            await checks().run('f2');
            return due;
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const sweep = new PrincipalChecks({ store: racing, log: silentLogger, now: () => new Date(clock), reader: () => () => Promise.resolve('AIDAEXAMPLE') });
    expect(await sweep.sweep((id) => Promise.resolve(void asked.push(id)))).toEqual({ asked: 0, gaveUp: 0 });
    expect((await store.getFinding('f2'))!.principalCheck?.status).toBe('verified');
    expect(asked).toEqual([]);
    expect(await store.listTimeline('IR-20261122-SWEP')).toEqual([]);
  });
});
