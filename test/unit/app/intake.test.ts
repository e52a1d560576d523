import { loadConfig } from '../../../src/config/load-config';
import { buildIntake } from '../../../src/app/intake';
import { buildCordon } from '../../../src/app/cordon';
import type { Job, JobQueue } from '../../../src/jobs/job-queue';
import { silentLogger } from '../../../src/log';
import { SqliteStore } from '../../../src/store/sqlite-store';
import { testConfigYaml } from '../../support/cli-harness';

const env = { CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test' };
const config = () => loadConfig(env, () => testConfigYaml({ triageChannel: 'C0TRIAGE', extra: 'access:\n  users: { U0RESP: responder }' }));

describe('buildIntake', () => {
  it('hands a containment request to its queue: the plan is a job, nothing is planned here', async () => {
    const jobs: Job[] = [];
    const queue: JobQueue = { enqueue: (j) => Promise.resolve(void jobs.push(j)) };
    const door = buildIntake(config(), silentLogger, { store: SqliteStore.open(':memory:'), queue });
    try {
      const who = { userId: 'U0RESP', teamId: 'T0SANDBOX', channelId: 'C0TRIAGE' };
      const { caseId } = await door.services().actions.requestContain(who, { target: 'arn:aws:iam::222222222222:user/mallory', dryRun: false });
      expect(jobs).toEqual([expect.objectContaining({ type: 'plan', request: expect.objectContaining({ caseId, target: 'arn:aws:iam::222222222222:user/mallory' }) as unknown })]);
      expect(await door.store.listActions({})).toEqual([]);
      // The allowlist is checked here, before anything is queued.
      await expect(door.services().actions.requestContain(who, { target: 'arn:aws:iam::999999999999:user/x', dryRun: false })).rejects.toMatchObject({ code: 'ACCOUNT.NOT_ALLOWED' });
      expect(jobs).toHaveLength(1);
    } finally {
      await door.close();
    }
  });

  it('without a worker to hand jobs to, says which setting is missing', async () => {
    const door = buildIntake(config(), silentLogger, { store: SqliteStore.open(':memory:') });
    try {
      expect(() => door.services()).toThrow(expect.objectContaining({ code: 'CONFIG.INVALID', problems: [expect.stringContaining('CORDON_WORKER_FUNCTION')] }) as Error);
      // Findings still go in: the intake takes them without a worker.
      expect(door.pipeline).toBeDefined();
    } finally {
      await door.close();
    }
  });
});

describe('features follow the config, not unrelated keys', () => {
  const withoutRole = () => loadConfig(env, () => testConfigYaml({ triageChannel: 'C0TRIAGE', extra: 'access:\n  users: { U0RESP: responder }' }).replace(/^containmentRole:.*$/m, ''));

  it('without containmentRole, everything but containment is there, and containment says which key is missing', async () => {
    const jobs: Job[] = [];
    const queue: JobQueue = { enqueue: (j) => Promise.resolve(void jobs.push(j)) };
    const door = buildIntake(withoutRole(), silentLogger, { store: SqliteStore.open(':memory:'), queue });
    try {
      const services = door.services();
      expect(services.escalation).toBeDefined();
      expect(services.cases).toBeDefined();
      expect(services.actions).toBeDefined();
      const who = { userId: 'U0RESP', teamId: 'T0SANDBOX', channelId: 'C0TRIAGE' };
      await expect(services.actions.requestContain(who, { target: 'arn:aws:iam::222222222222:user/mallory', dryRun: false })).rejects.toMatchObject({
        code: 'CONFIG.INVALID',
        message: expect.stringContaining('containmentRole') as unknown,
      });
      expect(jobs).toEqual([]);
    } finally {
      await door.close();
    }
  });

  it('the AWS side builds its services and worker without containmentRole; containment alone refuses', async () => {
    const cordon = buildCordon(withoutRole(), silentLogger, { store: SqliteStore.open(':memory:') });
    try {
      expect(cordon.services().escalation).toBeDefined();
      expect(cordon.worker().inProcess).toBeDefined();
      expect(() => cordon.containment()).toThrow(expect.objectContaining({ code: 'CONFIG.INVALID', problems: [expect.stringContaining('containmentRole')] }) as Error);
      expect(() => cordon.worker().containmentJobs()).toThrow(expect.objectContaining({ code: 'CONFIG.INVALID' }) as Error);
    } finally {
      await cordon.close();
    }
  });
});
