import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { Config } from '../../config/load-config';
import { requireSlack } from '../../config/load-config';
import type { Logger } from '../../log';
import { SlackHealth, type SlackProbe } from '../outbound/slack-health';
import { slackLogger } from '../slack-logger';
import type { ListenerServices } from './listener-services';
import { registerListeners } from './register';

/** A running Slack server: the Bolt app, its address in HTTP mode, and how to stop it. */
export interface SlackServer {
  app: App;
  mode: 'http' | 'socket';
  /** `http://host:port` in HTTP mode. */
  address?: string;
  stop(): Promise<void>;
}

/** What `cordon serve` already knows about Slack when the listeners start. */
export interface SlackStartOptions {
  /** Asks Slack and keeps the last answer, shown by `/healthz` (default: a new one). */
  health?: SlackHealth;
  /** What `health` answered at start; asked here when absent. */
  probe?: SlackProbe;
}

/**
 * Socket Mode when `SLACK_APP_TOKEN` is set, else Bolt's HTTP receiver on `PORT`
 * (events, commands and interactions all at `POST /slack/events`, plus `GET /healthz`).
 */
export async function startSlack(config: Config, deps: ListenerServices, log: Logger, opts: SlackStartOptions = {}): Promise<SlackServer> {
  const store = deps.store;
  const slack = requireSlack(config, { signingSecret: true });
  const clientOptions = config.env.SLACK_API_URL ? { slackApiUrl: config.env.SLACK_API_URL } : {};
  const logger = slackLogger(log);
  const health = opts.health ?? new SlackHealth(slack.botToken, config.env.SLACK_API_URL, log);
  const probe = opts.probe ?? (await health.probe());
  if (probe.status === 'refused') throw health.tokenError(probe);
  // Bolt's own token check is an `auth.test` in its constructor that nobody awaits: a
  // refused token or an unreachable Slack there ends the process with an unhandled
  // rejection. So Cordon asks first (above) and hands Bolt the bot's ids; with Slack
  // unreachable at start, Bolt asks on each request instead, where its error handler sees a failure.
  const identity = {
    tokenVerificationEnabled: false,
    ...(probe.status === 'ok' && probe.botId ? { botId: probe.botId } : {}),
    ...(probe.status === 'ok' && probe.botUserId ? { botUserId: probe.botUserId } : {}),
  };
  // 200 while the store answers, even with Slack down: restarting Cordon does not bring
  // Slack back, and the store keeps what arrives meanwhile. The body says what is degraded.
  const healthz = async (res: { writeHead: (s: number, h: Record<string, string>) => void; end: (b: string) => void }) => {
    const slackState = health.report();
    try {
      await store.ping();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, store: 'ok', slack: slackState }));
    } catch {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'store unreachable', store: 'unreachable', slack: slackState }));
    }
  };
  const customRoutes = [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req: unknown, res: Parameters<typeof healthz>[0]) => {
        void healthz(res);
      },
    },
  ];

  if (slack.appToken) {
    const app = new App({
      token: slack.botToken,
      appToken: slack.appToken,
      socketMode: true,
      logger,
      logLevel: LogLevel.WARN,
      clientOptions,
      extendedErrorHandler: true,
      customRoutes,
      installerOptions: { port: config.env.PORT },
      ...identity,
    });
    registerListeners(app, deps, { teamId: config.workspace.teamId, log });
    // Not awaited: with Slack unreachable the Socket Mode client retries opening its
    // connection for as long as it takes, and Cordon's clock, store and stop signal must
    // not wait behind it.
    const started = app.start().then(
      () => log.info({ mode: 'socket' }, 'slack connected over Socket Mode'),
      (err: unknown) => log.error({ err, mode: 'socket' }, 'Socket Mode could not connect; Slack requests will not arrive until Cordon restarts'),
    );
    log.info({ mode: 'socket' }, 'connecting to Slack over Socket Mode');
    return {
      app,
      mode: 'socket',
      stop: async () => {
        await app.stop();
        await Promise.race([started, new Promise((r) => setTimeout(r, 1000).unref())]);
      },
    };
  }

  const receiver = new HTTPReceiver({
    signingSecret: slack.signingSecret as string,
    logger,
    customRoutes,
    // Bolt would otherwise hang for 3 s on routes it does not know.
    unhandledRequestTimeoutMillis: 2900,
  });
  const app = new App({ token: slack.botToken, receiver, logger, logLevel: LogLevel.WARN, clientOptions, extendedErrorHandler: true, ...identity });
  registerListeners(app, deps, { teamId: config.workspace.teamId, log });
  const server = (await receiver.start({ port: config.env.PORT, host: config.env.HOST }));
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const address = `http://${host}:${addr.port}`;
  log.info({ mode: 'http', address, events: `${address}/slack/events`, healthz: `${address}/healthz` }, `listening on ${address}`);
  return { app, mode: 'http', address, stop: () => receiver.stop() };
}
