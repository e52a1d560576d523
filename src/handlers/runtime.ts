import { loadConfig } from '../config/load-config';
import { wire, type Cordon } from '../container';
import { createLogger } from '../log';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { LambdaQueue } from '../jobs/lambda-queue';

let warm: Cordon | undefined;

/**
 * One wired Cordon per warm Lambda container: the config is parsed once, here, from
 * the environment the function was deployed with.
 */
export function lambdaCordon(): Cordon {
  if (!warm) {
    const config = loadConfig(process.env);
    const worker = config.env.CORDON_WORKER_FUNCTION;
    const region = config.env.AWS_REGION ?? config.regions[0] ?? 'us-east-1';
    warm = wire(config, createLogger(config.env.LOG_LEVEL), {
      ...(worker ? { queue: new LambdaQueue(new LambdaClient({ region, retryMode: 'adaptive', maxAttempts: 3 }), worker) } : {}),
    });
  }
  return warm;
}

/** Tests hand in their own wiring. */
export function setLambdaCordon(c: Cordon | undefined): void {
  warm = c;
}
