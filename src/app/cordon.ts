import { CrossAccountClients, realClientFactory, type ClientFactory } from '../aws/aws-clients';
import { ConfigError, type Config } from '../config/load-config';
import { ContainmentService } from '../containment/containment-service';
import { InProcessQueue } from '../jobs/in-process-queue';
import type { JobHandler, JobQueue } from '../jobs/job-queue';
import type { Logger } from '../log';
import { ContainmentJobs } from '../services/containment-jobs';
import { GuardDutyFilters } from '../services/guardduty-filters';
import { JobGuard } from '../services/job-guard';
import { PrincipalChecks } from '../services/principal-checks';
import { SlackActionReporter } from '../slack/outbound/action-reporter';
import { responseUrlOrigins, SlackReplies } from '../slack/outbound/replies';
import { buildIntakeParts, requireSlackParts, type Intake, type IntakeOptions } from './intake';
import { jobDispatcher, workerHandlers } from './job-dispatcher';
import { approvalPolicy, buildServices, type Services } from './services';

/** What runs the jobs: AWS reads and changes, reports, bridges, Slack flushes. */
export interface Worker {
  /** Runs one job (in-process here; the `worker` Lambda on AWS). */
  run: JobHandler;
  /** Plan, apply and revert; throws CONFIG.INVALID naming `containmentRole` when the config has none. */
  containmentJobs(): ContainmentJobs;
  /** GuardDuty ARCHIVE filters of suppression rules (made with the containment role). */
  filters(): GuardDutyFilters;
  /** Present when jobs run in this process (no other queue given). */
  inProcess?: InProcessQueue;
  /** Finding principal checks: the job, and the clock's sweep of checks whose request was lost. */
  principalChecks(): PrincipalChecks;
  /** Where this process's jobs go (the in-process queue, or the worker Lambda). */
  queue: JobQueue;
}

/**
 * Cordon with its AWS side: the {@link Intake} plus the worker that runs the jobs. One
 * per process (`cordon serve` and the other commands), or per warm `worker` and `ticker`
 * container. The `slack` and `findings` functions run the intake alone.
 */
export interface Cordon extends Intake {
  /** Throws CONFIG.INVALID naming `containmentRole` when the config has none. */
  containment(): ContainmentService;
  /** The worker (needs Slack: it posts what it does). */
  worker(): Worker;
}

/** Overrides for {@link buildCordon} (tests). */
export interface CordonOptions extends IntakeOptions {
  /** AWS clients (tests attach them to the simulated AWS). */
  clientFactory?: ClientFactory;
  /** Replaces real waiting (the untrack window) in tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Where services hand long work (serverless: the worker Lambda); default in-process. */
  queue?: JobQueue;
  /**
   * Check the IAM principal each new finding names (issue 15, point 14) in this process's
   * worker: `cordon serve` and the demo. Off for one-shot commands (`cordon ingest`, `drill`):
   * their findings' checks stay pending, and the clock's sweep (`cordon serve`, the `ticker`,
   * whose worker holds the containment role's trust) asks for them after the grace period.
   */
  principalChecks?: boolean;
}

/** Throws CONFIG.INVALID naming the key when containment is asked for and the config has no role for it. */
function containmentRole(config: Config): NonNullable<Config['containmentRole']> {
  const role = config.containmentRole;
  if (!role) {
    throw new ConfigError('containment is not configured: the config has no containmentRole', [
      `${config.configPath}: containmentRole: missing; set the member-account role name and external id to contain resources`,
    ]);
  }
  return role;
}

export function buildCordon(config: Config, log: Logger, opts: CordonOptions = {}): Cordon {
  // A finding's principal check is a job: it goes where this process's jobs go (wired with the Slack side).
  let jobQueue: JobQueue | undefined = opts.queue;
  const parts = buildIntakeParts(config, log, opts, () => {
    if (!opts.principalChecks) return undefined;
    if (!jobQueue && parts.slack) slackSide();
    return jobQueue;
  });
  const { store, now } = parts;
  let containment: ContainmentService | undefined;
  const getContainment = (): ContainmentService => {
    if (containment) return containment;
    const role = containmentRole(config);
    const factory = opts.clientFactory ?? realClientFactory(config.env.AWS_REGION ?? config.regions[0] ?? 'us-east-1');
    const accounts = new CrossAccountClients(factory, {
      roleName: role.name,
      externalId: role.externalId,
      sessionSeconds: Math.max(900, Math.round(role.sessionDuration / 1000)),
      allowedAccounts: config.accounts.map((a) => a.id),
      partition: config.partition,
      ...(opts.now ? { now: opts.now } : {}),
    });
    containment = new ContainmentService(store, accounts, factory, log, {
      partition: config.partition,
      settings: {
        untrackSeconds: config.containment.untrackSeconds,
        snapshots: config.containment.snapshots,
        // Cordon's own member-account role is never a target.
        protectedPrincipals: [role.name, ...config.containment.protectedPrincipals],
      },
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.random ? { random: opts.random } : {}),
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
    });
    return containment;
  };

  let wired: { services: Services; worker: Worker } | undefined;
  const slackSide = (): { services: Services; worker: Worker } => {
    if (wired) return wired;
    const slack = requireSlackParts(parts.slack);
    // Jobs enqueue jobs: the in-process queue runs each through the dispatcher, which
    // needs the services, which need the queue. The queue reaches the dispatcher only
    // when a job runs, and no job runs before this function has returned.
    let inProcess: InProcessQueue | undefined;
    let queue: JobQueue;
    if (opts.queue) queue = opts.queue;
    else queue = inProcess = new InProcessQueue((job, meta) => run(job, meta), log, { store, now });
    jobQueue = queue;
    const services = buildServices({ config, store, slack, log, now, random: opts.random ?? Math.random, queue });
    let jobs: ContainmentJobs | undefined;
    const containmentJobs = (): ContainmentJobs =>
      (jobs ??= new ContainmentJobs({
        store,
        containment: getContainment(),
        cases: services.cases,
        queue,
        approvalFor: approvalPolicy(config),
        publisher: slack.publisher,
        reporter: new SlackActionReporter(slack.client, log),
        now,
      }));
    let guardDuty: GuardDutyFilters | undefined;
    let checks: PrincipalChecks | undefined;
    const principalChecks = (): PrincipalChecks => (checks ??= new PrincipalChecks({ store, log, now, reader: () => getContainment().principalIdOf.bind(getContainment()) }));
    const filters = (): GuardDutyFilters => (guardDuty ??= new GuardDutyFilters(store, getContainment(), log, { now, ...(config.triage.guarddutyAdministrator ? { administratorAccount: config.triage.guarddutyAdministrator } : {}) }));
    const replies = new SlackReplies(slack.client, log, { allowedOrigins: responseUrlOrigins(config.env.SLACK_API_URL), now });
    const run = jobDispatcher(
      workerHandlers({
        store,
        log,
        now,
        services,
        flush: () => slack.publisher.flush(),
        tell: (to, text) => replies.tell(to, text),
        containmentJobs,
        filters,
        principalChecks,
      }),
      new JobGuard({ store, roleOf: async (userId) => (await services.access.roleOf(userId)).role, teamId: config.workspace.teamId, now }),
      log,
    );
    wired = { services, worker: { run, containmentJobs, filters, principalChecks, queue, ...(inProcess ? { inProcess } : {}) } };
    return wired;
  };
  return { ...parts, containment: getContainment, services: () => slackSide().services, worker: () => slackSide().worker };
}
