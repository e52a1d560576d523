import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { Config } from './config/load-config';
import { Triage } from './domain/triage/triage';
import type { Logger } from './log';
import { FindingPipeline } from './services/finding-pipeline';
import { CasePublisher } from './slack/case-publisher';
import { slackLogger } from './slack/slack-logger';
import { openStore } from './store/open-store';
import type { Store } from './store/store';
import { CrossAccountClients, realClientFactory, type ClientFactory } from './aws/aws-clients';
import { ContainmentService } from './containment/containment-service';
import { ConfigError } from './config/load-config';
import { buildSlackControl, type SlackControl } from './services/slack-control';
import type { InProcessQueue } from './jobs/in-process-queue';
import type { JobQueue } from './jobs/job-queue';

/** The wired application: one per process (or per warm Lambda container). */
export interface Cordon {
  config: Config;
  log: Logger;
  store: Store;
  pipeline: FindingPipeline;
  /** The clock everything here runs on (tests: a fake one). */
  now: () => Date;
  /** Absent when no bot token is configured (e.g. `cordon ingest --no-slack`). */
  slack?: { client: WebClient; publisher: CasePublisher };
  /** Throws CONFIG.INVALID naming `containmentRole` when the config has none. */
  containment(): ContainmentService;
  /** Access, cases, actions and the worker for the Slack front door (needs Slack and containment). */
  control(): SlackControl & { inProcess?: InProcessQueue };
  close(): Promise<void>;
}

export interface WireOptions {
  /** Use this store instead of opening `CORDON_STORE` (tests). */
  store?: Store;
  /** Overrides for the WebClient (tests shorten retries). */
  webClientOptions?: WebClientOptions;
  now?: () => Date;
  random?: () => number;
  /** AWS clients (tests attach them to the simulated AWS). */
  clientFactory?: ClientFactory;
  /** Replaces real waiting (the untrack window) in tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Where listeners hand long work (serverless: the worker Lambda); default in-process. */
  queue?: JobQueue;
}

/** Builds the triage policy from the config. */
export function triageFromConfig(config: Config): Triage {
  return new Triage({
    routing: config.triage.routing,
    knownCidrs: config.triage.knownCidrs,
    suppressions: config.triage.suppressions,
  });
}

/** Slack WebClient pointed at Slack or at `SLACK_API_URL` (the sandbox). */
export function createWebClient(config: Config, token: string, options: WebClientOptions = {}): WebClient {
  return new WebClient(token, {
    ...(config.env.SLACK_API_URL ? { slackApiUrl: config.env.SLACK_API_URL } : {}),
    ...options,
  });
}

export function wire(config: Config, log: Logger, opts: WireOptions = {}): Cordon {
  const store = opts.store ?? openStore(config.env.CORDON_STORE, { region: config.env.AWS_REGION ?? config.regions[0] });
  const pipeline = new FindingPipeline(store, triageFromConfig(config), log, {
    correlationWindowMs: config.triage.correlationWindow,
    ...(config.triage.responderGroup ? { responderGroup: config.triage.responderGroup } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.random ? { random: opts.random } : {}),
  });
  let slack: Cordon['slack'];
  if (config.env.SLACK_BOT_TOKEN) {
    const client = createWebClient(config, config.env.SLACK_BOT_TOKEN, { logger: slackLogger(log), ...opts.webClientOptions });
    const publisher = new CasePublisher(client, store, log, {
      triageChannel: config.channels.triage,
      prefix: config.channels.prefix,
      privateChannels: config.channels.private,
      invite: config.channels.invite,
      inviteGroups: config.channels.inviteGroups,
      inviteResourceOwners: config.channels.inviteResourceOwners,
      cardEditIntervalMs: config.triage.cardEditInterval,
      ...(opts.now ? { now: opts.now } : {}),
    });
    slack = { client, publisher };
  }
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
      environments: Object.fromEntries(config.accounts.map((a) => [a.id, a.environment])),
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.random ? { random: opts.random } : {}),
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
    });
    return containment;
  };
  let control: (SlackControl & { inProcess?: InProcessQueue }) | undefined;
  const getControl = () => {
    if (control) return control;
    if (!slack) throw new ConfigError('Slack is not configured', ['missing environment variable SLACK_BOT_TOKEN (the bot token, xoxb-…)']);
    control = buildSlackControl({
      config,
      store,
      client: slack.client,
      publisher: slack.publisher,
      containment: getContainment(),
      log,
      now: opts.now ?? (() => new Date()),
      random: opts.random ?? Math.random,
      ...(opts.queue ? { queue: opts.queue } : {}),
    });
    return control;
  };
  return { config, log, store, pipeline, now: opts.now ?? (() => new Date()), ...(slack ? { slack } : {}), containment: getContainment, control: getControl, close: () => store.close() };
}
