import { loadConfig, type Config } from '../../src/config/load-config';
import { buildCordon, type Cordon } from '../../src/app/cordon';
import type { Job, JobQueue } from '../../src/jobs/job-queue';
import { silentLogger } from '../../src/log';
import { clockTick } from '../../src/app/clock-tick';
import { startSlack, type SlackServer } from '../../src/slack/inbound/bolt-app';
import { SlackSandbox } from '../../sandbox/slack';
import type { Store } from '../../src/store/store';
import { containmentHarness, REGION, SANDBOX } from '../support/aws';
import { testConfigYaml } from '../support/cli-harness';
import { commandBody, postSigned, SIGNING_SECRET } from '../support/slack-requests';

const RESP = 'U0RESP';

/**
 * A process that acks and records the job, then dies before running it: what the
 * in-process queue leaves in the store when the process is killed at that moment.
 */
class DiesAfterAck implements JobQueue {
  readonly accepted: Job[] = [];
  constructor(
    private readonly store: Store,
    private readonly now: () => Date,
  ) {}
  async enqueue(job: Job): Promise<void> {
    const id = `dead-${this.accepted.length}`;
    await this.store.putJob({ id, job, enqueuedAt: this.now().toISOString() });
    await this.store.acquireLease(`job:${id}`, 'proc-dead', new Date(this.now().getTime() + 30_000).toISOString(), this.now().toISOString());
    this.accepted.push(job);
  }
}

describe('jobs a dead process accepted are run by the next one, once', () => {
  let slack: SlackSandbox;
  let aws: ReturnType<typeof containmentHarness>;
  let config: Config;
  let clock: number;
  let front: SlackServer | undefined;
  let cordons: Cordon[];
  const now = () => new Date(clock);

  beforeEach(async () => {
    slack = await SlackSandbox.start({});
    slack.addUser({ id: RESP, name: 'resp' });
    const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT', RESP] });
    aws = containmentHarness();
    clock = Date.parse('2026-11-22T02:00:00.000Z');
    cordons = [];
    const yaml = testConfigYaml({ triageChannel: triage, invite: [RESP], extra: `access:\n  users: { ${RESP}: responder }\ncontainment: { untrackSeconds: 0 }` });
    config = loadConfig(
      { CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1' },
      () => yaml,
    );
  });

  afterEach(async () => {
    for (const c of cordons) await c.worker().inProcess?.idle();
    await front?.stop();
    front = undefined;
    await slack.close();
  });

  const process = (queue?: JobQueue): Cordon => {
    const c = buildCordon(config, silentLogger, { store: aws.store, clientFactory: aws.factory, now, sleep: () => Promise.resolve(), ...(queue ? { queue } : {}) });
    cordons.push(c);
    return c;
  };

  it('/ir contain acked by a process that died: the restarted one plans, posts and contains it on its first tick', async () => {
    const inst = aws.sb.createInstance({ accountId: SANDBOX, region: REGION, enis: 1, volumes: 1 });
    const dying = new DiesAfterAck(aws.store, now);
    const first = process(dying);
    front = await startSlack(config, first.services(), silentLogger);
    const res = await postSigned(`${front.address as string}/slack/events`, commandBody({ text: `contain arn:aws:ec2:${REGION}:${SANDBOX}:instance/${inst.instanceId}`, user: RESP, channel: 'C0NOWHERE', responseUrl: slack.responseUrl() }));
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(dying.accepted.map((j) => j.type)).toEqual(['plan']);
    await front.stop();
    front = undefined;
    expect(await aws.store.listActions({})).toEqual([]);

    const second = process();
    // Within the dead process's lease nothing runs; after it, the first tick picks the job up.
    clock += 10_000;
    await clockTick(second, now());
    await second.worker().inProcess!.idle();
    expect(await aws.store.listActions({})).toEqual([]);

    clock += 30_000;
    await clockTick(second, now());
    await second.worker().inProcess!.idle();
    const actions = await aws.store.listActions({});
    expect(actions.map((a) => a.status)).toEqual(['applied']);
    expect(await aws.store.listJobs(10)).toEqual([]);
    const c = (await aws.store.getCase(actions[0]!.caseId!))!;
    expect(slack.messages(c.channelId!).filter((m) => (m.text ?? '').startsWith('Contain '))).toHaveLength(1);
    const tagged = aws.sb.mutations({ accountId: SANDBOX, command: 'CreateTags' }).length;
    expect(tagged).toBeGreaterThan(0);

    // Ticking on changes nothing more.
    clock += 60_000;
    await clockTick(second, now());
    await second.worker().inProcess!.idle();
    expect((await aws.store.listActions({})).length).toBe(1);
    expect(aws.sb.mutations({ accountId: SANDBOX, command: 'CreateTags' })).toHaveLength(tagged);
  });

  it('a plan job run again after its plan was made does not plan twice; a recovered apply of an interrupted action stays put', async () => {
    const inst = aws.sb.createInstance({ accountId: SANDBOX, region: REGION });
    const cordon = process();
    const caseId = (await cordon.services().cases.forTarget({ kind: 'ec2-instance', ref: `arn:aws:ec2:${REGION}:${SANDBOX}:instance/${inst.instanceId}`, partition: 'aws', accountId: SANDBOX, region: REGION, id: inst.instanceId }, RESP)).case.id;
    await cordon.slack!.publisher.flush();
    const request = { target: `arn:aws:ec2:${REGION}:${SANDBOX}:instance/${inst.instanceId}`, requestedBy: RESP, caseId, dryRun: true, requestId: 'R-00000000-0000-4000-8000-000000000001' };
    const a1 = await cordon.worker().containmentJobs().planAndPost(request);
    const a2 = await cordon.worker().containmentJobs().planAndPost(request);
    expect(a2.id).toBe(a1.id);
    expect(await aws.store.listActions({ caseId })).toHaveLength(1);
    const c = (await aws.store.getCase(caseId))!;
    expect(slack.messages(c.channelId!).filter((m) => (m.text ?? '').startsWith('Contain '))).toHaveLength(1);

    // An action that started and died is `interrupted`: a recovered apply job leaves it for a person.
    const planned = await cordon.containment().plan({ target: request.target, requestedBy: RESP, caseId, dryRun: false });
    await cordon.containment().transition(planned.id, ['planned'], { status: 'interrupted' });
    await aws.store.putJob({ id: 'dead-apply', enqueuedAt: now().toISOString(), job: { type: 'apply', actionId: planned.id, by: RESP, target: planned.target.ref } });
    const before = aws.sb.mutations({ accountId: SANDBOX }).length;
    expect(await cordon.worker().inProcess!.recover()).toBe(1);
    await cordon.worker().inProcess!.idle();
    expect((await aws.store.getAction(planned.id))!.status).toBe('interrupted');
    expect(aws.sb.mutations({ accountId: SANDBOX })).toHaveLength(before);
    expect(await aws.store.listJobs(10)).toEqual([]);
  });
});
