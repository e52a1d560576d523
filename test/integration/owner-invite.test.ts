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

// Issue 17 point 5: without an owner-domain allowlist an Owner tag invites nobody by itself;
// the channel shows the owner with an "Invite owner" button, and only a responder's click,
// checked against the case as stored, brings them in.

describe('the Invite owner button through the real Bolt HTTP receiver', () => {
  let slack: SlackSandbox;
  let cordon: Cordon;
  let front: SlackServer;
  let caseId: string;
  let channel: string;

  beforeEach(async () => {
    slack = await SlackSandbox.start({});
    for (const id of ['U0RESP', 'U0VIEW']) slack.addUser({ id, name: id.toLowerCase() });
    slack.addUser({ id: 'U0OWNER', name: 'owner', email: 'owner@corp.example' });
    slack.addUser({ id: 'U0MALLO', name: 'mallory', email: 'mallory@corp.example' });
    const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
    const yaml = testConfigYaml({ triageChannel: triage, invite: ['U0RESP', 'U0VIEW'], extra: 'access:\n  users: { U0RESP: responder, U0VIEW: viewer }' });
    const config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1' }, () => yaml);
    cordon = buildCordon(config, silentLogger, { store: containmentHarness().store });
    front = await startSlack(config, cordon.services(), silentLogger);
    const s = await cordon.pipeline.ingestDocument(toEventBridgeEvent(makeFindingDetail({ instanceId: 'i-0a1b2c3d4e5f60718', severity: 5, tags: { Owner: 'owner@corp.example' } })), 't');
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

  /** The button value exactly as the publisher posted it in the channel. */
  function postedValue(): string {
    for (const m of slack.messages(channel)) {
      for (const b of (m.blocks ?? []) as { type: string; elements?: { action_id?: string; value?: string }[] }[]) {
        const button = b.elements?.find((e) => e.action_id === ActionId.INVITE_OWNER);
        if (button?.value) return button.value;
      }
    }
    throw new Error('no Invite owner button in the case channel');
  }

  const click = (user: string, value: string) =>
    postSigned(`${front.address as string}/slack/events`, buttonBody({ actionId: ActionId.INVITE_OWNER, value, user, channel, responseUrl: slack.responseUrl({ channel, user }) }));
  const answersTo = (user: string) => slack.ephemerals().filter((e) => e.user === user).map((e) => e.text ?? '');

  it('shows the owner with a button instead of inviting; a responder click invites them, audited', async () => {
    expect(slack.members(channel)).not.toContain('U0OWNER');
    expect((await click('U0RESP', postedValue())).status).toBe(200);
    await eventually(() => answersTo('U0RESP').length === 1, 'the answer to the click');
    expect(answersTo('U0RESP')[0]).toBe('Invited <@U0OWNER> to this case channel.');
    expect(slack.members(channel)).toContain('U0OWNER');
    const audit = await cordon.store.listAudit({ caseId });
    expect(audit).toContainEqual(expect.objectContaining({ event: 'owner.invite', actor: 'U0RESP', allowed: true, detail: { email: 'owner@corp.example', userId: 'U0OWNER' } }));
  });

  it('a forged value naming someone else invites nobody, is refused to the clicker and audited', async () => {
    expect((await click('U0RESP', `${caseId} mallory@corp.example`)).status).toBe(200);
    await eventually(() => answersTo('U0RESP').length === 1, 'the refusal');
    expect(answersTo('U0RESP')[0]).toMatch(/not a resource owner of case/);
    expect(slack.members(channel)).not.toContain('U0MALLO');
    const audit = await cordon.store.listAudit({ caseId });
    expect(audit).toContainEqual(expect.objectContaining({ event: 'owner.invite', actor: 'U0RESP', allowed: false }));
    expect(slack.calls('conversations.invite').some((c) => String(c.args.users).includes('U0MALLO'))).toBe(false);
  });

  it('a viewer clicking the real button is refused and nobody is invited', async () => {
    expect((await click('U0VIEW', postedValue())).status).toBe(200);
    await eventually(() => answersTo('U0VIEW').length === 1, 'the refusal');
    expect(answersTo('U0VIEW')[0]).toMatch(/responder/i);
    expect(slack.members(channel)).not.toContain('U0OWNER');
    const audit = await cordon.store.listAudit({ caseId });
    expect(audit.some((a) => a.event === 'owner.invite' && a.allowed)).toBe(false);
  });
});
