import { App, AwsLambdaReceiver, LogLevel } from '@slack/bolt';
import { LISTENER_CLIENT_OPTIONS } from '../app/intake';
import { requireSlack } from '../config/load-config';
import { registerListeners } from '../slack/inbound/register';
import { slackLogger } from '../slack/slack-logger';
import { lambdaIntake } from './runtime';

type LambdaHandler = Awaited<ReturnType<AwsLambdaReceiver['start']>>;

let started: { handler: LambdaHandler; for: unknown } | undefined;

async function boltHandler(): Promise<LambdaHandler> {
  const cordon = await lambdaIntake();
  // One Bolt app per warm container; a new Cordon (tests set one) gets its own.
  if (started?.for === cordon) return started.handler;
  const slack = requireSlack(cordon.config, { signingSecret: true });
  const logger = slackLogger(cordon.log);
  const receiver = new AwsLambdaReceiver({ signingSecret: slack.signingSecret as string, logger });
  const app = new App({
    token: slack.botToken,
    receiver,
    logger,
    logLevel: LogLevel.WARN,
    extendedErrorHandler: true,
    clientOptions: {
      ...(cordon.config.env.SLACK_API_URL ? { slackApiUrl: cordon.config.env.SLACK_API_URL } : {}),
      // WebClient's default retries wait up to ~30 minutes; a Lambda has seconds.
      ...LISTENER_CLIENT_OPTIONS,
    },
  });
  registerListeners(app, cordon.services(), { teamId: cordon.config.workspace.teamId, log: cordon.log });
  started = { handler: await receiver.start(), for: cordon };
  return started.handler;
}

/** API Gateway (HTTP API) → Bolt. Two arguments, as AwsLambdaReceiver's handler takes. */
export async function handler(event: Parameters<LambdaHandler>[0], context: Parameters<LambdaHandler>[1]): ReturnType<LambdaHandler> {
  const h = await boltHandler();
  return h(event, context);
}
