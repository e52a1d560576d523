import type { Cordon } from '../../app/cordon';
import type { Action, PlanStep, StepRecord } from '../../domain/actions/action';
import type { ActionObserver } from '../../containment/containment-service';
import { CordonError, ErrorCode } from '../../errors';
import type { CliIo } from '../output';

/** Plan lines for a terminal: every concrete change, then the notes. */
export function planLines(a: Action): string[] {
  const lines = [`action ${a.id}: contain ${a.kind} ${a.target.ref}${a.dryRun ? ' (dry run: nothing will change)' : ''}`];
  if (!a.plan.length) lines.push('  plan: no change needed');
  for (const s of a.plan) lines.push(`  [stage ${s.stage}] ${s.description}${s.revertible ? '' : ' (kept on revert)'}`);
  for (const n of a.notes) lines.push(`  note: ${n.replace(/:warning: |:x: /g, '')}`);
  return lines;
}

function stepLine(step: PlanStep, rec: StepRecord): string {
  const ms = rec.startedAt && rec.finishedAt ? ` (${Date.parse(rec.finishedAt) - Date.parse(rec.startedAt)} ms)` : '';
  const err = rec.error ?? rec.revertError;
  return `  ${rec.status.padEnd(9)} ${step.description}${ms}${err ? ` — ${err}` : ''}`;
}

function printer(io: CliIo, json: boolean): ActionObserver {
  return json ? {} : { onStep: (_a, step, rec) => io.out(stepLine(step, rec)) };
}

/** Summary of an action for `--json`. */
export function actionJson(a: Action): Record<string, unknown> {
  return {
    id: a.id,
    caseId: a.caseId ?? null,
    kind: a.kind,
    target: a.target.ref,
    status: a.status,
    plan: a.plan.map((s) => ({ id: s.id, stage: s.stage, description: s.description, revertible: s.revertible })),
    steps: a.steps,
    notes: a.notes,
  };
}

/** `cordon contain <arn> [--dry-run] [--reason …] [--case …]`: break-glass containment, same engine and audit. */
export async function runContain(
  cordon: Cordon,
  input: { target: string; dryRun: boolean; reason?: string; caseId?: string; user: string },
  io: CliIo,
  json: boolean,
): Promise<Action> {
  const service = cordon.containment();
  if (input.caseId && !(await cordon.store.getCase(input.caseId))) {
    throw new CordonError(ErrorCode.CASE_NOT_FOUND, `no case ${input.caseId}; omit --case or give an existing case id`);
  }
  const requestedBy = `cli:${input.user}`;
  const planned = await service.plan({
    target: input.target,
    requestedBy,
    dryRun: input.dryRun,
    ...(input.reason ? { reason: input.reason } : {}),
    ...(input.caseId ? { caseId: input.caseId } : {}),
  });
  if (!json) for (const l of planLines(planned)) io.out(l);
  if (planned.dryRun) return planned;
  const done = await service.apply(planned.id, requestedBy, printer(io, json));
  if (!done) throw new CordonError(ErrorCode.STORE_CONFLICT, `action ${planned.id} was started by someone else`);
  if (!json) io.out(`action ${done.id}: ${done.status}${done.status === 'applied' || done.status === 'partially_applied' ? ` (undo: cordon revert ${done.id})` : ''}`);
  return done;
}

/** `cordon revert <action-id>`. */
export async function runRevert(cordon: Cordon, input: { actionId: string; user: string; restoreOpen?: boolean }, io: CliIo, json: boolean): Promise<Action> {
  if (!/^A-\d{14}-[0-9a-z]{4}$/.test(input.actionId)) {
    throw new CordonError(ErrorCode.INPUT_INVALID, `"${input.actionId.slice(0, 60)}" is not an action id (A-<yyyymmddhhmmss>-<4 chars>, as printed by cordon contain)`);
  }
  const existing = await cordon.store.getAction(input.actionId);
  if (!existing) throw new CordonError(ErrorCode.INPUT_INVALID, `no action ${input.actionId}`);
  const done = await cordon.containment().revert(input.actionId, `cli:${input.user}`, printer(io, json), { restoreOpen: input.restoreOpen === true });
  if (!done) throw new CordonError(ErrorCode.INPUT_INVALID, `action ${input.actionId} is ${existing.status}; only applied, partially applied, failed or interrupted actions can be reverted`);
  if (!json) io.out(`action ${done.id}: ${done.status}`);
  return done;
}
