import type { Config } from './config/load-config';
import type { Logger } from './log';
import { CrossAccountClients, realClientFactory, type ClientFactory } from './aws/aws-clients';
import { ContainmentService } from './containment/containment-service';
import { ConfigError } from './config/load-config';
import { requireSlackParts, wireBase, type BaseOptions, type FrontDoor } from './front-door';
import { buildSlackControl, type SlackControl } from './services/slack-control';
import type { InProcessQueue } from './jobs/in-process-queue';
import type { JobQueue } from './jobs/job-queue';

/**
 * The wired application with its AWS side: one per process (or per warm `worker` and
 * `ticker` container). The `slack` and `findings` functions run the lighter {@link FrontDoor}.
 */
export interface Cordon extends FrontDoor {
  /** Throws CONFIG.INVALID naming `containmentRole` when the config has none. */
  containment(): ContainmentService;
  /** Access, cases, actions and the worker for the Slack front door (needs Slack and containment). */
  control(): SlackControl & { inProcess?: InProcessQueue };
}

export interface WireOptions extends BaseOptions {
  /** AWS clients (tests attach them to the simulated AWS). */
  clientFactory?: ClientFactory;
  /** Replaces real waiting (the untrack window) in tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Where listeners hand long work (serverless: the worker Lambda); default in-process. */
  queue?: JobQueue;
}

export function wire(config: Config, log: Logger, opts: WireOptions = {}): Cordon {
  const base = wireBase(config, log, opts);
  const { store } = base;
  let containment: ContainmentService | undefined;
  const getContainment = (): ContainmentService => {
    if (containment) return containment;
    const role = config.containmentRole;
    if (!role) {
      throw new ConfigError('containment is not configured', [
        `${config.configPath}: containmentRole: missing; set the member-account role name and external id to contain resources`,
      ]);
    }
    const factory = opts.clientFactory ?? realClientFactory(config.env.AWS_REGION ?? config.regions[0] ?? 'us-east-1');
    const accounts = new CrossAccountClients(factory, {
      roleName: role.name,
      externalId: role.externalId,
      sessionSeconds: Math.max(900, Math.round(role.sessionDuration / 1000)),
      allowedAccounts: config.accounts.map((a) => a.id),
      ...(opts.now ? { now: opts.now } : {}),
    });
    containment = new ContainmentService(store, accounts, factory, log, {
      settings: { untrackSeconds: config.containment.untrackSeconds, snapshots: config.containment.snapshots },
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.random ? { random: opts.random } : {}),
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
    });
    return containment;
  };
  let control: (SlackControl & { inProcess?: InProcessQueue }) | undefined;
  const getControl = () => {
    if (control) return control;
    const slack = requireSlackParts(base.slack);
    control = buildSlackControl({
      config,
      store,
      client: slack.client,
      publisher: slack.publisher,
      containment: getContainment(),
      log,
      now: base.now,
      random: opts.random ?? Math.random,
      ...(opts.queue ? { queue: opts.queue } : {}),
    });
    return control;
  };
  return { ...base, containment: getContainment, control: getControl };
}
