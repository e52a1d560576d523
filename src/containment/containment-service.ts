import { type AccountClients, type AwsService, type ClientFactory, type CrossAccountClients } from '../aws/aws-clients';
import { judgePrincipal, principalCheckFor, principalCheckWords, uniqueIdOf } from '../domain/findings/principal-check';
import { LIVE_ON_TARGET, newActionId, targetBusy, REVERTIBLE, stagesOf, type Action, type Json, type PlanStep, type StepRecord } from '../domain/actions/action';
import { parseTarget, type Partition, type Target } from '../domain/actions/target';
import { CordonError, ErrorCode, errorMessage, failureWords } from '../errors';
import type { Logger } from '../log';
import { updateWithRetry } from '../store/compare-and-set';
import type { Store } from '../store/store';
import { StepFailure, type ContainmentSettings, type PlanContext, type Playbook, type StepContext } from './playbook';
import { ActionLedger } from './action-ledger';
import { loadPlaybook } from './playbooks';

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
  /**
   * The finding whose Contain button asked: when the target is the IAM user or role the
   * finding names, it is checked against the finding's principalId again before planning.
   */
  findingId?: string;
}

/** What a revert request carries besides who asked. */
export interface RevertOptions {
  /** Access keys a commander chose to leave inactive (point 11): their reactivation step is kept, not reverted. */
  keepOff?: string[];
  /** Interfaces go back to their own groups even where those open remote administration to the internet. */
  restoreOpen?: boolean;
}

/**
 * Changes two actions on different targets can share (point 15): the deny-all on a user or
 * a role (two functions with one execution role), a key's deactivation (a user and one of
 * its keys). Their step ids name the principal or the key, so equal ids are the same change.
 * Other step ids (`network`, `tag`…) repeat across actions on different resources.
 */
const SHAREABLE_OPS = new Set(['iam.user-deny-all', 'iam.role-deny-all', 'iam.key-deactivate']);

/** Step records that mean the change may be in place and is this action's to undo. */
const HOLDING: StepRecord['status'][] = ['applied', 'unknown', 'running', 'reverting', 'revert_failed'];

/** Refusals at plan time, audited as such (acceptance 5). */
const REFUSALS = new Set<string>([ErrorCode.TARGET_AWS_MANAGED, ErrorCode.TARGET_PROTECTED, ErrorCode.TARGET_BUSY, ErrorCode.PRINCIPAL_MISMATCH, ErrorCode.ARN_INVALID, ErrorCode.ACCOUNT_NOT_ALLOWED]);

