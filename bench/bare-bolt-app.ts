/*
 * The memory benchmark's baseline (issue 19 point 6): a bare Bolt HTTP app with pino, as
 * little as a Slack bot can be: one command listener, the HTTP receiver `cordon serve`
 * uses, and pino as Bolt's logger. Run as its own process by memory-bench.ts.
 */
import { App, HTTPReceiver, LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import pino from 'pino';

const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' });
const bolt: BoltLogger = {
  debug: (...m: unknown[]) => log.debug(m.join(' ')),
  info: (...m: unknown[]) => log.info(m.join(' ')),
  warn: (...m: unknown[]) => log.warn(m.join(' ')),
  error: (...m: unknown[]) => log.error(m.join(' ')),
  setLevel: () => undefined,
  getLevel: () => LogLevel.WARN,
  setName: () => undefined,
};

async function main(): Promise<void> {
  const receiver = new HTTPReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET ?? '', logger: bolt });
  const app = new App({ token: process.env.SLACK_BOT_TOKEN ?? '', receiver, logger: bolt, logLevel: LogLevel.WARN, clientOptions: { slackApiUrl: process.env.SLACK_API_URL ?? '' } });
  app.command('/ir', async ({ ack }) => {
    await ack('ok');
  });
  await receiver.start({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });
  log.info('bare bolt app listening');
}

void main();
