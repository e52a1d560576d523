import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/load-config';
import { buildCordon } from '../../src/app/cordon';
import { createLogger } from '../../src/log';
import { startSlack, type SlackServer } from '../../src/slack/inbound/bolt-app';
import { slackLogger } from '../../src/slack/slack-logger';
import { SlackSandbox } from '../../sandbox/slack';
import { commandBody, postSigned, SANDBOX_SIGNING_SECRET, slackHeaders } from '../../sandbox/slack/signed-requests';
import { containmentHarness } from '../support/aws';
import { testConfigYaml } from '../support/cli-harness';

/**
 * Issue 17 point 9: Bolt's and the WebClient's own log lines go through the same
 * redaction as Cordon's. Everything is logged at trace, every request kind is sent, and
 * no line may hold the bot token, the signing secret or the external id.
 */
describe('log redaction covers Bolt and the Slack SDK', () => {
  const TOKEN = 'xoxb-111-222-secrettokenvalue';
  const EXTERNAL_ID = 'external-id-never-logged-0001';
  let slack: SlackSandbox;
  let front: SlackServer;
  const lines: string[] = [];

  beforeAll(async () => {
    slack = await SlackSandbox.start({});
    slack.addUser({ id: 'U0CMD', name: 'cmd' });
    const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT', 'U0CMD'] });
    const yaml = testConfigYaml({ triageChannel: triage, extra: 'access:\n  users: { U0CMD: commander }' }).replace('externalId: test-external-id', `externalId: ${EXTERNAL_ID}`);
    const env = { CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SANDBOX_SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1' };
    const config = loadConfig(env, () => yaml);
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const log = createLogger('trace', sink, [TOKEN, SANDBOX_SIGNING_SECRET, EXTERNAL_ID]);
    const aws = containmentHarness();
    const cordon = buildCordon(config, log, { store: aws.store, clientFactory: aws.factory });
    front = await startSlack(config, cordon.services(), log);
    const events = `${front.address as string}/slack/events`;
    // Signed, forged and stale requests, and a command that makes Web API calls.
    await postSigned(events, commandBody({ text: 'whoami', user: 'U0CMD', channel: triage, responseUrl: slack.responseUrl() }));
    await postSigned(events, commandBody({ text: 'stats', user: 'U0CMD', channel: triage, responseUrl: slack.responseUrl() }), { secret: 'not-the-signing-secret-000000000' });
    const body = commandBody({ text: 'whoami', user: 'U0CMD', channel: triage });
    await fetch(events, { method: 'POST', headers: { ...slackHeaders(body), 'x-slack-signature': 'v0=' + '0'.repeat(64) }, body });
    await cordon.worker().inProcess?.idle();
    // What the SDK itself says, as Bolt and the WebClient say it: strings and objects holding the secrets.
    const sdk = slackLogger(log);
    sdk.debug(`http request: authorization: Bearer ${TOKEN}`);
    sdk.warn('signing secret', SANDBOX_SIGNING_SECRET, { token: TOKEN, headers: { authorization: `Bearer ${TOKEN}` } });
    log.error({ err: new Error(`assume role failed with external id ${EXTERNAL_ID}`) }, `request used ${TOKEN}`);
    await new Promise((r) => setTimeout(r, 50));
  }, 60_000);
  afterAll(async () => {
    await front.stop();
    await slack.close();
  });

  it('logged something from Bolt and the SDK (so the check below means something)', () => {
    expect(lines.filter((l) => l.includes('"component":"slack-sdk"')).length).toBeGreaterThan(1);
    expect(lines.some((l) => l.includes('[redacted]'))).toBe(true);
  });

  it('no line holds the bot token, the signing secret or the external id', () => {
    for (const secret of [TOKEN, SANDBOX_SIGNING_SECRET, EXTERNAL_ID]) expect(lines.filter((l) => l.includes(secret))).toEqual([]);
  });
});
