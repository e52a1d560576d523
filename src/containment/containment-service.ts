import { GetAccessKeyInfoCommand } from '@aws-sdk/client-sts';
import type { AccountClients, ClientFactory, CrossAccountClients } from '../aws/aws-clients';
import { newActionId, REVERTIBLE, stagesOf, type Action, type Json, type PlanStep, type StepRecord } from '../domain/actions/action';
import { parseTarget, type Target } from '../domain/actions/target';
import { CordonError, ErrorCode, errorMessage } from '../errors';
import type { Logger } from '../log';
import { updateWithRetry } from '../store/compare-and-set';
import type { Store } from '../store/store';
import type { ContainmentSettings, PlanContext, Playbook, StepContext } from './playbook';
import { ActionLedger } from './action-ledger';
import { PLAYBOOKS } from './playbooks';

/** Told about every step as it happens (Slack threads a line per step; the CLI prints one). */
export interface ActionObserver {
  onStep?(action: Action, step: PlanStep, record: StepRecord): Promise<void> | void;
  onFinish?(action: Action): Promise<void> | void;
}

/** A containment request, from Slack or the terminal. */
export interface ContainRequest {
  /** What the person typed: an ARN or an access key id. */
  target: string;
  requestedBy: string;
  caseId?: string;
  reason?: string;
  dryRun: boolean;
  /** Principal the case's findings name for a temporary key. */
  knownPrincipal?: string;
  /** Idempotency key of the request (see {@link Action.requestId}). */
  requestId?: string;
}

export interface ContainmentOptions {
  settings: ContainmentSettings;
  heartbeatMs?: number;
  now?: () => Date;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A session in the target account for this action. */
type ResolvedTarget = Target & { accountId: string };

/**
 * Plan → apply → revert, per docs/architecture.md §7. Every transition is a compare-and-set in the
 * store (a double-click applies once); each step's record is written before and after
 * it runs, with a heartbeat, so a crash leaves a revertible, `interrupted` action.
 */
export class ContainmentService {
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly shared = new Map<string, Promise<unknown>>();
  private readonly ledger: ActionLedger;

  constructor(
    private readonly store: Store,
    private readonly accounts: CrossAccountClients,
    private readonly factory: ClientFactory,
    private readonly log: Logger,
    private readonly opts: ContainmentOptions,
    private readonly playbooks: Record<Target['kind'], Playbook> = PLAYBOOKS,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.random = opts.random ?? Math.random;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.ledger = new ActionLedger(store, accounts.allowedAccounts, this.now);
  }

  /** Parses and resolves the target (account of a bare key id included) and checks the allowlist. */
  async resolve(raw: string): Promise<ResolvedTarget> {
    const target = parseTarget(raw);
    if (target.accountId) {
      this.accounts.assertAllowed(target.accountId);
      return target as ResolvedTarget;
    }
    let account: string | undefined;
    try {
      account = (await this.factory.sts().send(new GetAccessKeyInfoCommand({ AccessKeyId: target.id }))).Account;
    } catch (err) {
      throw new CordonError(ErrorCode.AWS_FAILED, `cannot find the account of access key ${target.id}: ${errorMessage(err)}`);
    }
    if (!account) throw new CordonError(ErrorCode.AWS_FAILED, `AWS did not say which account owns access key ${target.id}`);
    this.accounts.assertAllowed(account);
    return { ...target, accountId: account };
  }

  /** Clients in a member account as one session (suppression filters use them too). */
  clientsFor(accountId: string, who: { actionId: string; requestedBy: string }): Promise<AccountClients> {
    return this.accounts.forAccount(accountId, who);
  }


  /**
   * Reads the resource and records the plan. The prior state is captured here, once:
   * apply and revert never read it again.
   */
  async plan(req: ContainRequest, extra: Partial<Pick<Action, 'status' | 'approvalRule' | 'expiresAt'>> = {}): Promise<Action> {
    const target = await this.resolve(req.target);
    const now = this.now();
    const id = newActionId(now, this.random);
    const clients = await this.accounts.forAccount(target.accountId, { actionId: id, requestedBy: req.requestedBy });
    const ctx: PlanContext = {
      actionId: id,
      requestedBy: req.requestedBy,
      target,
      clients,
      settings: this.opts.settings,
      now,
      ...(req.caseId ? { caseId: req.caseId } : {}),
      ...(req.knownPrincipal ? { knownPrincipal: req.knownPrincipal } : {}),
    };
    const playbook = this.playbooks[target.kind];
    const prepared = await playbook.prepare(ctx);
    const notes = [...prepared.notes];
    if (req.dryRun && playbook.dryRunCheck) notes.push(...(await playbook.dryRunCheck(ctx, prepared)));
    const action: Action = {
      id,
      target,
      kind: target.kind,
      requestedBy: req.requestedBy,
      dryRun: req.dryRun,
      status: req.dryRun ? 'dry_run' : 'planned',
      prior: prepared.prior,
      plan: prepared.plan,
      notes,
      steps: prepared.plan.map((s) => ({ stepId: s.id, status: 'pending' })),
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      version: 1,
      ...(req.caseId ? { caseId: req.caseId } : {}),
      ...(req.reason ? { reason: req.reason } : {}),
      ...(req.requestId ? { requestId: req.requestId } : {}),
      ...(req.dryRun ? {} : extra),
    };
    if (!(await this.store.insertAction(action))) throw new CordonError(ErrorCode.STORE_CONFLICT, `action id ${id} is taken; try again`);
    await this.audit(action, req.requestedBy, req.dryRun ? 'action.dry_run' : 'action.planned', { target: target.ref, steps: action.plan.length });
    return action;
  }

