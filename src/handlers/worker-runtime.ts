import { buildCordon, type Cordon } from '../app/cordon';
import { WORKER_CLIENT_OPTIONS } from '../app/intake';
import { warmOnce } from './runtime';

/** The `worker` and `ticker` functions: Cordon with its AWS side (playbooks, member-account clients). */
export const lambdaCordon: () => Promise<Cordon> = warmOnce((s) => buildCordon(s.config, s.log, { webClientOptions: WORKER_CLIENT_OPTIONS, ...(s.queue ? { queue: s.queue } : {}) }));
