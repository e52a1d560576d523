import { ActionLedger } from '../../../src/containment/action-ledger';
import type { Action, PlanStep } from '../../../src/domain/actions/action';
import type { Job } from '../../../src/jobs/job-queue';
import { ActionService } from '../../../src/services/action-service';
import type { CaseService } from '../../../src/services/case-service';
import { renderActionMessage } from '../../../src/slack/blocks/action-message';
import { SqliteStore } from '../../../src/store/sqlite-store';

const OLD = 'AKIAOLDOLDOLDOLDOLD2';
const FRESH = 'AKIAFRESHFRESHFRESH2';
const keyStep = (keyId: string, duringIncident: boolean): PlanStep => ({
  id: `deactivate-key:${keyId}`,
  stage: 1,
  op: 'iam.key-deactivate',
  description: `Deactivate access key ${keyId}`,
  params: { userName: 'mallory', keyId, createdAt: null, duringIncident },
  revertible: true,
});

function applied(plan: PlanStep[]): Action {
  return {
    id: 'A-20261203010000-k3ys',
    target: { kind: 'iam-user', ref: 'arn:aws:iam::111111111111:user/mallory', partition: 'aws', accountId: '111111111111', id: 'mallory' },
    kind: 'iam-user',
    requestedBy: 'U0A',
    dryRun: false,
    status: 'applied',
    plan,
    notes: [],
    steps: plan.map((s) => ({ stepId: s.id, status: 'applied' })),
    createdAt: '2026-12-03T01:00:00.000Z',
    updatedAt: '2026-12-03T01:00:00.000Z',
    version: 1,
  };
}

describe('Revert and the keys it reactivates (issue 15, point 11)', () => {
  const who = { userId: 'U0BOSS', teamId: 'T1', channelId: '' };

  async function service(a: Action, approvalFor?: ConstructorParameters<typeof ActionService>[0]['approvalFor']) {
    const store = SqliteStore.open(':memory:');
    await store.insertAction(a);
    const jobs: Job[] = [];
    const now = () => new Date('2026-12-03T02:00:00.000Z');
    const svc = new ActionService({
      store,
      ledger: new ActionLedger(store, ['111111111111'], now),
      cases: {} as CaseService,
      queue: { enqueue: (j) => Promise.resolve(void jobs.push(j)) },
      authorizer: { authorize: () => Promise.resolve() },
      reporter: { refresh: () => Promise.resolve() },
      now,
      containment: { enabled: true },
      ...(approvalFor ? { approvalFor } : {}),
    });
    return { svc, jobs, store };
  }

  it('--restore-open is stored with the request the worker reads', async () => {
    const { svc } = await service(applied([keyStep(OLD, false)]));
    expect((await svc.requestRevert(who, 'A-20261203010000-k3ys', [], { restoreOpen: true })).revertRequest).toMatchObject({ by: 'U0BOSS', restoreOpen: true });
  });

  it('under an approval rule, --restore-open holds only when the approver says it too: staying isolated is the safe side', async () => {
    const rule = () => ({ rule: 'production needs two people', ttlMs: 3_600_000 });
    const asker = { ...who, userId: 'U0ASK' };
    for (const [approverSays, holds] of [
      [false, false],
      [true, true],
    ] as const) {
      const { svc, store } = await service(applied([keyStep(OLD, false)]), rule);
      const pending = await svc.requestRevert(asker, 'A-20261203010000-k3ys', [], { restoreOpen: true });
      expect(pending.revertRequest).toMatchObject({ by: 'U0ASK', restoreOpen: true, approvalRule: 'production needs two people' });
      await svc.requestRevert(who, 'A-20261203010000-k3ys', [], { restoreOpen: approverSays });
      const stored = (await store.getAction('A-20261203010000-k3ys'))!.revertRequest!;
      expect(stored.approvedBy).toBe('U0BOSS');
      expect(stored.restoreOpen === true).toBe(holds);
    }
    // The approver alone cannot add it to a request that did not ask for it.
    const { svc, store } = await service(applied([keyStep(OLD, false)]), rule);
    await svc.requestRevert(asker, 'A-20261203010000-k3ys');
    await svc.requestRevert(who, 'A-20261203010000-k3ys', [], { restoreOpen: true });
    expect((await store.getAction('A-20261203010000-k3ys'))!.revertRequest!.restoreOpen).toBeUndefined();
  });

  it('the revert request stored for the worker carries the keys a commander leaves off (the job does not: the store is what was asked)', async () => {
    const { svc, jobs } = await service(applied([keyStep(OLD, false), keyStep(FRESH, true)]));
    const a = await svc.requestRevert(who, 'A-20261203010000-k3ys', [FRESH]);
    expect(a.revertRequest).toMatchObject({ by: 'U0BOSS', keepOff: [FRESH] });
    expect(jobs).toEqual([{ type: 'revert', actionId: 'A-20261203010000-k3ys', by: 'U0BOSS', target: 'arn:aws:iam::111111111111:user/mallory' }]);
  });

  it('a key the action did not deactivate is refused by name, and nothing is queued', async () => {
    const { svc, jobs } = await service(applied([keyStep(OLD, false)]));
    await expect(svc.requestRevert(who, 'A-20261203010000-k3ys', ['AKIANOTTHISONENOTTH2'])).rejects.toMatchObject({
      code: 'INPUT.INVALID',
      message: `action A-20261203010000-k3ys did not deactivate AKIANOTTHISONENOTTH2; it can only leave off ${OLD}`,
    });
    expect(jobs).toEqual([]);
  });

  it('the Revert button asks first, naming the keys and those created during the incident', () => {
    const msg = renderActionMessage(applied([keyStep(OLD, false), keyStep(FRESH, true)]));
    const buttons = msg.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
    const revert = buttons.find((e) => 'text' in e && e.text?.text === 'Revert') as { confirm?: { text: { text: string } } } | undefined;
    expect(revert?.confirm?.text.text).toBe(
      `Revert reactivates access keys ${OLD}, ${FRESH}. Created during the incident: ${FRESH}. To leave some off: /ir revert A-20261203010000-k3ys --keep-off <key-id>`,
    );
    const withoutKeys = renderActionMessage(applied([{ ...keyStep(OLD, false), id: 'deny-all:user/mallory', op: 'iam.user-deny-all', params: {} }]));
    const plain = withoutKeys.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
    expect(plain.find((e) => 'confirm' in e)).toBeUndefined();
  });
});
