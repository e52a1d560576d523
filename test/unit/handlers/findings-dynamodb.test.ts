import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../../src/config/load-config';
import { buildCordon, type Cordon } from '../../../src/app/cordon';
import { FINDINGS_CLIENT_OPTIONS, FINDINGS_LEASE_WAIT_MS } from '../../../src/app/intake';
import { handler } from '../../../src/handlers/findings';
import { setLambdaCordon } from '../../../src/handlers/runtime';
import { silentLogger } from '../../../src/log';
import { DynamoDbStore } from '../../../src/store/dynamodb-store';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../../sandbox/dynamodb/local-dynamodb';
import type { LatencyTransport } from '../../../sandbox/dynamodb/latency-transport';
import { makeFindingDetail, toEventBridgeEvent } from '../../../sandbox/findings/finding-factory';
import { SlackSandbox } from '../../../sandbox/slack';
import { draft } from '../store/store-contract';
import { testConfigYaml } from '../../support/cli-harness';

/**
 * Issue 19 point 1, on the serverless store: the channel of a case the event opens is asked
 * for while the placement's transaction is in flight, and a channel whose case was then not
 * stored (the write lost a race) is archived, never left as an empty case channel.
 */
describe('findings Lambda handler on DynamoDB', () => {
  let local: LocalDynamoDb;
  let slack: SlackSandbox;
  let cordon: Cordon;
  let transport: LatencyTransport;

  beforeAll(async () => {
    local = await startLocalDynamoDb();
  });

  afterAll(async () => {
    await local.close();
  });

  beforeEach(async () => {
    slack = await SlackSandbox.start({});
    const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
    // 40 ms a request once the table is there, so what overlaps the transaction is plain in the logs.
    const wire = local.latencyClient(0);
    transport = wire.transport;
    const table = `findings-ddb-${Math.random().toString(36).slice(2, 8)}`;
    await DynamoDbStore.createTable(wire.client, table);
    transport.latencyMs = 40;
    const config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-t', SLACK_API_URL: slack.apiUrl }, () => testConfigYaml({ triageChannel: triage }));
    cordon = buildCordon(config, silentLogger, {
      store: new DynamoDbStore({ client: wire.client, tableName: table, ownsClient: true }),
      webClientOptions: FINDINGS_CLIENT_OPTIONS,
      publisherLeaseWaitMs: FINDINGS_LEASE_WAIT_MS,
      queue: { enqueue: () => Promise.resolve() },
      principalChecks: true,
    });
    setLambdaCordon(cordon);
  });

  afterEach(async () => {
    setLambdaCordon(undefined);
    await cordon.close();
    await slack.close();
  });

  it('asks Slack for the new case channel while the case is being written, and posts the card once it is stored', async () => {
    const offset = Date.now() - performance.now();
    const mark = transport.log.length;
    const d = makeFindingDetail({ accessKeyId: 'AKIAEARLY00000000001', type: 'Recon:IAMUser/MaliciousIPCaller' });
    const summary = await handler(toEventBridgeEvent(d));
    const placement = transport.log.slice(mark).find((t) => t.operation === 'TransactWriteItems');
    const create = slack.calls('conversations.create')[0];
    expect(placement && create).toBeTruthy();
    // The request for the channel reached Slack before the placement's answer came back.
    expect(create!.at).toBeLessThan(placement!.end + offset);
    const c = await cordon.store.getCase(summary.casesOpened[0] as string);
    expect(c?.channelId).toBe(slack.channels().find((ch) => ch.name.startsWith('ir-'))?.id);
    expect((await cordon.store.getFinding(String(d.id)))?.cardTs).toEqual(expect.any(String));
    expect(c?.publishClaim).toBeUndefined();
  });

  it('archives a channel asked for early whose case was never stored, and keeps one whose case was', async () => {
    const publisher = cordon.slack!.publisher;
    const lost = { ...draft('IR-20261203-0L0S'), publishClaim: publisher.newCaseClaim() };
    publisher.openingCase(lost);
    // Nothing this ingest placed used it: the write of `lost` never landed.
    await publisher.publishPlaced([]);
    const made = slack.channels().find((ch) => ch.name.includes('0l0s'));
    expect(made?.is_archived).toBe(true);
    // A case that was stored keeps its channel for the next publisher to adopt by name.
    const kept = { ...draft('IR-20261203-0K3P'), publishClaim: publisher.newCaseClaim() };
    await cordon.store.claimCase(kept, ['key:AKIAKEPT000000000001'], '2026-01-01T00:00:00Z');
    publisher.openingCase(kept);
    await publisher.publishPlaced([]);
    expect(slack.channels().find((ch) => ch.name.includes('0k3p'))?.is_archived).toBe(false);
  });
});
