import { loadConfig } from '../../../src/config/load-config';
import { buildCordon } from '../../../src/app/cordon';
import type { Job, JobQueue } from '../../../src/jobs/job-queue';
import { jobFromEvent } from '../../../src/jobs/lambda-queue';
import { handler as slackHandler } from '../../../src/handlers/slack';
import { handler as workerHandler } from '../../../src/handlers/worker';
import { handler as tickerHandler } from '../../../src/handlers/ticker';
import { setLambdaCordon } from '../../../src/handlers/runtime';
import { silentLogger } from '../../../src/log';
import { SlackSandbox } from '../../../sandbox/slack';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../../sandbox/dynamodb/local-dynamodb';
import { DynamoDbStore } from '../../../src/store/dynamodb-store';
import { SqliteStore } from '../../../src/store/sqlite-store';
import type { Store } from '../../../src/store/store';
import { containmentHarness, REGION, SANDBOX } from '../../support/aws';
import { testConfigYaml } from '../../support/cli-harness';
import { commandBody, SIGNING_SECRET, slackHeaders } from '../../support/slack-requests';

class CapturingQueue implements JobQueue {
  readonly jobs: Job[] = [];
  enqueue(job: Job): Promise<void> {
    // What the Lambda adapter sends is what the worker reads back.
    const roundTrip = jobFromEvent(JSON.parse(JSON.stringify({ cordonJob: job })));
    if (!roundTrip) throw new Error('job does not survive the Lambda payload');
    this.jobs.push(roundTrip);
    return Promise.resolve();
  }
}

let local: LocalDynamoDb;
beforeAll(async () => {
  local = await startLocalDynamoDb();
});
afterAll(async () => {
  await local.close();
});

/** The stores a Lambda deployment may use: DynamoDB (what serverless.yml sets) and SQLite. */
const STORES: [string, () => Promise<Store>][] = [
  ['DynamoDB', async () => {
    const client = local.client();
    const table = `handlers-${Date.now()}`;
    await DynamoDbStore.createTable(client, table);
    return new DynamoDbStore({ client, tableName: table, ownsClient: true });
  }],
  ['SQLite', () => Promise.resolve(SqliteStore.open(':memory:'))],
];

describe.each(STORES)('Lambda handlers on %s: slack acks and enqueues, the worker contains', (_name, makeStore) => {
  afterEach(() => setLambdaCordon(undefined));

  it('a /ir contain through the slack handler makes no mutating AWS call; the worker invocation makes them', async () => {
    const slack = await SlackSandbox.start({});
    try {
      slack.addUser({ id: 'U0RESP', name: 'resp' });
      const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT', 'U0RESP'] });
      const aws = containmentHarness();
      const inst = aws.sb.createInstance({ accountId: SANDBOX, region: REGION });
      const queue = new CapturingQueue();
      const config = loadConfig(
        { CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl },
        () => testConfigYaml({ triageChannel: triage, invite: ['U0RESP'], extra: 'access:\n  users: { U0RESP: responder }\ncontainment: { untrackSeconds: 0 }' }),
      );
      const cordon = buildCordon(config, silentLogger, { store: await makeStore(), clientFactory: aws.factory, queue, sleep: () => Promise.resolve() });
      setLambdaCordon(cordon);

      const body = commandBody({ text: `contain arn:aws:ec2:${REGION}:${SANDBOX}:instance/${inst.instanceId}`, user: 'U0RESP', channel: triage, responseUrl: slack.responseUrl() });
      const t0 = Date.now();
      const res = await slackHandler(
        {
          version: '2.0',
          routeKey: 'POST /slack/events',
          rawPath: '/slack/events',
          rawQueryString: '',
          headers: slackHeaders(body),
          body,
          isBase64Encoded: false,
          requestContext: { http: { method: 'POST', path: '/slack/events' } },
        },
        {},
      );
      expect(res.statusCode).toBe(200);
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(aws.sb.mutations()).toEqual([]);
      expect(queue.jobs.map((j) => j.type)).toEqual(['plan']);

      await workerHandler({ cordonJob: queue.jobs[0] });
      expect(aws.sb.mutations()).toEqual([]);
      expect(queue.jobs.map((j) => j.type)).toEqual(['plan', 'apply']);
      await workerHandler({ cordonJob: queue.jobs[1] });
      expect(aws.sb.mutations({ command: 'ModifyNetworkInterfaceAttribute' }).length).toBeGreaterThan(0);
      expect((await cordon.store.listActions({}))[0]?.status).toBe('applied');

      expect(await workerHandler({ cordonJob: { type: 'apply', actionId: 'nope' } })).toEqual({ ok: false });
      expect(await tickerHandler()).toEqual({ ok: true });
    } finally {
      await slack.close();
    }
  });
});

describe('jobFromEvent', () => {
  it('reads a report job and refuses one with a malformed case id', () => {
    const job = { type: 'report', caseId: 'IR-20261125-7Q3F', by: 'U0VIEW', channelId: 'C0CASE' };
    expect(jobFromEvent({ cordonJob: job })).toEqual(job);
    expect(jobFromEvent({ cordonJob: { ...job, caseId: '../../etc' } })).toBeUndefined();
  });
});
