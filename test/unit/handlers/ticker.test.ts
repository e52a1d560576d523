import { loadConfig } from '../../../src/config/load-config';
import { buildCordon } from '../../../src/app/cordon';
import { setLambdaCordon } from '../../../src/handlers/runtime';
import { handler } from '../../../src/handlers/ticker';
import { silentLogger } from '../../../src/log';
import { makeFindingDetail, toEventBridgeEvent } from '../../../sandbox/findings/finding-factory';
import { SlackSandbox } from '../../../sandbox/slack';
import { containmentHarness } from '../../support/aws';
import { testConfigYaml } from '../../support/cli-harness';

/** What EventBridge Scheduler's `rate(1 minute)` rule delivers. */
const scheduledEvent = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '999999999999',
  time: '2026-11-25T02:01:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:999999999999:rule/cordon-prod-TickerEventsRuleSchedule1-ABC'],
  detail: {},
};

describe('ticker Lambda handler', () => {
  afterEach(() => setLambdaCordon(undefined));

  it('on a scheduled event, posts to Slack what the findings function stored', async () => {
    const slack = await SlackSandbox.start({});
    try {
      const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
      const config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.apiUrl }, () => testConfigYaml({ triageChannel: triage }));
      const cordon = buildCordon(config, silentLogger, { store: containmentHarness().store });
      setLambdaCordon(cordon);
      const s = await cordon.pipeline.ingestDocument(toEventBridgeEvent(makeFindingDetail({ accessKeyId: 'AKIATICKER0000000001' })), 'eventbridge');
      expect(slack.channels().filter((c) => c.name.startsWith('ir-'))).toHaveLength(0);

      expect(await handler(scheduledEvent)).toEqual({ ok: true });
      const c = await cordon.store.getCase(s.casesOpened[0]!);
      expect(c?.channelId).toBeDefined();
      expect(slack.messages(c!.channelId!).length).toBeGreaterThan(0);
    } finally {
      await slack.close();
    }
  });
});
