import { buildCordon, type Cordon } from '../../src/app/cordon';
import { clockTick } from '../../src/app/clock-tick';
import { LISTENER_CLIENT_OPTIONS } from '../../src/app/intake';
import { loadConfig } from '../../src/config/load-config';
import type { Job, JobQueue } from '../../src/jobs/job-queue';
import { silentLogger } from '../../src/log';
import { SlackSandbox } from '../../sandbox/slack';
import { containmentHarness } from '../support/aws';
import { testConfigYaml } from '../support/cli-harness';
import { anAction } from '../unit/domain/reports/report-fixtures';

const CMD1 = 'U0CMDA';
const CMD2 = 'U0CMDB';

/** A queue that records what it is handed and, when told to, loses it (a hand-over that never arrived). */
class RecordingQueue implements JobQueue {
  readonly jobs: { job: Job; updatesBefore: number }[] = [];
  lose = false;
  constructor(private readonly slack: SlackSandbox) {}
  enqueue(job: Job): Promise<void> {
    if (!this.lose) this.jobs.push({ job, updatesBefore: this.slack.calls('chat.update').length });
    return Promise.resolve();
  }
}

/** Issue 16 point 2: a click never leaves an action stuck, whatever Slack answers to the cosmetic edit. */
describe('an approval never leaves an action stuck', () => {
  let slack: SlackSandbox;
  let cordon: Cordon;
  let queue: RecordingQueue;
  let clock: number;
  let ch: string;

  beforeEach(async () => {
    slack = await SlackSandbox.start({ retryAfterSeconds: 60 });
    for (const id of [CMD1, CMD2]) slack.addUser({ id, name: id.toLowerCase() });
    const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
    ch = slack.addChannel({ name: 'ir-case', members: ['UBOT', CMD1, CMD2] });
    const aws = containmentHarness();
    const yaml = testConfigYaml({ triageChannel: triage, extra: `access:\n  users: { ${CMD1}: commander, ${CMD2}: commander }\n  approvals:\n    - { name: production needs two people, environments: [production] }` });
    const config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.apiUrl }, () => yaml);
    queue = new RecordingQueue(slack);
    clock = Date.parse('2026-11-25T02:10:00.000Z');
    // The client the `slack` function's services get (src/handlers/runtime.ts).
    cordon = buildCordon(config, silentLogger, { store: aws.store, clientFactory: aws.factory, queue, webClientOptions: LISTENER_CLIENT_OPTIONS, now: () => new Date(clock) });
    const msg = await cordon.slack!.client.chat.postMessage({ channel: ch, text: 'Contain iam-user' });
    await cordon.store.insertAction(anAction({ caseId: undefined, status: 'pending_approval', requestedBy: CMD1, messageChannel: ch, messageTs: msg.ts, expiresAt: '2026-11-25T03:00:00.000Z', updatedAt: '2026-11-25T02:09:00.000Z' }));
  });

  afterEach(() => slack.close());

  it('with Slack answering 429 to the edit, the apply job is handed over first and the click returns at once', async () => {
    slack.setRateLimits({ 'chat.update': { perMinute: 0 } });
    const t0 = Date.now();
    const approved = await cordon.services().actions.approve({ userId: CMD2, teamId: 'T0SANDBOX', channelId: ch }, 'A-20261125020900-ab12');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(approved.status).toBe('approved');
    expect(queue.jobs.map((j) => j.job)).toEqual([{ type: 'apply', actionId: 'A-20261125020900-ab12', by: CMD2, target: 'arn:aws:iam::111111111111:user/build' }]);
    // Handed over before any edit was even tried; the edit itself was refused (429) and not waited on.
    expect(queue.jobs[0]!.updatesBefore).toBe(0);
    expect(slack.calls('chat.update').map((c) => c.httpStatus)).toEqual([429]);
  });

  it('the ticker starts an approved action whose hand-over was lost, once it is stale, and only then', async () => {
    queue.lose = true;
    await cordon.services().actions.approve({ userId: CMD2, teamId: 'T0SANDBOX', channelId: ch }, 'A-20261125020900-ab12');
    queue.lose = false;
    expect(queue.jobs).toEqual([]);
    await clockTick(cordon, new Date(clock));
    expect(queue.jobs).toEqual([]);
    clock += 61_000;
    await clockTick(cordon, new Date(clock));
    expect(queue.jobs.map((j) => j.job)).toEqual([{ type: 'apply', actionId: 'A-20261125020900-ab12', by: CMD2, target: 'arn:aws:iam::111111111111:user/build' }]);
  });
});