  private async audit(action: Action, actor: string, event: string, detail: Record<string, unknown> = {}): Promise<void> {
    await this.store.appendAudit({
      at: this.now().toISOString(),
      actor,
      event,
      actionId: action.id,
      ...(action.caseId ? { caseId: action.caseId } : {}),
      detail,
    });
  }

  /** Compare-and-set a transition (see {@link ActionLedger.transition}). */
  transition(id: string, from: Action['status'][], patch: Partial<Action>): Promise<Action | undefined> {
    return this.ledger.transition(id, from, patch);
  }

  /**
   * Runs the plan. Only one caller wins the move to `running`; the others get
   * undefined. Steps already applied (a re-run after a crash) are not run again.
   */
  async apply(id: string, by: string, observer: ActionObserver = {}): Promise<Action | undefined> {
    const started = await this.transition(id, ['planned', 'approved', 'interrupted'], { status: 'running', heartbeatAt: this.now().toISOString() });
    if (!started) return undefined;
    await this.audit(started, by, 'action.apply_started');
    const log = this.actionLog(started, by);
    log.info({ kind: started.kind, target: started.target.ref, steps: started.plan.length }, 'action started');
    const run = new StepBook(this.store, started, this.now);
    const heartbeat = setInterval(() => void run.heartbeat().catch(() => undefined), this.opts.heartbeatMs ?? 5000);
    try {
      const clients = await this.accounts.forAccount(started.target.accountId as string, { actionId: started.id, requestedBy: started.requestedBy });
      const ctx = this.stepContext(started, clients, run);
      const playbook = this.playbooks[started.kind];
      let failed = false;
      for (const stage of stagesOf(started.plan)) {
        const todo = stage.filter((s) => run.record(s.id).status !== 'applied');
        await Promise.all(
          todo.map(async (step) => {
            await run.update(step.id, { status: 'running', startedAt: this.now().toISOString() });
            try {
              const result = await playbook.apply(step, ctx);
              const rec = await run.update(step.id, { status: 'applied', finishedAt: this.now().toISOString(), ...(result ? { result } : {}) });
              await this.tell(observer, run.action, step, rec);
            } catch (err) {
              failed = true;
              const rec = await run.update(step.id, { status: 'failed', finishedAt: this.now().toISOString(), error: describeAwsError(err) });
              log.warn({ step: step.id, err: errorMessage(err) }, 'containment step failed');
              await this.tell(observer, run.action, step, rec);
            }
          }),
        );
        if (failed) break;
      }
      const anyApplied = run.action.steps.some((s) => s.status === 'applied');
      const status = !failed ? 'applied' : anyApplied ? 'partially_applied' : 'failed';
      const done = await run.finish(status, status === 'applied' ? { appliedAt: this.now().toISOString() } : {});
      log.info({ status }, 'action finished');
      await this.audit(done, by, `action.${status}`);
      await observer.onFinish?.(done);
      return done;
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Restores the recorded prior state; evidence (snapshots, release tags, session revocation) stays. */
  async revert(id: string, by: string, observer: ActionObserver = {}): Promise<Action | undefined> {
    const started = await this.transition(id, REVERTIBLE, { status: 'reverting', heartbeatAt: this.now().toISOString(), revertedBy: by });
    if (!started) return undefined;
    await this.audit(started, by, 'action.revert_started');
    const run = new StepBook(this.store, started, this.now);
    const clients = await this.accounts.forAccount(started.target.accountId as string, { actionId: started.id, requestedBy: by });
    const ctx = this.stepContext(started, clients, run);
    const playbook = this.playbooks[started.kind];
    let failed = false;
    for (const stage of stagesOf(started.plan).reverse()) {
      await Promise.all(
        stage.map(async (step) => {
          const rec = run.record(step.id);
          if (!['applied', 'unknown', 'revert_failed', 'reverting'].includes(rec.status)) return;
          if (!step.revertible) {
            await run.update(step.id, { status: 'kept' });
            return;
          }
          await run.update(step.id, { status: 'reverting', revertStartedAt: this.now().toISOString() });
          try {
            await playbook.revert(step, rec, ctx);
            const done = await run.update(step.id, { status: 'reverted', revertFinishedAt: this.now().toISOString() });
            await this.tell(observer, run.action, step, done);
          } catch (err) {
            failed = true;
            const done = await run.update(step.id, { status: 'revert_failed', revertFinishedAt: this.now().toISOString(), revertError: describeAwsError(err) });
            await this.tell(observer, run.action, step, done);
          }
        }),
      );
    }
    const done = await run.finish(failed ? 'revert_failed' : 'reverted', { revertedAt: this.now().toISOString() });
    this.actionLog(done, by).info({ status: done.status }, 'action reverted');
    await this.audit(done, by, `action.${done.status}`);
    await observer.onFinish?.(done);
    return done;
  }

  /** Marks running actions whose heartbeat stopped as `interrupted`; steps caught mid-run become `unknown`. */
  async sweepInterrupted(staleMs: number): Promise<string[]> {
    const cutoff = this.now().getTime() - staleMs;
    const swept: string[] = [];
    for (const a of await this.store.listActions({ status: ['running', 'reverting'] })) {
      if (Date.parse(a.heartbeatAt ?? a.updatedAt) > cutoff) continue;
      const steps = a.steps.map((s) => (s.status === 'running' || s.status === 'reverting' ? { ...s, status: 'unknown' as const, error: 'interrupted: outcome unknown' } : s));
      const next = await this.transition(a.id, [a.status], { status: 'interrupted', steps });
      if (next) {
        swept.push(a.id);
        await this.audit(next, 'cordon', 'action.interrupted');
      }
    }
    return swept;
  }

  /** Every log line about an action carries its case, its id and the Slack user (docs/architecture.md §8). */
  private actionLog(a: Action, by: string): Logger {
    return this.log.child({ caseId: a.caseId, actionId: a.id, userId: by });
  }

  private stepContext(action: Action, clients: AccountClients, run: StepBook): StepContext {
    return {
      actionId: action.id,
      target: action.target as ResolvedTarget,
      clients,
      prior: action.prior ?? {},
      results: run.results,
      sleep: this.sleep,
      now: this.now,
      once: <T>(key: string, fn: () => Promise<T>): Promise<T> => {
        let p = this.shared.get(key) as Promise<T> | undefined;
        if (!p) {
          p = fn();
          this.shared.set(key, p);
          // A failure must not poison later actions: forget it so the next one retries.
          p.catch(() => this.shared.delete(key));
        }
        return p;
      },
    };
  }

  private async tell(observer: ActionObserver, action: Action, step: PlanStep, record: StepRecord): Promise<void> {
    try {
      await observer.onStep?.(action, step, record);
    } catch (err) {
      // Slack being down must not stop containment: the record is already stored.
      this.log.error({ actionId: action.id, step: step.id, err: errorMessage(err) }, 'step observer failed');
    }
  }
}

/** AWS error name and message, without a stack, for the step record. */
export function describeAwsError(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e.name ?? 'Error'}: ${e.message ?? String(err)}`.slice(0, 500);
}

/**
 * The action's step records while it runs: every change written to the store at once
 * (serialised, since parallel steps finish together), results kept for later steps.
 */
class StepBook {
  action: Action;
  readonly results = new Map<string, { [key: string]: Json } | undefined>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Store,
    action: Action,
    private readonly now: () => Date,
  ) {
    this.action = action;
    for (const s of action.steps) if (s.result) this.results.set(s.stepId, s.result);
  }

  record(stepId: string): StepRecord {
    return this.action.steps.find((s) => s.stepId === stepId) ?? { stepId, status: 'pending' };
  }

  private write(mutate: (a: Action) => Action): Promise<Action> {
    const next = this.queue.then(async () => {
      const id = this.action.id;
      const written = await updateWithRetry(
        {
          what: `action ${id}`,
          initial: this.action,
          read: async () => {
            const fresh = await this.store.getAction(id);
            if (fresh) this.action = fresh;
            return fresh;
          },
          mutate,
          write: (candidate) => this.store.updateAction(candidate),
        },
        // Step records race the heartbeat and approvals of the same action: try a little longer.
        { attempts: 10 },
      );
      // Same code as a lost race: the record to write to is gone.
      if (!written) throw new CordonError(ErrorCode.STORE_CONFLICT, `action ${id} is gone; its step could not be recorded`);
      this.action = written;
      return written;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  async update(stepId: string, patch: Partial<StepRecord>): Promise<StepRecord> {
    const a = await this.write((cur) => ({
      ...cur,
      updatedAt: this.now().toISOString(),
      heartbeatAt: this.now().toISOString(),
      steps: cur.steps.map((s) => (s.stepId === stepId ? { ...s, ...patch } : s)),
    }));
    const rec = a.steps.find((s) => s.stepId === stepId) as StepRecord;
    if (rec.result) this.results.set(stepId, rec.result);
    return rec;
  }

  heartbeat(): Promise<Action> {
    return this.write((cur) => ({ ...cur, heartbeatAt: this.now().toISOString() }));
  }

  finish(status: Action['status'], patch: Pick<Partial<Action>, 'appliedAt' | 'revertedAt'> = {}): Promise<Action> {
    return this.write((cur) => ({ ...cur, ...patch, status, updatedAt: this.now().toISOString() }));
  }
}
