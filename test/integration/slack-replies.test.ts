import { loadConfig } from '../../src/config/load-config';
import { buildCordon, type Cordon } from '../../src/app/cordon';
import { silentLogger } from '../../src/log';
import { startSlack, type SlackServer } from '../../src/slack/inbound/bolt-app';
import { ActionId } from '../../src/slack/ids';
import { responseUrlOrigins, SlackReplies } from '../../src/slack/outbound/replies';
import { jobFromEvent } from '../../src/jobs/lambda-queue';
import { WebClient } from '@slack/web-api';
import { SlackSandbox } from '../../sandbox/slack';
import { containmentHarness, REGION, SANDBOX } from '../support/aws';
import { testConfigYaml } from '../support/cli-harness';
import { buttonBody, commandBody, postSigned, SIGNING_SECRET } from '../support/slack-requests';

const RESP = 'U0RESP';
const PEER = 'U0PEER';
const VIEW = 'U0VIEW';

/**
 * Issue 16 point 1: what goes wrong after the ack reaches the person who asked, wherever
 * they asked. The sandbox refuses chat.postEphemeral where the bot is not (a DM between
 * two people, a channel without the bot), as Slack does, so these fail if Cordon answers
 * that way.
 */
describe('errors after the ack reach their person', () => {
  let slack: SlackSandbox;
  let aws: ReturnType<typeof containmentHarness>;
  let cordon: Cordon;
  let front: SlackServer;
  let events: string;
  let triage: string;

  beforeEach(async () => {
    slack = await SlackSandbox.start({});
    for (const id of [RESP, PEER, VIEW]) slack.addUser({ id, name: id.toLowerCase() });
    triage = slack.addChannel({ name: 'security-triage', members: ['UBOT', RESP, VIEW] });
    aws = containmentHarness();
    const yaml = testConfigYaml({ triageChannel: triage, invite: [RESP], extra: `access:\n  users: { ${RESP}: responder, ${VIEW}: viewer }\ncontainment: { untrackSeconds: 0 }` });
    const config = loadConfig(
      { CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1' },
      () => yaml,
    );
    cordon = buildCordon(config, silentLogger, { store: aws.store, clientFactory: aws.factory, sleep: () => Promise.resolve() });
    front = await startSlack(config, cordon.services(), silentLogger);
    events = `${front.address as string}/slack/events`;
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
  const ephemeralsFor = (user: string) => slack.ephemerals().filter((e) => e.user === user);
  /** The bot's DM with `user`, if it opened one. */
  const dmTexts = (user: string) =>
    slack
      .channels()
      .filter((c) => c.is_im && slack.members(c.id).includes(user) && slack.members(c.id).includes('UBOT'))
      .flatMap((c) => slack.messages(c.id).map((m) => m.text ?? ''));

  it('/ir contain with a bad ARN typed in a DM between two people reaches the user through the response_url', async () => {
    const dm = slack.addDm(RESP, PEER);
    const res = await postSigned(events, commandBody({ text: `contain arn:aws:ec2:${REGION}:${SANDBOX}:volume/vol-1`, user: RESP, channel: dm, responseUrl: slack.responseUrl({ channel: dm, user: RESP }) }));
    expect(res.status).toBe(200);
    await eventually(() => ephemeralsFor(RESP).length > 0, 'the answer');
    expect(ephemeralsFor(RESP).map((e) => [e.via, e.channel])).toEqual([['response_url', dm]]);
    expect(ephemeralsFor(RESP)[0]?.text).toMatch(/only EC2 instances .*ARN\.INVALID/);
    // The DM is the bot's blind spot: an ephemeral there would have been refused (and was not even tried).
    expect(slack.calls('chat.postEphemeral')).toEqual([]);
    expect(await cordon.store.listActions({})).toEqual([]);
  });

  it('falls back to a DM from the bot when the response_url has expired', async () => {
    const dm = slack.addDm(RESP, PEER);
    const expired = `${slack.url}/response/never-issued`;
    await postSigned(events, commandBody({ text: `contain arn:aws:ec2:${REGION}:${SANDBOX}:volume/vol-1`, user: RESP, channel: dm, responseUrl: expired }));
    await eventually(() => dmTexts(RESP).length > 0, 'the DM');
    expect(slack.calls('response_url').map((c) => c.httpStatus)).toEqual([404]);
    expect(dmTexts(RESP)).toEqual([expect.stringMatching(/only EC2 instances/)]);
  });

  it('tells the requester when the job fails in the worker, long after the ack, from a DM', async () => {
    const dm = slack.addDm(RESP, PEER);
    // A well-formed ARN of an instance that does not exist: the listener accepts it, planning fails.
    await postSigned(events, commandBody({ text: `contain arn:aws:ec2:${REGION}:${SANDBOX}:instance/i-0123456789abcdef0`, user: RESP, channel: dm, responseUrl: slack.responseUrl({ channel: dm, user: RESP }) }));
    await cordon.worker().inProcess!.idle();
    await eventually(() => ephemeralsFor(RESP).length >= 2, 'the planning answer and the failure');
    // The listener's "Planning…" and the worker's failure race each other: order is not asserted.
    const texts = ephemeralsFor(RESP).map((e) => `${e.via}: ${e.text ?? ''}`);
    expect(texts.filter((t) => /^response_url: Planning containment/.test(t))).toHaveLength(1);
    expect(texts.filter((t) => /^response_url: :warning: .*i-0123456789abcdef0/.test(t))).toHaveLength(1);
    expect(slack.calls('chat.postEphemeral')).toEqual([]);
  });

  it('answers a refused button click in a channel the bot has left', async () => {
    const ch = slack.addChannel({ name: 'ops', members: [VIEW] });
    await postSigned(events, buttonBody({ actionId: ActionId.CONTAIN, value: 'F-not-a-finding', user: VIEW, channel: ch, responseUrl: slack.responseUrl({ channel: ch, user: VIEW }) }));
    await eventually(() => ephemeralsFor(VIEW).length > 0, 'the refusal');
    expect(ephemeralsFor(VIEW)[0]).toMatchObject({ via: 'response_url', channel: ch });
    expect(ephemeralsFor(VIEW)[0]?.text).toMatch(/no finding F-not-a-finding/);
    expect(slack.calls('chat.postEphemeral')).toEqual([]);
  });

  it('a job keeps the response_url with its deadline; past it, or pointing outside Slack, the answer goes to a DM', async () => {
    const client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    let now = new Date('2026-01-01T00:00:00Z');
    const replies = new SlackReplies(client, silentLogger, { allowedOrigins: responseUrlOrigins(slack.apiUrl), now: () => now });
    const url = slack.responseUrl({ user: RESP });
    const job = jobFromEvent({ cordonJob: { type: 'report', caseId: 'IR-20260101-7Q3F', by: RESP, channelId: 'D1', reply: { responseUrl: url, until: '2026-01-01T00:29:00.000Z' } } });
    expect(job).toMatchObject({ reply: { responseUrl: url } });
    const to = { userId: RESP, responseUrl: url, until: '2026-01-01T00:29:00.000Z' };
    expect(await replies.tell(to, 'in time')).toBe('response_url');
    now = new Date('2026-01-01T00:29:00Z');
    expect(await replies.tell(to, 'too late')).toBe('dm');
    now = new Date('2026-01-01T00:00:00Z');
    expect(await replies.tell({ ...to, responseUrl: 'https://attacker.example/collect' }, 'elsewhere')).toBe('dm');
    expect(ephemeralsFor(RESP).map((e) => e.text)).toEqual(['in time']);
    expect(dmTexts(RESP)).toEqual(['too late', 'elsewhere']);
  });
});
