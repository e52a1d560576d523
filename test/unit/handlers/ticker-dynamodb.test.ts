import { buildCordon, type Cordon } from '../../../src/app/cordon';
import { loadConfig } from '../../../src/config/load-config';
import { PRINCIPAL_CHECK_GRACE_MS } from '../../../src/domain/findings/principal-check';
import { handler as findings } from '../../../src/handlers/findings';
import { setLambdaCordon } from '../../../src/handlers/runtime';
import { handler as ticker } from '../../../src/handlers/ticker';
import type { Job } from '../../../src/jobs/job-queue';
import { silentLogger } from '../../../src/log';
import { ActionId } from '../../../src/slack/ids';
import { DynamoDbStore } from '../../../src/store/dynamodb-store';
import { DeleteItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../../sandbox/dynamodb/local-dynamodb';
import { makeFindingDetail, toEventBridgeEvent } from '../../../sandbox/findings/finding-factory';
import { SlackSandbox } from '../../../sandbox/slack';
import { containmentHarness, PROD } from '../../support/aws';
import { testConfigYaml } from '../../support/cli-harness';

/**
 * The serverless path of the principal-check sweep, on DynamoDB: the `findings` function stores
 * a finding whose check it cannot hand to the worker (the async Invoke is refused), and the
 * `ticker` function, past the grace period, asks the worker again.
 */
describe('ticker Lambda on DynamoDB: a principal check the findings function could not queue', () => {
  let local: LocalDynamoDb;
  let slack: SlackSandbox;
  let cordon: Cordon;

  beforeAll(async () => {
    local = await startLocalDynamoDb();
  });

  afterAll(async () => {
    await local.close();
  });

  afterEach(async () => {
    setLambdaCordon(undefined);
    await cordon.close();
    await slack.close();
  });

  /**
   * Cordon on DynamoDB as the Lambda functions wire it, and a finding about `userName`'s key
   * stored by the findings function while the worker's Invoke is refused (`up()` lets it run).
   */
  async function storedWhileWorkerDown(userName: string, keyId: string) {
    const t = { now: Date.parse('2026-12-01T10:00:00.000Z') };
    const aws = containmentHarness({ clock: { now: () => t.now, sleep: (ms) => void (t.now += ms) } });
    const user = aws.sb.createUser(PROD, userName);
    slack = await SlackSandbox.start({});
    const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
    const client = local.client();
    const table = `ticker-ddb-${Math.random().toString(36).slice(2, 8)}`;
    await DynamoDbStore.createTable(client, table);
    const store = new DynamoDbStore({ client, tableName: table, ownsClient: true });
    // The worker Lambda, invoked asynchronously: refused while `down` (Lambda throttles the Invoke), else run.
    const worker = { down: true };
    const ran: Job[] = [];
    const queue = {
      enqueue: async (job: Job): Promise<void> => {
        if (worker.down) throw Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
        ran.push(job);
        await cordon.worker().run(job);
      },
    };
    const config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-t', SLACK_API_URL: slack.apiUrl }, () => testConfigYaml({ triageChannel: triage }));
    cordon = buildCordon(config, silentLogger, { store, queue, clientFactory: aws.factory, now: () => new Date(t.now), sleep: () => Promise.resolve(), principalChecks: true });
    setLambdaCordon(cordon);
    const d = makeFindingDetail({ accessKeyId: keyId, userName });
    await findings(toEventBridgeEvent({ ...d, resource: { ...(d.resource as object), accessKeyDetails: { accessKeyId: keyId, principalId: user.userId, userName, userType: 'IAMUser' } } }));
    return { t, user, client, table, store, ran, id: String(d.id), up: () => void (worker.down = false) };
  }

  /** The case channel's card of finding `id`, as blocks text. */
  function cardOf(id: string): string {
    const channel = slack.channels().find((c) => c.name.startsWith('ir-'))!;
    return JSON.stringify(slack.messages(channel.id).find((m) => JSON.stringify(m.blocks ?? []).includes(id))?.blocks ?? []);
  }

  it('is asked for again by the next tick past the grace period, and the card shows the verdict', async () => {
    const { t, user, store, ran, id, up } = await storedWhileWorkerDown('alice', 'AKIATICKERCHECK00001');
    expect((await store.getFinding(id))!.principalCheck).toMatchObject({ status: 'pending', requestedAt: new Date(t.now).toISOString() });
    expect(await store.pendingPrincipalChecks(new Date(t.now).toISOString(), 10)).toHaveLength(1);

    up();
    t.now += PRINCIPAL_CHECK_GRACE_MS;
    await ticker({});
    expect(ran.filter((j) => j.type === 'principal-check')).toHaveLength(1);
    expect((await store.getFinding(id))!.principalCheck).toMatchObject({ status: 'verified', foundId: user.userId, reasks: 1 });
    expect(await store.pendingPrincipalChecks(new Date(t.now + 3_600_000).toISOString(), 10)).toEqual([]);
    // The same tick's flush edited the card (the sweep runs before it).
    expect(cardOf(id)).toContain(`its UserId ${user.userId} matches the finding`);
    expect(cardOf(id)).toContain(ActionId.CONTAIN);
  });

  it("indexes a check an older Cordon left pending without the sweep's index entry, and asks for it in the same tick", async () => {
    const { t, user, client, table, store, id, up } = await storedWhileWorkerDown('bob', 'AKIATICKERCHECK00002');
    // As an older Cordon left it: pending, and no entry in the sweep's index.
    const pk = { S: 'IDX#finding-check-pending' };
    const items = (await client.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk } }))).Items ?? [];
    for (const it of items) await client.send(new DeleteItemCommand({ TableName: table, Key: { pk, sk: it.sk! } }));
    expect(await store.pendingPrincipalChecks(new Date(t.now + 3_600_000).toISOString(), 10)).toEqual([]);

    up();
    t.now += PRINCIPAL_CHECK_GRACE_MS;
    await ticker({});
    expect((await store.getFinding(id))!.principalCheck).toMatchObject({ status: 'verified', foundId: user.userId });
    expect(cardOf(id)).toContain(`its UserId ${user.userId} matches the finding`);
    expect(cardOf(id)).toContain(ActionId.CONTAIN);
  });
});
