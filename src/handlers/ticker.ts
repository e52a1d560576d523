import { clockTick } from '../app/clock-tick';
import { lambdaCordon } from './worker-runtime';

/** The `ticker` function, on `rate(1 minute)`: Cordon's clock on Lambda. The scheduled event carries nothing it needs: the clock is read here. */
export async function handler(_event?: unknown): Promise<{ ok: true }> {
  await clockTick(await lambdaCordon(), new Date());
  return { ok: true };
}
