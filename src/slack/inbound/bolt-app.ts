import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { Config } from '../../config/load-config';
import { requireSlack } from '../../config/load-config';
import type { Logger } from '../../log';
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

/**
 * Socket Mode when `SLACK_APP_TOKEN` is set, else Bolt's HTTP receiver on `PORT`
 * (events, commands and interactions all at `POST /slack/events`, plus `GET /healthz`).
 */
export async function startSlack(config: Config, deps: ListenerServices, log: Logger): Promise<SlackServer> {
  const store = deps.store;
  const slack = requireSlack(config, { signingSecret: true });
  const clientOptions = config.env.SLACK_API_URL ? { slackApiUrl: config.env.SLACK_API_URL } : {};
  const logger = slackLogger(log);
  const healthz = async (res: { writeHead: (s: number, h: Record<string, string>) => void; end: (b: string) => void }) => {
    try {
      await store.ping();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    } catch {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"ok":false,"error":"store unreachable"}');
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
    });
    registerListeners(app, deps, { teamId: config.workspace.teamId, log });
    await app.start();
    log.info({ mode: 'socket' }, 'slack connected over Socket Mode');
    return { app, mode: 'socket', stop: () => app.stop() as Promise<void> };
  }

  const receiver = new HTTPReceiver({
    signingSecret: slack.signingSecret as string,
    logger,
    customRoutes,
    // Bolt would otherwise hang for 3 s on routes it does not know.
    unhandledRequestTimeoutMillis: 2900,
  });
  const app = new App({ token: slack.botToken, receiver, logger, logLevel: LogLevel.WARN, clientOptions, extendedErrorHandler: true });
  registerListeners(app, deps, { teamId: config.workspace.teamId, log });
  const server = (await receiver.start({ port: config.env.PORT, host: config.env.HOST }));
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const address = `http://${host}:${addr.port}`;
  log.info({ mode: 'http', address, events: `${address}/slack/events`, healthz: `${address}/healthz` }, `listening on ${address}`);
  return { app, mode: 'http', address, stop: () => receiver.stop() };
}
