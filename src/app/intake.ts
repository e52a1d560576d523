import { WebClient, type WebClientOptions } from '@slack/web-api';
import { ConfigError, type Config } from '../config/load-config';
import { Triage } from '../domain/triage/triage';
import type { JobQueue } from '../jobs/job-queue';
import type { Logger } from '../log';
import { errorMessage } from '../errors';
import { FindingPipeline } from '../services/finding-pipeline';
import { CasePublisher } from '../slack/outbound/case-publisher';
import { waitOutShortRateLimits } from '../slack/outbound/rate-limit-wait';
import { slackLogger } from '../slack/slack-logger';
import { openStore } from '../store/open-store';
import type { Store } from '../store/store';
import { buildServices, type Services } from './services';

/** The Slack client and the publisher that makes Slack match the store. */
export interface SlackParts {
  client: WebClient;
  publisher: CasePublisher;
}

/**
 * The intake: what takes findings (EventBridge, the poller, `cordon ingest`) and Slack
 * requests in. It holds none of the AWS side (playbooks, SDK clients for member
 * accounts): the `slack` and `findings` functions run on this alone and hand long work
 * to a job queue, which keeps their cold start small. {@link Cordon} adds the AWS side.
 */
export interface Intake {
  config: Config;
  log: Logger;
  store: Store;
  pipeline: FindingPipeline;
  /** The clock everything here runs on (tests: a fake one). */
  now: () => Date;
  /** Absent when no bot token is configured (e.g. `cordon ingest --no-slack`). */
  slack?: SlackParts;
  /** What Slack requests call (needs Slack and a job queue; throws CONFIG.INVALID naming what is missing). */
  services(): Services;
  close(): Promise<void>;
}

/** Overrides every builder takes (tests). */
export interface IntakeOptions {
  /** Use this store instead of opening `CORDON_STORE` (tests). */
  store?: Store;
  /** Overrides for the WebClient (tests shorten retries). */
  webClientOptions?: WebClientOptions;
  now?: () => Date;
  random?: () => number;
  /** How long the publisher waits for another process's lease (PublisherOptions.leaseWaitMs; default 10 s). */
  publisherLeaseWaitMs?: number;
}

/** Builds the triage policy from the config. */
export function triageFromConfig(config: Config): Triage {
  return new Triage({
    routing: config.triage.routing,
    knownCidrs: config.triage.knownCidrs,
    suppressions: config.triage.suppressions,
  });
}

/**
 * The WebClient of code that answers Slack (the `slack` function's listeners): WebClient's
 * default retries wait up to ~30 minutes and it has no timeout, which outlasts a Lambda and
 * Slack's 3 s. Here: two quick retries, 2 s a call, and a 429 is an error at once
 * (`rejectRateLimitedCalls`) instead of a wait; see WebClientOptions in @slack/web-api.
 */
export const LISTENER_CLIENT_OPTIONS: WebClientOptions = { retryConfig: { retries: 2, maxTimeout: 1000 }, timeout: 2000, rejectRateLimitedCalls: true };

/**
 * The WebClient of the `findings` function: no one waits on an ack there and it has 60 s,
 * so a 429 that says wait a few seconds (chat.postMessage's one a second per channel) is
 * waited out instead of leaving the card to the ticker a minute later; a longer one (a
 * Tier 2 minute) is still an error at once, since the function holds the publisher lease
 * meanwhile. Each call stays under 15 s, waits included.
 */
export const FINDINGS_CLIENT_OPTIONS: WebClientOptions = {
  retryConfig: { retries: 2, maxTimeout: 1000 },
  timeout: 15_000,
  rejectRateLimitedCalls: true,
  fetch: waitOutShortRateLimits({ maxWaitMs: 3000, budgetMs: 10_000 }),
};

/**
 * The findings function does not wait for the publisher lease: while another process holds
 * it, the cards of findings that joined existing cases are left to that process's next flush
 * or the ticker, and the invocation ends. EventBridge delivers a burst to many invocations at
 * once; each waiting its turn for one lease would hold a burst's intake to the speed of one
 * publisher. The cases an invocation opens are posted at once under its claim either way.
 */
export const FINDINGS_LEASE_WAIT_MS = 0;

/**
 * The WebClient of the `worker` and `ticker` functions. WebClient's own answer to a 429 is to
 * pause every call of the client for the Retry-After: one busy case channel (chat.postMessage,
 * about one a second per channel) would then hold the ticker's posts to every other channel
 * back, and a burst's cards go out one channel at a time. Here a short per-channel limit is
 * waited out by the call that met it, others go on; a longer one still
 * reaches WebClient, which waits as before.
 */
export const WORKER_CLIENT_OPTIONS: WebClientOptions = {
  // Up to 20 s: what is left of a Tier 2 minute (conversations.create in a burst of cases) is
  // waited out by that call too, inside the ticker's 60 s, while the other channels go on.
  fetch: waitOutShortRateLimits({ maxWaitMs: 20_000, budgetMs: 40_000 }),
};

