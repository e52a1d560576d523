import { wire, type Cordon } from '../container';
import { warmOnce } from './runtime';

/** The `worker` and `ticker` functions: Cordon with its AWS side (playbooks, member-account clients). */
export const lambdaCordon: () => Promise<Cordon> = warmOnce((s) => wire(s.config, s.log, s.queue ? { queue: s.queue } : {}));
