import type { Json, PlanStep, StepRecord } from '../domain/actions/action';
import type { Target } from '../domain/actions/target';
import type { AccountClients, AwsService } from '../aws/aws-clients';
import { CordonError, ErrorCode } from '../errors';
import { awsManagedRole, BUILT_IN_PROTECTED, protectionRule, type PrincipalFacts } from '../domain/actions/protection';

/** Containment settings from the config. */
export interface ContainmentSettings {
  untrackSeconds: number;
  snapshots: boolean;
  /**
   * Names or ARNs (`*` wildcards) of principals never changed: the containment role and
   * the config's `containment.protectedPrincipals`, on top of the built-in ones.
   */
  protectedPrincipals?: string[];
}

/** Everything a playbook may read while planning. */
export interface PlanContext {
  actionId: string;
  caseId?: string;
  requestedBy: string;
  target: Target & { accountId: string };
  clients: AccountClients;
  settings: ContainmentSettings;
  now: Date;
  /** Principal named by the case's findings for a temporary key (ASIA), if known. */
  knownPrincipal?: string;
  /**
   * Step ids that other live actions in this account applied and have not reverted (a deny
   * another action attached, a key it deactivated): planned again rather than taken for
   * someone else's change, so this action's revert knows the change is Cordon's.
   */
  heldByCordon?: ReadonlySet<string>;
  /** When the incident began (the case was opened): keys created since are flagged for Revert. */
  incidentStart?: Date;
}

/** What planning produced: the recorded prior state and every concrete change. */
export interface Prepared {
  prior: { [key: string]: Json };
  plan: PlanStep[];
  notes: string[];
}

/** Everything a step may use when it runs or is reverted. */
export interface StepContext {
  actionId: string;
  target: Target & { accountId: string };
  clients: AccountClients;
  prior: { [key: string]: Json };
  /** Results of steps already applied, by step id (group ids, snapshot ids…). */
  results: ReadonlyMap<string, { [key: string]: Json } | undefined>;
  sleep(ms: number): Promise<void>;
  now(): Date;
  /**
   * Work shared by concurrent actions in this process (one isolation group per VPC,
   * however many instances are contained at once).
   */
  once<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Records where a running step is (written to the store at once), so a process that
   * dies mid-step leaves what the next one needs to finish or undo it.
   */
  progress(stepId: string, result: { [key: string]: Json }): Promise<void>;
  /** During a revert: what the commanders chose ({@link RevertRequest}). */
  revert?: { restoreOpen: boolean };
}

/**
 * A step that failed and says what it left behind: `result` is recorded with the
 * failure; `notContained` marks the failure of the step that contains the resource.
 */
export class StepFailure extends CordonError {
  constructor(
    message: string,
    readonly result: { [key: string]: Json },
    readonly notContained = false,
  ) {
    super(notContained ? ErrorCode.NOT_CONTAINED : ErrorCode.AWS_FAILED, message);
    this.name = 'StepFailure';
  }
}

/**
 * One resource kind's containment (docs/architecture.md §7). `prepare` reads before anything
 * changes; `apply` and `revert` each do exactly one step and are idempotent, so a
 * re-run or a revert after a crash is safe.
 */
export interface Playbook {
  /** The SDK clients its steps ask {@link AccountClients} for: loaded before the session is handed over. */
  readonly services: readonly AwsService[];
  prepare(ctx: PlanContext): Promise<Prepared>;
  /** Dry run: the API's own permission check, where the service has one (EC2 DryRun). */
  dryRunCheck?(ctx: PlanContext, prepared: Prepared): Promise<string[]>;
  apply(step: PlanStep, ctx: StepContext): Promise<{ [key: string]: Json } | undefined>;
  revert(step: PlanStep, record: StepRecord, ctx: StepContext): Promise<void>;
  /**
   * Whether a step a dead process left (running or unknown, or failed with something
   * still open) must be finished now rather than wait for a person: an EC2 interface left
   * in the allow-all group is.
   */
  needsRecovery?(step: PlanStep, record: StepRecord): boolean;
  /** Finishes (or safely undoes) such a step; throws a {@link StepFailure} if it cannot. */
  recover?(step: PlanStep, record: StepRecord, ctx: StepContext): Promise<{ [key: string]: Json }>;
}

/** The built-in protected names plus the configured ones. */
export function protectedPatterns(settings: ContainmentSettings): string[] {
  return [...BUILT_IN_PROTECTED, ...(settings.protectedPrincipals ?? [])];
}

/**
 * Why a user or role must not be changed (AWS-managed, or protected), as the error that
 * refuses the plan. Undefined when it may be changed.
 */
export function principalRefusal(settings: ContainmentSettings, p: PrincipalFacts & { path?: string | undefined }): CordonError | undefined {
  const managed = p.kind === 'role' ? awsManagedRole(p.path) : undefined;
  if (managed) {
    return new CordonError(ErrorCode.TARGET_AWS_MANAGED, `Cordon will not contain role ${p.name} (rule: ${managed.rule}): ${managed.reason}.`, { rule: managed.rule, principal: p.arn });
  }
  const rule = protectionRule(p, protectedPatterns(settings));
  if (rule) {
    return new CordonError(
      ErrorCode.TARGET_PROTECTED,
      `Cordon will not change ${p.kind} ${p.name} (rule: ${rule}): protected principals are refused by default, and the member-account role denies changing them. If it must be contained, do it by hand with break-glass access.`,
      { rule, principal: p.arn },
    );
  }
  return undefined;
}

/** Reads a string parameter a planner wrote; a missing one is a bug, not bad input. */
export function param(step: PlanStep, name: string): string {
  const v = step.params[name];
  if (typeof v !== 'string') throw new Error(`step ${step.id} has no string parameter ${name}`);
  return v;
}

export function paramList(step: PlanStep, name: string): string[] {
  const v = step.params[name];
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string')) throw new Error(`step ${step.id} has no list parameter ${name}`);
  return v;
}

/** AWS error name, for the "already so" cases every idempotent step tolerates. */
export function awsErrorName(err: unknown): string | undefined {
  return (err as { name?: string } | undefined)?.name;
}
