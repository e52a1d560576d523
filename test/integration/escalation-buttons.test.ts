import { loadConfig } from '../../src/config/load-config';
import { buildCordon, type Cordon } from '../../src/app/cordon';
import { silentLogger } from '../../src/log';
import { startSlack, type SlackServer } from '../../src/slack/inbound/bolt-app';
import { ActionId } from '../../src/slack/ids';
import { SlackSandbox } from '../../sandbox/slack';
import { makeFindingDetail, toEventBridgeEvent } from '../../sandbox/findings/finding-factory';
import { containmentHarness } from '../support/aws';
import { testConfigYaml } from '../support/cli-harness';
import { buttonBody, postSigned, SIGNING_SECRET } from '../support/slack-requests';

// Issue 16 point 6: an Escalate click answers the person who clicked, the first time and
// every time after (a silent button makes people click again, or give up).

describe('the Escalate button through the real Bolt HTTP receiver', () => {
  let slack: SlackSandbox;
  let cordon: Cordon;
  let front: SlackServer;

  beforeEach(async () => {
    slack = await SlackSandbox.start({});
    for (const id of ['U0RESP', 'U0OTHER', 'U0ONCALL']) slack.addUser({ id, name: id.toLowerCase() });
    const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
    const yaml = testConfigYaml({
      triageChannel: triage,
      invite: ['U0RESP', 'U0OTHER'],
      extra: `access:
  users: { U0RESP: responder, U0OTHER: responder }
escalation:
  invite: [U0ONCALL]`,
    });
    const config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1' }, () => yaml);
    cordon = buildCordon(config, silentLogger, { store: containmentHarness().store });
    front = await startSlack(config, cordon.services(), silentLogger);
  });

  afterEach(async () => {
    await cordon.worker().inProcess?.idle();
    await front.stop();
    await slack.close();
  });

  async function eventually(check: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('answers the clicker when it escalates, and again (naming the bridge) when the case already is', async () => {
    const s = await cordon.pipeline.ingestDocument(toEventBridgeEvent(makeFindingDetail({ accessKeyId: 'AKIAESCBUTTON0000001', severity: 5 })), 't');
    await cordon.slack!.publisher.flush();
    const c = (await cordon.store.getCase(s.casesOpened[0]!))!;
    const [finding] = await cordon.store.listFindings({ caseId: c.id });
    const events = `${front.address as string}/slack/events`;
    const click = (user: string) => postSigned(events, buttonBody({ actionId: ActionId.ESCALATE, value: finding!.id, user, channel: c.channelId!, responseUrl: slack.responseUrl({ channel: c.channelId!, user }) }));
    const answersTo = (user: string) => slack.ephemerals().filter((e) => e.user === user).map((e) => e.text ?? '');

    expect((await click('U0RESP')).status).toBe(200);
    await eventually(() => answersTo('U0RESP').length === 1, 'the answer to the first click');
    expect(answersTo('U0RESP')[0]).toBe(`Escalating ${c.id}: the bridge channel is being opened and the escalation contacts paged; you will be added to it.`);
    await cordon.worker().inProcess!.idle();
    const bridge = (await cordon.store.getCase(c.id))!.bridgeChannelId!;
    expect(slack.members(bridge)).toContain('U0RESP');

    expect((await click('U0OTHER')).status).toBe(200);
    await eventually(() => answersTo('U0OTHER').length === 1, 'the answer to the second click');
    expect(answersTo('U0OTHER')[0]).toBe(`Case ${c.id} is already escalated by <@U0RESP>: the bridge is <#${bridge}>.`);
    // Still one escalation, one bridge.
    expect(slack.channels().filter((ch) => ch.name.endsWith('-bridge'))).toHaveLength(1);
  });
});