/**
 * The WebClient of `cordon serve`'s Cordon: publisher, worker, approval requests and step
 * logs in one process, with no function timeout. WebClient's own answer to a 429 pauses every
 * call of the client for the Retry-After, so one busy case channel, or conversations.create's
 * Tier 2 minute in a burst of new cases, would hold a responder's approval request or step
 * log back with it. Here every limit Slack answers, up to a Tier 1 minute
 * (https://api.slack.com/apis/rate-limits), is waited out by the call that met it; the others
 * go on. What outlasts the budget reaches WebClient, which waits as before.
 */
export const SERVE_CLIENT_OPTIONS: WebClientOptions = {
  fetch: waitOutShortRateLimits({ maxWaitMs: 65_000, budgetMs: 180_000 }),
};

/** Slack WebClient pointed at Slack or at `SLACK_API_URL` (the sandbox). */
export function createWebClient(config: Config, token: string, options: WebClientOptions = {}): WebClient {
  return new WebClient(token, {
    ...(config.env.SLACK_API_URL ? { slackApiUrl: config.env.SLACK_API_URL } : {}),
    ...options,
  });
}

/** The parts both builders share: store, triage pipeline and, with a bot token, the Slack client and publisher. */
export function buildIntakeParts(config: Config, log: Logger, opts: IntakeOptions, jobQueue: () => JobQueue | undefined = () => undefined): Omit<Intake, 'services'> {
  const store = opts.store ?? openStore(config.env.CORDON_STORE, { region: config.env.AWS_REGION ?? config.regions[0] });
  const now = opts.now ?? (() => new Date());
  const pipeline = new FindingPipeline(store, triageFromConfig(config), log, {
    correlationWindowMs: config.triage.correlationWindow,
    principalChecks: {
      // The intake reads no IAM: the worker does (issue 15, point 14). A check that cannot be
      // asked for stays pending, so the card offers no Contain; the clock's sweep asks again
      // (PrincipalChecks.sweep) and, past its limits, records that it could not be completed.
      request: async (findingId) => {
        const queue = jobQueue();
        if (!queue) {
          // A one-shot command (cordon ingest, drill) runs no worker: the sweep covers it.
          log.debug({ findingId }, 'principal check left for the clock sweep: no worker here');
          return;
        }
        try {
          await queue.enqueue({ type: 'principal-check', findingId });
        } catch (err) {
          log.warn({ findingId, err: errorMessage(err) }, 'principal check not queued; the clock sweep asks again');
        }
      },
    },
    ...(config.triage.responderGroup ? { responderGroup: config.triage.responderGroup } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.random ? { random: opts.random } : {}),
  });
  let slack: SlackParts | undefined;
  if (config.env.SLACK_BOT_TOKEN) {
    const client = createWebClient(config, config.env.SLACK_BOT_TOKEN, { logger: slackLogger(log), ...opts.webClientOptions });
    const publisher = new CasePublisher(client, store, log, {
      triageChannel: config.channels.triage,
      prefix: config.channels.prefix,
      privateChannels: config.channels.private,
      invite: config.channels.invite,
      inviteGroups: config.channels.inviteGroups,
      inviteResourceOwners: config.channels.inviteResourceOwners,
      resourceOwnerDomains: config.channels.resourceOwnerDomains,
      groupCacheTtlMs: config.access.groupCacheTtl,
      cardEditIntervalMs: config.triage.cardEditInterval,
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.publisherLeaseWaitMs !== undefined ? { leaseWaitMs: opts.publisherLeaseWaitMs } : {}),
    });
    slack = { client, publisher };
  }
  return { config, log, store, pipeline, now, ...(slack ? { slack } : {}), close: () => store.close() };
}

/** Throws CONFIG.INVALID when no bot token is configured; the services answer in Slack. */
export function requireSlackParts(slack: SlackParts | undefined): SlackParts {
  if (!slack) throw new ConfigError('Slack is not configured', ['missing environment variable SLACK_BOT_TOKEN (the bot token, xoxb-…)']);
  return slack;
}

/**
 * The intake alone (the `slack` and `findings` functions): its jobs go to `queue` and
 * run elsewhere (the `worker` function). Without a queue it still ingests and posts
 * findings, but has no services for Slack requests.
 */
export function buildIntake(config: Config, log: Logger, opts: IntakeOptions & { queue?: JobQueue }): Intake {
  const parts = buildIntakeParts(config, log, opts, () => opts.queue);
  let services: Services | undefined;
  return {
    ...parts,
    services: () => {
      if (services) return services;
      const slack = requireSlackParts(parts.slack);
      if (!opts.queue) throw new ConfigError('no worker to hand jobs to', ['missing environment variable CORDON_WORKER_FUNCTION (the worker function that runs containment, reports and bridges; serverless.yml sets it)']);
      services = buildServices({ config, store: parts.store, slack, log, now: parts.now, random: opts.random ?? Math.random, queue: opts.queue });
      return services;
    },
  };
}
