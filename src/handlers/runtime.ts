import { loadConfig } from '../config/load-config';
import { wire, type Cordon } from '../container';
import { createLogger } from '../log';

let warm: Cordon | undefined;

/**
 * One wired Cordon per warm Lambda container: the config is parsed once, here, from
 * the environment the function was deployed with.
 */
export function lambdaCordon(): Cordon {
  if (!warm) {
    const config = loadConfig(process.env);
    warm = wire(config, createLogger(config.env.LOG_LEVEL));
  }
  return warm;
}

/** Tests hand in their own wiring. */
export function setLambdaCordon(c: Cordon | undefined): void {
  warm = c;
}
