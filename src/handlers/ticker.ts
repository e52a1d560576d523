import { clockTick } from '../services/clock-tick';
import { lambdaCordon } from './runtime';

/** The `ticker` function, on `rate(1 minute)`: Cordon's clock on Lambda. */
export async function handler(): Promise<{ ok: true }> {
  await clockTick(await lambdaCordon(), new Date());
  return { ok: true };
}
