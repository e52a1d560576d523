import { loadConfig } from '../../src/config/load-config';
import { buildCordon, type Cordon } from '../../src/app/cordon';
import { silentLogger } from '../../src/log';
import { startSlack, type SlackServer } from '../../src/slack/inbound/bolt-app';
import { ActionId } from '../../src/slack/ids';
import { SlackSandbox } from '../../sandbox/slack';
import { makeFindingDetail, toEventBridgeEvent } from '../../sandbox/findings/finding-factory';
import { containmentHarness } from '../support/aws';
import { testConfigYaml } from '../support/cli-harness';
import { buttonBody, commandBody, postSigned, SIGNING_SECRET } from '../support/slack-requests';

// Issue 16 point 8: the pinned case card carries Escalate, Report and Timeline, and each
// answers as its slash command does, through the same services (same role checks).

describe('the pinned case card buttons through the real Bolt HTTP receiver', () => {
  let slack: SlackSandbox;
  let cordon: Cordon;
  let front: SlackServer;
  let caseId: string;
  let channel: string;

  beforeEach(async () => {
    slack = await SlackSandbox.start({});
    for (const id of ['U0RESP', 'U0VIEW', 'U0ONCALL']) slack.addUser({ id, name: id.toLowerCase() });
    const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
    const yaml = testConfigYaml({ triageChannel: triage, invite: ['U0RESP', 'U0VIEW'], extra: 'access:\n  users: { U0RESP: responder, U0VIEW: viewer }\nescalation:\n  invite: [U0ONCALL]' });
    const config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1' }, () => yaml);
    cordon = buildCordon(config, silentLogger, { store: containmentHarness().store });
    front = await startSlack(config, cordon.services(), silentLogger);
    const s = await cordon.pipeline.ingestDocument(toEventBridgeEvent(makeFindingDetail({ accessKeyId: 'AKIACASECARDBUTTON01', severity: 5 })), 't');
    await cordon.slack!.publisher.flush();
    caseId = s.casesOpened[0]!;
    channel = (await cordon.store.getCase(caseId))!.channelId!;
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

  const events = () => `${front.address as string}/slack/events`;
  const answersTo = (user: string) => slack.ephemerals().filter((e) => e.user === user);
  /** The buttons of the pinned card, as posted. */
  function cardButtons(): { action_id?: string; value?: string }[] {
    const pinned = slack.pins(channel)[0];
    const card = slack.messages(channel).find((m) => m.ts === pinned)!;
    return ((card.blocks ?? []) as { type: string; elements?: { action_id?: string; value?: string }[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
  }
  async function click(actionId: string, user: string): Promise<void> {
    const value = cardButtons().find((b) => b.action_id === actionId)?.value;
    if (!value) throw new Error(`no ${actionId} on the pinned card`);
    expect((await postSigned(events(), buttonBody({ actionId, value, user, channel, responseUrl: slack.responseUrl({ channel, user }) }))).status).toBe(200);
  }
  async function command(text: string, user: string): Promise<void> {
    expect((await postSigned(events(), commandBody({ text, user, channel, responseUrl: slack.responseUrl({ channel, user }) }))).status).toBe(200);
  }

  it('carries Escalate, Report and Timeline, each naming this case only', () => {
    expect(cardButtons().map((b) => [b.action_id, b.value])).toEqual([
      [ActionId.CASE_ESCALATE, caseId],
      [ActionId.CASE_REPORT, caseId],
      [ActionId.CASE_TIMELINE, caseId],
    ]);
  });

  it('Timeline answers as /ir timeline does, with events in words', async () => {
    await command('timeline', 'U0RESP');
    await eventually(() => answersTo('U0RESP').length === 1, '/ir timeline');
    await click(ActionId.CASE_TIMELINE, 'U0RESP');
    await eventually(() => answersTo('U0RESP').length === 2, 'the Timeline click');
    const [typed, clicked] = answersTo('U0RESP');
    expect(clicked!.text).toBe(typed!.text);
    expect(JSON.stringify(clicked!.blocks)).toBe(JSON.stringify(typed!.blocks));
    expect(JSON.stringify(clicked!.blocks)).toContain('_Case opened_');
    expect(JSON.stringify(clicked!.blocks)).not.toContain('case.opened');
  });

  it('Report answers as /ir report does and the report is uploaded', async () => {
    await click(ActionId.CASE_REPORT, 'U0VIEW');
    await eventually(() => answersTo('U0VIEW').length === 1, 'the Report click');
    expect(answersTo('U0VIEW')[0]!.text).toBe(`Building the report for ${caseId}; it will be uploaded to this channel.`);
    await cordon.worker().inProcess!.idle();
    expect(slack.files().map((f) => f.filename)).toContain(`${caseId}-report.md`);
  });

  it('Escalate escalates for a responder and is refused to a viewer, as /ir escalate is', async () => {
    await click(ActionId.CASE_ESCALATE, 'U0VIEW');
    await eventually(() => answersTo('U0VIEW').length === 1, 'the refusal');
    expect((await cordon.store.getCase(caseId))!.escalatedAt).toBeUndefined();
    await click(ActionId.CASE_ESCALATE, 'U0RESP');
    await eventually(() => answersTo('U0RESP').length === 1, 'the Escalate click');
    expect(answersTo('U0RESP')[0]!.text).toMatch(new RegExp(`^Escalating ${caseId}`));
    expect((await cordon.store.getCase(caseId))!.escalatedBy).toBe('U0RESP');
  });
});
