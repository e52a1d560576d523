import { loadConfig } from '../../src/config/load-config';
import { wireFrontDoor } from '../../src/front-door';
import type { Job, JobQueue } from '../../src/jobs/job-queue';
import { silentLogger } from '../../src/log';
import { SqliteStore } from '../../src/store/sqlite-store';
import { testConfigYaml } from '../support/cli-harness';

const env = { CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test' };
const config = () => loadConfig(env, () => testConfigYaml({ triageChannel: 'C0TRIAGE', extra: 'access:\n  users: { U0RESP: responder }' }));

describe('wireFrontDoor', () => {
  it('hands a containment request to its queue: the plan is a job, nothing is planned here', async () => {
    const jobs: Job[] = [];
    const queue: JobQueue = { enqueue: (j) => Promise.resolve(void jobs.push(j)) };
    const door = wireFrontDoor(config(), silentLogger, { store: SqliteStore.open(':memory:'), queue });
    try {
      const who = { userId: 'U0RESP', teamId: 'T0SANDBOX', channelId: 'C0TRIAGE' };
      const { caseId } = await door.control().actions.requestContain(who, { target: 'arn:aws:iam::222222222222:user/mallory', dryRun: false });
      expect(jobs).toEqual([expect.objectContaining({ type: 'plan', request: expect.objectContaining({ caseId, target: 'arn:aws:iam::222222222222:user/mallory' }) as unknown })]);
      expect(await door.store.listActions({})).toEqual([]);
      // The allowlist is checked here, before anything is queued.
      await expect(door.control().actions.requestContain(who, { target: 'arn:aws:iam::999999999999:user/x', dryRun: false })).rejects.toMatchObject({ code: 'ACCOUNT.NOT_ALLOWED' });
      expect(jobs).toHaveLength(1);
    } finally {
      await door.close();
    }
  });

  it('without a worker to hand jobs to, says which setting is missing', async () => {
    const door = wireFrontDoor(config(), silentLogger, { store: SqliteStore.open(':memory:') });
    try {
      expect(() => door.control()).toThrow(expect.objectContaining({ code: 'CONFIG.INVALID', problems: [expect.stringContaining('CORDON_WORKER_FUNCTION')] }) as Error);
      // Findings still go in: the front door takes them without a worker.
      expect(door.pipeline).toBeDefined();
    } finally {
      await door.close();
    }
  });
});
