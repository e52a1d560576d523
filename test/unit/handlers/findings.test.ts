import { loadConfig } from '../../../src/config/load-config';
import { buildCordon } from '../../../src/app/cordon';
import { handler } from '../../../src/handlers/findings';
import { setLambdaCordon } from '../../../src/handlers/runtime';
import { silentLogger } from '../../../src/log';
import { makeFindingDetail, toEventBridgeEvent } from '../../../sandbox/findings/finding-factory';
import { SqliteStore } from '../../../src/store/sqlite-store';
import { testConfigYaml } from '../../support/cli-harness';

describe('findings Lambda handler', () => {
  afterEach(() => setLambdaCordon(undefined));

  it('ingests an EventBridge GuardDuty event and stores a rejected one with its reason', async () => {
    const store = SqliteStore.open(':memory:');
    const config = loadConfig({ CORDON_CONFIG: 'x.yaml' }, () => testConfigYaml({ triageChannel: 'C0TRIAGE' }));
    setLambdaCordon(buildCordon(config, silentLogger, { store }));
    const d = makeFindingDetail({ accessKeyId: 'AKIALAMBDA0000000001' });
    expect(await handler(toEventBridgeEvent(d))).toMatchObject({ received: 1, cased: 1, casesOpened: [expect.stringMatching(/^IR-/) as unknown] });
    expect(await store.getFinding(String(d.id))).toMatchObject({ source: 'eventbridge', disposition: 'cased' });
    expect(await handler({ ...toEventBridgeEvent(d), source: 'aws.ec2' })).toMatchObject({ rejected: 1 });
    expect((await store.listRejected(1))[0]?.reason).toMatch(/not a GuardDuty finding event/);
  });
});
