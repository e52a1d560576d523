import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError, loadConfig, parseEnv } from '../config/load-config';
import { wire, type Cordon } from '../container';
import { LambdaQueue } from '../jobs/lambda-queue';
import { createLogger } from '../log';

let warm: Promise<Cordon> | undefined;

/** SSM parameter name (under the prefix) → environment variable it fills. */
const SECRETS: Record<string, string> = { 'slack-bot-token': 'SLACK_BOT_TOKEN', 'slack-signing-secret': 'SLACK_SIGNING_SECRET' };

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
  if (res.InvalidParameters?.length) {
    throw new ConfigError('SSM parameters are missing', res.InvalidParameters.map((n) => `${n}: not found in SSM (see README, Deploying)`));
  }
  const filled = { ...env };
  for (const p of res.Parameters ?? []) {
    const key = p.Name ? SECRETS[p.Name.slice(prefix.length)] : undefined;
    if (key && p.Value) filled[key] = p.Value;
  }
  return filled;
}

/**
 * One wired Cordon per warm Lambda container: the config is parsed once, here, from
 * the environment the function was deployed with (plus its SSM secrets).
 */
export function lambdaCordon(): Promise<Cordon> {
  warm ??= (async () => {
    const config = loadConfig(await environment(process.env));
    const worker = config.env.CORDON_WORKER_FUNCTION;
    const region = config.env.AWS_REGION ?? config.regions[0] ?? 'us-east-1';
    return wire(config, createLogger(config.env.LOG_LEVEL), {
      ...(worker ? { queue: new LambdaQueue(new LambdaClient({ region, retryMode: 'adaptive', maxAttempts: 3 }), worker) } : {}),
    });
  })().catch((err: unknown) => {
    // A failed cold start must not poison the container: the next invocation tries again.
    warm = undefined;
    throw err;
  });
  return warm;
}

/** Tests hand in their own wiring. */
export function setLambdaCordon(c: Cordon | undefined): void {
  warm = c ? Promise.resolve(c) : undefined;
}
