import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { Config } from './config/load-config';
import { Triage } from './domain/triage/triage';
import type { Logger } from './log';
import { FindingPipeline } from './services/finding-pipeline';
import { CasePublisher } from './slack/case-publisher';
import { slackLogger } from './slack/slack-logger';
import { openStore } from './store/open-store';
import type { Store } from './store/store';

/** The wired application: one per process (or per warm Lambda container). */
export interface Cordon {
  config: Config;
  log: Logger;
  store: Store;
  pipeline: FindingPipeline;
  /** Absent when no bot token is configured (e.g. `cordon ingest --no-slack`). */
  slack?: { client: WebClient; publisher: CasePublisher };
  close(): Promise<void>;
}

export interface WireOptions {
  /** Use this store instead of opening `CORDON_STORE` (tests). */
  store?: Store;
  /** Overrides for the WebClient (tests shorten retries). */
  webClientOptions?: WebClientOptions;
  now?: () => Date;
  random?: () => number;
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
  const store = opts.store ?? openStore(config.env.CORDON_STORE);
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
  return { config, log, store, pipeline, ...(slack ? { slack } : {}), close: () => store.close() };
}
