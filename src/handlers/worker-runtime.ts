import { buildCordon, type Cordon } from '../app/cordon';
import { warmOnce } from './runtime';

/** The `worker` and `ticker` functions: Cordon with its AWS side (playbooks, member-account clients). */
export const lambdaCordon: () => Promise<Cordon> = warmOnce((s) => buildCordon(s.config, s.log, s.queue ? { queue: s.queue } : {}));
