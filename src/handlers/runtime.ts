import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError, EXTERNAL_ID_PARAMETER, loadConfig, parseEnv, type Config } from '../config/load-config';
import type { Cordon } from '../app/cordon';
import { buildIntake, FINDINGS_CLIENT_OPTIONS, FINDINGS_LEASE_WAIT_MS, LISTENER_CLIENT_OPTIONS, type Intake } from '../app/intake';
import { LambdaQueue } from '../jobs/lambda-queue';
import type { JobQueue } from '../jobs/job-queue';
import { createLogger, type Logger } from '../log';

/** SSM parameter name (under the prefix) → environment variable it fills. */
const SECRETS: Record<string, string> = { 'slack-bot-token': 'SLACK_BOT_TOKEN', 'slack-signing-secret': 'SLACK_SIGNING_SECRET', [EXTERNAL_ID_PARAMETER]: 'CORDON_EXTERNAL_ID' };
/** Needed only where containment is configured (the config says so when it is missing). */
const OPTIONAL = new Set([EXTERNAL_ID_PARAMETER]);

/**
 * Secrets never sit in the function's configuration: with `CORDON_SSM_PREFIX` set they
 * are read (decrypted) from SSM once per cold start.
 */
async function environment(env: Record<string, string | undefined>): Promise<Record<string, string | undefined>> {
  const prefix = parseEnv(env).CORDON_SSM_PREFIX;
  if (!prefix) return env;
  const names = Object.keys(SECRETS).map((n) => `${prefix}${n}`);
  const ssm = new SSMClient({ retryMode: 'adaptive', maxAttempts: 5 });
  const res = await ssm.send(new GetParametersCommand({ Names: names, WithDecryption: true }));
  const missing = (res.InvalidParameters ?? []).filter((n) => !OPTIONAL.has(n.slice(prefix.length)));
  if (missing.length) {
    throw new ConfigError('SSM parameters are missing', missing.map((n) => `${n}: not found in SSM (see README, Deploying)`));
  }
  const filled = { ...env };
  for (const p of res.Parameters ?? []) {
    const key = p.Name ? SECRETS[p.Name.slice(prefix.length)] : undefined;
    if (key && p.Value) filled[key] = p.Value;
  }
  return filled;
}

/** What every function is wired from: the config (parsed once, here), a logger and the worker queue. */
export interface LambdaSetting {
  config: Config;
  log: Logger;
  /** The `worker` function, when `CORDON_WORKER_FUNCTION` names it. */
  queue?: JobQueue;
}

async function setting(): Promise<LambdaSetting> {
  const config = loadConfig(await environment(process.env));
  const worker = config.env.CORDON_WORKER_FUNCTION;
  const region = config.env.AWS_REGION ?? config.regions[0] ?? 'us-east-1';
  return {
    config,
    log: createLogger(config.env.LOG_LEVEL, undefined, [config.env.SLACK_BOT_TOKEN, config.env.SLACK_SIGNING_SECRET, config.env.SLACK_APP_TOKEN, config.containmentRole?.externalId]),
    ...(worker ? { queue: new LambdaQueue(new LambdaClient({ region, retryMode: 'adaptive', maxAttempts: 3 }), worker) } : {}),
  };
}

let given: Cordon | undefined;

/**
 * Once per warm container: the wiring `build` makes from the function's environment (plus
 * its SSM secrets). A failed cold start does not poison the container: the next invocation
 * tries again. Tests hand in their own wiring with {@link setLambdaCordon}.
 */
export function warmOnce<T>(build: (s: LambdaSetting) => T): () => Promise<T | Cordon> {
  let warm: Promise<T> | undefined;
  return () => {
    if (given) return Promise.resolve(given);
    warm ??= setting()
      .then(build)
      .catch((err: unknown) => {
        warm = undefined;
        throw err;
      });
    return warm;
  };
}

/** The `findings` function: the intake, with a WebClient that waits out short rate limits (no ack to send). */
export const lambdaFindingsIntake: () => Promise<Intake> = warmOnce((s) =>
  buildIntake(s.config, s.log, { webClientOptions: FINDINGS_CLIENT_OPTIONS, publisherLeaseWaitMs: FINDINGS_LEASE_WAIT_MS, ...(s.queue ? { queue: s.queue } : {}) }),
);

/** The `slack` function: the intake, whose jobs the `worker` function runs. */
export const lambdaIntake: () => Promise<Intake> = warmOnce((s) =>
  // The services the listeners call edit messages with this client: bounded, so no edit outlasts the function.
  buildIntake(s.config, s.log, { webClientOptions: LISTENER_CLIENT_OPTIONS, ...(s.queue ? { queue: s.queue } : {}) }),
);

/** Tests hand in their own wiring (used by every function). */
export function setLambdaCordon(c: Cordon | undefined): void {
  given = c;
}