export interface ContainmentOptions {
  settings: ContainmentSettings;
  /** The configured partition: targets elsewhere are refused, a bare key id is taken to be in it. */
  partition?: Partition;
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
    private readonly playbookOf: (kind: Target['kind']) => Promise<Playbook> = loadPlaybook,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.random = opts.random ?? Math.random;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.ledger = new ActionLedger(store, accounts.allowedAccounts, this.now);
  }

  /** Parses and resolves the target (account of a bare key id included) and checks the allowlist. */
  async resolve(raw: string): Promise<ResolvedTarget> {
    const target = parseTarget(raw, this.opts.partition ? { partition: this.opts.partition } : {});
    if (target.accountId) {
      this.accounts.assertAllowed(target.accountId);
      return target as ResolvedTarget;
    }
    let account: string | undefined;
    await this.factory.load?.(['sts']);
    const { GetAccessKeyInfoCommand } = await import('@aws-sdk/client-sts');
    try {
      account = (await this.factory.sts().send(new GetAccessKeyInfoCommand({ AccessKeyId: target.id }))).Account;
    } catch (err) {
      this.log.warn({ err: errorMessage(err), keyId: target.id }, 'GetAccessKeyInfo failed');
      throw new CordonError(ErrorCode.AWS_FAILED, `cannot find the account of access key ${target.id}: ${failureWords(err)}`);
    }
    if (!account) throw new CordonError(ErrorCode.AWS_FAILED, `AWS did not say which account owns access key ${target.id}`);
    this.accounts.assertAllowed(account);
    return { ...target, accountId: account };
  }

  /**
   * The UserId / RoleId IAM holds under an IAM user or role ARN now; undefined when no user or
   * role has that name (issue 15, point 14: a finding's principal, checked by unique id).
   */
  async principalIdOf(target: string, who: { actionId: string; requestedBy: string }): Promise<string | undefined> {
    const t = await this.resolve(target);
    if (t.kind !== 'iam-user' && t.kind !== 'iam-role') throw new CordonError(ErrorCode.INPUT_INVALID, `${target} is not an IAM user or role`);
    const iam = (await this.accounts.forAccount(t.accountId, who, ['iam'])).iam();
    // Loaded on first use, as the playbooks are, so the worker's cold start does not parse IAM's commands.
    const { GetRoleCommand, GetUserCommand } = await import('@aws-sdk/client-iam');
    try {
      if (t.kind === 'iam-user') return (await iam.send(new GetUserCommand({ UserName: t.id }))).User?.UserId;
      return (await iam.send(new GetRoleCommand({ RoleName: t.id }))).Role?.RoleId;
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchEntity') return undefined;
      throw new CordonError(ErrorCode.AWS_FAILED, `cannot read ${t.kind === 'iam-user' ? 'user' : 'role'} ${t.id}: ${failureWords(err)}`);
    }
  }

  /**
   * Refuses (PRINCIPAL_MISMATCH) a plan asked from a finding's card when the IAM user or role
   * the finding names is not the principal it saw: checked here again, in the worker, whatever
   * the card showed (issue 15, point 14). A target the finding does not name as its principal
   * (an instance, a function) is not this check's business.
   */
  private async confirmFindingPrincipal(findingId: string, target: ResolvedTarget, who: { actionId: string; requestedBy: string }): Promise<void> {
    const sf = await this.store.getFinding(findingId);
    const refuse = (why: string, details: Record<string, unknown> = {}) =>
      new CordonError(ErrorCode.PRINCIPAL_MISMATCH, `${why} (rule: a finding's IAM principal is contained only if its unique id matches the finding's principalId)`, { rule: 'finding-principal-check', findingId, ...details });
    if (!sf) throw refuse(`no finding ${findingId.slice(0, 80)}`);
    const check = principalCheckFor(sf.finding);
    if (!check || check.target !== target.ref) return;
    const verdict = check.principalId ? judgePrincipal(check, await this.principalIdOf(target.ref, who), this.now().toISOString()) : check;
    if (verdict.status === 'verified') return;
    throw refuse(principalCheckWords(verdict), { expected: check.principalId ? uniqueIdOf(check.principalId) : null, found: verdict.foundId ?? null });
  }

  /** Clients in a member account as one session (suppression filters use them too). */
  clientsFor(accountId: string, who: { actionId: string; requestedBy: string }, services: readonly AwsService[]): Promise<AccountClients> {
    return this.accounts.forAccount(accountId, who, services);
  }


  /**
   * Reads the resource and records the plan. The prior state is captured here, once:
   * apply and revert never read it again.
   */
  async plan(req: ContainRequest, extra: Partial<Pick<Action, 'status' | 'approvalRule' | 'expiresAt'>> = {}): Promise<Action> {
    try {
      return await this.planChecked(req, extra);
    } catch (err) {
      // A refused target changes nothing, and the audit says who asked, for what, and which rule refused it.
      if (err instanceof CordonError && REFUSALS.has(err.code)) {
        await this.store.appendAudit({
          at: this.now().toISOString(),
          actor: req.requestedBy,
          event: 'action.refused',
          allowed: false,
          ...(req.caseId ? { caseId: req.caseId } : {}),
          detail: { target: req.target.slice(0, 300), code: err.code, reason: err.message.slice(0, 500), ...err.details },
        });
      }
      throw err;
    }
  }

  /** Throws TARGET_BUSY, with a link, when the target already has a live action (point 15). */
  async assertTargetFree(ref: string): Promise<void> {
    const err = targetBusy(ref, await this.store.listActions({ status: LIVE_ON_TARGET }));
    if (err) throw err;
  }

  /** Step ids other live actions in `accountId` applied and did not revert. */
  private async heldByOthers(accountId: string, except?: string): Promise<Map<string, string>> {
    const held = new Map<string, string>();
    for (const a of await this.store.listActions({ status: [...LIVE_ON_TARGET, 'not_contained', 'failed'] })) {
      if (a.id === except || a.target.accountId !== accountId) continue;
      for (const r of a.steps) {
        const op = a.plan.find((s) => s.id === r.stepId)?.op;
        if (op && SHAREABLE_OPS.has(op) && HOLDING.includes(r.status) && !held.has(r.stepId)) held.set(r.stepId, a.id);
      }
    }
    return held;
  }

  private async incidentStart(caseId: string | undefined): Promise<Date | undefined> {
    if (!caseId) return undefined;
    const c = await this.store.getCase(caseId);
    if (!c) return undefined;
    const times = [c.createdAt, ...(await this.store.listFindings({ caseId })).flatMap((f) => [f.firstSeenAt, f.finding.createdAt])].map((t) => Date.parse(t)).filter((t) => !Number.isNaN(t));
    return times.length ? new Date(Math.min(...times)) : undefined;
  }

  private async planChecked(req: ContainRequest, extra: Partial<Pick<Action, 'status' | 'approvalRule' | 'expiresAt'>>): Promise<Action> {
    const target = await this.resolve(req.target);
    if (!req.dryRun) await this.assertTargetFree(target.ref);
    const now = this.now();
    const id = newActionId(now, this.random);
    if (req.findingId) await this.confirmFindingPrincipal(req.findingId, target, { actionId: id, requestedBy: req.requestedBy });
    const playbook = await this.playbookOf(target.kind);
    const clients = await this.accounts.forAccount(target.accountId, { actionId: id, requestedBy: req.requestedBy }, playbook.services);
    const ctx: PlanContext = {
      actionId: id,
      requestedBy: req.requestedBy,
      target,
      clients,
      settings: this.opts.settings,
      now,
      ...(req.caseId ? { caseId: req.caseId } : {}),
      ...(req.knownPrincipal ? { knownPrincipal: req.knownPrincipal } : {}),
      heldByCordon: new Set((await this.heldByOthers(target.accountId)).keys()),
    };
    const start = await this.incidentStart(req.caseId);
    if (start) ctx.incidentStart = start;
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
    if (!(await this.store.insertAction(action, { exclusiveTarget: true }))) {
      // Lost to another plan for the same target between the check above and here: say which.
      if (!req.dryRun) await this.assertTargetFree(target.ref);
      throw new CordonError(ErrorCode.STORE_CONFLICT, `action id ${id} is taken; try again`);
    }
    await this.audit(action, req.requestedBy, req.dryRun ? 'action.dry_run' : 'action.planned', { target: target.ref, steps: action.plan.length });
    return action;
  }

  /**
   * A step that did something other than its plan said (a fallback) returns why in
   * `warnings` (apply) or records `revertWarnings` (revert): put on the action's message and
   * in the audit, never only in the step record.
   */
  private async warn(run: StepBook, by: string, step: PlanStep, raw: Json | undefined): Promise<void> {
    const warnings = Array.isArray(raw) ? raw.filter((w): w is string => typeof w === 'string') : [];
    if (!warnings.length) return;
    await run.note(warnings.map((w) => `:warning: ${w}.`));
    await this.audit(run.action, by, 'action.step_fallback', { step: step.id, warnings });
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
      const playbook = await this.playbookOf(started.kind);
      const clients = await this.accounts.forAccount(started.target.accountId as string, { actionId: started.id, requestedBy: started.requestedBy }, playbook.services);
      const ctx = this.stepContext(started, clients, run);
      // Only an essential step's failure stops the later stages: a tag or a snapshot that
      // fails must never keep an instance from being isolated.
      let stopped = false;
      for (const stage of stagesOf(started.plan)) {
        if (stopped) break;
        const todo = stage.filter((s) => run.record(s.id).status !== 'applied');
        await Promise.all(
          todo.map(async (step) => {
            await run.update(step.id, { status: 'running', startedAt: this.now().toISOString() });
            try {
              const result = await playbook.apply(step, ctx);
              // What changed since the plan (an interface attached meanwhile) goes on the action's message too.
              const changes = Array.isArray(result?.changes) ? result.changes.filter((c): c is string => typeof c === 'string') : [];
              if (changes.length) await run.note(changes.map((c) => `:information_source: Since the plan: ${c}.`));
              await this.warn(run, by, step, result?.warnings);
              const rec = await run.update(step.id, { status: 'applied', finishedAt: this.now().toISOString(), ...(result ? { result } : {}) });
              await this.tell(observer, run.action, step, rec);
            } catch (err) {
              if (step.essential !== false) stopped = true;
              const rec = await run.update(step.id, {
                status: 'failed',
                finishedAt: this.now().toISOString(),
                error: err instanceof StepFailure ? err.message.slice(0, 1500) : describeAwsError(err),
                ...(err instanceof StepFailure ? { result: err.result } : {}),
              });
              log.warn({ step: step.id, err: errorMessage(err), essential: step.essential !== false }, 'containment step failed');
              await this.tell(observer, run.action, step, rec);
            }
          }),
        );
      }
      return await this.finishRun(run, by, observer, log);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** The outcome of a run, from its step records (see {@link outcomeOf}), recorded, audited and told. */
  private async finishRun(run: StepBook, by: string, observer: ActionObserver, log: Logger): Promise<Action> {
    const status = outcomeOf(run.action);
    const done = await run.finish(status, status === 'applied' ? { appliedAt: this.now().toISOString() } : {});
    log.info({ status }, 'action finished');
    const open = done.plan.filter((s) => s.contains && done.steps.find((r) => r.stepId === s.id)?.status !== 'applied');
    await this.audit(done, by, `action.${status}`, open.length ? { notContained: open.map((s) => ({ step: s.id, error: done.steps.find((r) => r.stepId === s.id)?.error ?? 'not run' })) } : {});
    await observer.onFinish?.(done);
    return done;
  }

  /**
   * Finishes what a dead process left open and must not wait for a person: an EC2
   * interface left in the allow-all untrack group is isolated, or put back in its own
   * groups. Runs on every clock tick (serve, the ticker), for actions still `running`
   * whose heartbeat is older than `staleMs` and for `interrupted` ones; one process takes
   * an action over with a compare-and-set, so two ticks never both touch it.
   */
  async recoverOpenSteps(staleMs: number, observer: ActionObserver = {}): Promise<string[]> {
    const cutoff = this.now().getTime() - staleMs;
    const recovered: string[] = [];
    for (const a of await this.store.listActions({ status: ['running', 'interrupted', 'not_contained'] })) {
      if (a.status === 'running' && Date.parse(a.heartbeatAt ?? a.updatedAt) > cutoff) continue;
      const playbook = await this.playbookOf(a.kind);
      const recover = playbook.recover?.bind(playbook);
      if (!recover || !playbook.needsRecovery) continue;
      const open = a.plan.filter((s) => playbook.needsRecovery?.(s, a.steps.find((r) => r.stepId === s.id) ?? { stepId: s.id, status: 'pending' }));
      if (!open.length) continue;
      // Steps the dead process was running have an unknown outcome (as the sweep records them).
      const steps = a.steps.map((s) => (s.status === 'running' ? { ...s, status: 'unknown' as const, error: 'interrupted: outcome unknown' } : s));
      const taken: Action = { ...a, status: 'running', steps, heartbeatAt: this.now().toISOString(), updatedAt: this.now().toISOString() };
      // Compare-and-set on the version read above: a live runner's heartbeat, or another tick, wins.
      if (!(await this.store.updateAction(taken))) continue;
      const log = this.actionLog(taken, 'cordon');
      log.warn({ steps: open.map((s) => s.id) }, 'finishing steps a dead process left open');
      await this.audit(taken, 'cordon', 'action.recovery_started', { steps: open.map((s) => s.id) });
      const run = new StepBook(this.store, taken, this.now);
      const heartbeat = setInterval(() => void run.heartbeat().catch(() => undefined), this.opts.heartbeatMs ?? 5000);
      try {
        const clients = await this.accounts.forAccount(taken.target.accountId as string, { actionId: taken.id, requestedBy: taken.requestedBy }, playbook.services);
        const ctx = this.stepContext(taken, clients, run);
        for (const step of open) {
          try {
            const result = await recover(step, run.record(step.id), ctx);
            const rec = await run.update(step.id, { status: 'applied', finishedAt: this.now().toISOString(), result, error: undefined });
            await this.tell(observer, run.action, step, rec);
          } catch (err) {
            const rec = await run.update(step.id, {
              status: 'failed',
              finishedAt: this.now().toISOString(),
              error: err instanceof StepFailure ? err.message.slice(0, 1500) : describeAwsError(err),
              ...(err instanceof StepFailure ? { result: err.result } : {}),
            });
            log.error({ step: step.id, err: errorMessage(err) }, 'could not finish a step a dead process left open');
            await this.tell(observer, run.action, step, rec);
          }
        }
        // Steps after the open one never ran: the action ends as what holds now, for a person to decide on.
        const done = await this.finishRun(run, 'cordon', observer, log);
        recovered.push(done.id);
      } finally {
        clearInterval(heartbeat);
      }
    }
    return recovered;
  }

  /** Restores the recorded prior state; evidence (snapshots, release tags, session revocation) stays. */
  async revert(id: string, by: string, observer: ActionObserver = {}, opts: RevertOptions = {}): Promise<Action | undefined> {
    // The request is used up: a replayed revert job finds none and is refused (services/job-guard).
    const started = await this.transition(id, REVERTIBLE, { status: 'reverting', heartbeatAt: this.now().toISOString(), revertedBy: by, revertRequest: undefined });
    if (!started) return undefined;
    const keepOff = new Set(opts.keepOff ?? []);
    await this.audit(started, by, 'action.revert_started', { ...(keepOff.size ? { keepOff: [...keepOff] } : {}), ...(opts.restoreOpen ? { restoreOpen: true } : {}) });
    // A change another live action also holds (the same AWSDenyAll, the same key) stays until that one is reverted too.
    const held = await this.heldByOthers(started.target.accountId as string, started.id);
    const run = new StepBook(this.store, started, this.now);
    const playbook = await this.playbookOf(started.kind);
    const clients = await this.accounts.forAccount(started.target.accountId as string, { actionId: started.id, requestedBy: by }, playbook.services);
    const ctx = { ...this.stepContext(started, clients, run), revert: { restoreOpen: opts.restoreOpen === true } };
    let failed = false;
    for (const stage of stagesOf(started.plan).reverse()) {
      await Promise.all(
        stage.map(async (step) => {
          const rec = run.record(step.id);
          // A failed step that recorded what it changed (an interface isolated before its twin failed) is undone too.
          const partial = rec.status === 'failed' && rec.result !== undefined;
          if (!partial && !['applied', 'unknown', 'revert_failed', 'reverting'].includes(rec.status)) return;
          if (!step.revertible) {
            await run.update(step.id, { status: 'kept' });
            return;
          }
          const keyId = step.op === 'iam.key-deactivate' ? step.params.keyId : undefined;
          const keptFor =
            typeof keyId === 'string' && keepOff.has(keyId)
              ? `left inactive: ${by} chose to keep access key ${keyId} off`
              : held.has(step.id)
                ? `kept: action ${held.get(step.id) ?? ''} still holds it`
                : undefined;
          if (keptFor) {
            const done = await run.update(step.id, { status: 'kept', keptReason: keptFor, revertFinishedAt: this.now().toISOString() });
            await this.tell(observer, run.action, step, done);
            return;
          }
          await run.update(step.id, { status: 'reverting', revertStartedAt: this.now().toISOString() });
          try {
            await playbook.revert(step, rec, ctx);
            await this.warn(run, by, step, run.record(step.id).result?.revertWarnings);
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
      progress: async (stepId, result) => {
        await run.update(stepId, { result });
      },
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

/**
 * What a run's step records add up to: `not_contained` when a step that contains the
 * resource is not applied (whatever else was); `applied` when every step is;
 * `partially_applied` when some are; `failed` when none is.
 */
export function outcomeOf(a: Action): Action['status'] {
  const rec = (id: string) => a.steps.find((s) => s.stepId === id)?.status ?? 'pending';
  if (a.plan.some((s) => s.contains && rec(s.id) !== 'applied')) return 'not_contained';
  if (a.plan.every((s) => rec(s.id) === 'applied')) return 'applied';
  return a.steps.some((s) => s.status === 'applied') ? 'partially_applied' : 'failed';
}

/**
 * A failed step's error for the step record, which Slack shows: Cordon's words and the AWS
 * error code, never the AWS message (it can name another account's ARNs and policies;
 * the log line beside it keeps it).
 */
export function describeAwsError(err: unknown): string {
  return failureWords(err).slice(0, 500);
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

  async note(lines: string[]): Promise<void> {
    await this.write((cur) => ({ ...cur, notes: [...cur.notes, ...lines], updatedAt: this.now().toISOString() }));
  }

  heartbeat(): Promise<Action> {
    return this.write((cur) => ({ ...cur, heartbeatAt: this.now().toISOString() }));
  }

  finish(status: Action['status'], patch: Pick<Partial<Action>, 'appliedAt' | 'revertedAt'> = {}): Promise<Action> {
    return this.write((cur) => ({ ...cur, ...patch, status, updatedAt: this.now().toISOString() }));
  }
}
