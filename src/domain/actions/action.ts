import { CordonError, ErrorCode } from '../../errors';
import type { ResourceKind, Target } from './target';

/** JSON values, for prior state and step parameters that go through the store. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type ActionStatus =
  | 'planned'
  | 'pending_approval'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'running'
  | 'applied'
  | 'partially_applied'
  /** The step that contains the resource did not hold (EC2: isolation failed, interfaces back in their own groups): said plainly, never "partially applied". */
  | 'not_contained'
  | 'failed'
  | 'interrupted'
  | 'reverting'
  | 'reverted'
  | 'revert_failed'
  | 'dry_run';

/** One concrete change of a plan, named so a person can read it. */
export interface PlanStep {
  /** Unique within the action, stable: `snapshot:vol-0abc`. */
  id: string;
  /** Steps of one stage run in parallel; stages run in order. */
  stage: number;
  /** Which mutator applies it: `ec2.snapshot`, `iam.user-deny`, … */
  op: string;
  /** What it changes, for the plan message. */
  description: string;
  params: { [key: string]: Json };
  /** False for evidence and shared infrastructure that revert keeps on purpose. */
  revertible: boolean;
  /**
   * False for steps containment does not depend on (tags, termination protection,
   * snapshots…): their failure is recorded and the later stages still run. Default true:
   * a failed step stops the later stages.
   */
  essential?: boolean;
  /** The step that contains the resource: if it is not applied when the run ends, the action is `not_contained`. */
  contains?: boolean;
}

/** `unknown`: the process died while the step ran; revert treats it as applied (every revert is idempotent). */
export type StepStatus = 'pending' | 'running' | 'applied' | 'failed' | 'unknown' | 'reverting' | 'reverted' | 'revert_failed' | 'kept';

/** Outcome of one step, written before Slack hears of it. */
export interface StepRecord {
  stepId: string;
  status: StepStatus;
  startedAt?: string;
  finishedAt?: string;
  /** What apply returned (snapshot id, group id…), needed by later steps and by revert. */
  result?: { [key: string]: Json };
  error?: string;
  revertStartedAt?: string;
  revertFinishedAt?: string;
  revertError?: string;
  /** Why a revertible step was kept on revert (a key a commander left off, a deny another live action holds). */
  keptReason?: string;
}

/** A containment action: plan → apply → (revert). */
export interface Action {
  id: string;
  caseId?: string;
  target: Target;
  kind: ResourceKind;
  requestedBy: string;
  reason?: string;
  /** The containment request this plan answers: a re-run of that request finds it instead of planning twice. */
  requestId?: string;
  dryRun: boolean;
  status: ActionStatus;
  /** Resource state read before anything changed; revert restores from this. */
  prior?: { [key: string]: Json };
  plan: PlanStep[];
  /** Notes and warnings the plan shows (shared role, open window during untrack…). */
  notes: string[];
  steps: StepRecord[];
  approvedBy?: string;
  rejectedBy?: string;
  revertedBy?: string;
  /**
   * The revert a commander asked for and the worker has not started: the worker runs a
   * revert job only when it matches this request (and, under an approval rule, its approval).
   */
  revertRequest?: RevertRequest;
  /** When an apply ended with every step applied: the moment the resource was contained. */
  appliedAt?: string;
  /** When the last revert ended (reverted or revert_failed). */
  revertedAt?: string;
  approvalRule?: string;
  expiresAt?: string;
  createdAt: string;
  updatedAt: string;
  /** The runner's heartbeat: a running action whose heartbeat stops is `interrupted`. */
  heartbeatAt?: string;
  /** Slack message of the action (plan, progress, final status). */
  messageTs?: string;
  messageChannel?: string;
  version: number;
}

/** A revert asked for, waiting to run or for a second commander (docs/architecture.md §6). */
export interface RevertRequest {
  by: string;
  at: string;
  /** The approval rule that makes this revert wait for a second commander. */
  approvalRule?: string;
  expiresAt?: string;
  approvedBy?: string;
  /** Access keys the action deactivated that Revert leaves inactive (issue 15, point 11). */
  keepOff?: string[];
  /**
   * Put interfaces back in their own groups even where those let the internet reach the
   * instance's remote administration (`/ir revert … --restore-open`); without it they stay isolated.
   */
  restoreOpen?: boolean;
}

/** Stages in order, each with its steps. */
export function stagesOf(plan: PlanStep[]): PlanStep[][] {
  const byStage = new Map<number, PlanStep[]>();
  for (const s of plan) byStage.set(s.stage, [...(byStage.get(s.stage) ?? []), s]);
  return [...byStage.entries()].sort((a, b) => a[0] - b[0]).map(([, steps]) => steps);
}

/** Statuses from which revert is possible. */
export const REVERTIBLE: ActionStatus[] = ['applied', 'partially_applied', 'not_contained', 'failed', 'interrupted', 'revert_failed'];

/**
 * Statuses in which an action holds its target (issue 15, point 15): a second Contain on
 * the same target is refused while one of these exists.
 */
export const LIVE_ON_TARGET: ActionStatus[] = ['planned', 'pending_approval', 'approved', 'running', 'applied', 'partially_applied', 'interrupted', 'reverting', 'revert_failed'];

/** Whether `a` holds its target (a dry run never does). */
export function holdsTarget(a: Pick<Action, 'dryRun' | 'status'>): boolean {
  return !a.dryRun && LIVE_ON_TARGET.includes(a.status);
}

/**
 * The link to an action's Slack message, when it has one. Slack resolves
 * `https://slack.com/archives/<channel>/p<ts without the dot>` to the message in the
 * person's workspace.
 */
export function actionLink(a: Pick<Action, 'id' | 'messageChannel' | 'messageTs'>): string {
  if (!a.messageChannel || !a.messageTs) return `action ${a.id}`;
  return `<https://slack.com/archives/${a.messageChannel}/p${a.messageTs.replace('.', '')}|action ${a.id}> in <#${a.messageChannel}>`;
}

/** The refusal of a second Contain on `ref` while `actions` hold a live one (issue 15, point 15), or undefined. */
export function targetBusy(ref: string, actions: Action[]): CordonError | undefined {
  const first = actions.filter((a) => a.target.ref === ref && holdsTarget(a)).sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0];
  if (!first) return undefined;
  return new CordonError(
    ErrorCode.TARGET_BUSY,
    `${ref} already has a live containment (rule: one live action per target): ${actionLink(first)} is ${first.status.replace(/_/g, ' ')}. Revert or finish that one first.`,
    { rule: 'one-live-action-per-target', actionId: first.id, status: first.status, ...(first.caseId ? { caseId: first.caseId } : {}) },
  );
}

/** Statuses an action ends in. */
export const FINAL: ActionStatus[] = ['applied', 'partially_applied', 'not_contained', 'failed', 'reverted', 'rejected', 'expired', 'dry_run', 'revert_failed', 'interrupted'];

/**
 * The one way an action changes state: from one of `from` to what `patch` says, stamped
 * `at`. Undefined when the action is in none of `from` (someone else moved it first), so
 * the caller neither writes nor reports a change. Pure.
 */
export function transitionAction(a: Action, from: readonly ActionStatus[], patch: Partial<Action>, at: string): Action | undefined {
  if (!from.includes(a.status)) return undefined;
  return { ...a, ...patch, updatedAt: at };
}

/** Short, sortable action ids: `A-<yyyymmddhhmmss>-<4>`. */
export function newActionId(now: Date, random: () => number): string {
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  let s = '';
  for (let i = 0; i < 4; i++) s += alphabet[Math.floor(random() * 32)] ?? '0';
  return `A-${now.toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${s}`;
}
