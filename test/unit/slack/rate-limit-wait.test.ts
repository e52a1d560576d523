import { WebClient } from '@slack/web-api';
import { FINDINGS_CLIENT_OPTIONS, SERVE_CLIENT_OPTIONS } from '../../../src/app/intake';
import { SlackSandbox } from '../../../sandbox/slack';

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, setLevel: () => {}, getLevel: () => 'error' as never, setName: () => {} };

describe('the findings function waits out short rate limits (FINDINGS_CLIENT_OPTIONS)', () => {
  let sb: SlackSandbox;
  beforeEach(async () => {
    sb = await SlackSandbox.start({ rateLimits: true });
  });
  afterEach(() => sb.close());

  it('posts a channel\'s next message after Slack\'s one-second wait instead of failing it', async () => {
    const ch = sb.addChannel({ name: 'case', members: ['UBOT'] });
    const client = new WebClient('xoxb-t', { slackApiUrl: sb.apiUrl, ...FINDINGS_CLIENT_OPTIONS, logger: quiet });
    // The burst Slack grants per channel, then one more that must wait for a token.
    const t0 = Date.now();
    for (const text of ['card', 'finding', 'third', 'fourth']) await client.chat.postMessage({ channel: ch, text });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(sb.messages(ch).map((m) => m.text)).toEqual(['card', 'finding', 'third', 'fourth']);
    expect(sb.calls('chat.postMessage').map((c) => c.httpStatus)).toEqual([200, 200, 200, 429, 200]);
  });

  it('refuses a long wait (a Tier 2 minute) at once, leaving it to the ticker', async () => {
    sb.setRateLimits({ 'conversations.create': 1 });
    const client = new WebClient('xoxb-t', { slackApiUrl: sb.apiUrl, ...FINDINGS_CLIENT_OPTIONS, logger: quiet });
    await client.conversations.create({ name: 'one' });
    const t0 = Date.now();
    await expect(client.conversations.create({ name: 'two' })).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error' });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(sb.channels().map((c) => c.name)).toEqual(['one']);
  });
});

describe("cordon serve's client waits out a limit in the call that met it (SERVE_CLIENT_OPTIONS)", () => {
  let sb: SlackSandbox;
  beforeEach(async () => {
    // conversations.create one a second: its 429 says wait a second, as a Tier 2 minute would say wait longer.
    sb = await SlackSandbox.start({ rateLimits: { 'conversations.create': { perSecond: 1 } } });
  });
  afterEach(() => sb.close());

  it("a responder's post to another channel does not wait behind another call's rate limit", async () => {
    const ch = sb.addChannel({ name: 'case', members: ['UBOT'] });
    const client = new WebClient('xoxb-t', { slackApiUrl: sb.apiUrl, ...SERVE_CLIENT_OPTIONS, logger: quiet });
    await client.conversations.create({ name: 'one' });
    const t0 = Date.now();
    const second = client.conversations.create({ name: 'two' });
    // The second create has met its 429 by now; WebClient's own handling would pause this post with it.
    await new Promise((r) => setTimeout(r, 200));
    const p0 = Date.now();
    await client.chat.postMessage({ channel: ch, text: 'approval request' });
    expect(Date.now() - p0).toBeLessThan(400);
    await second;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(sb.calls('conversations.create').map((c) => c.httpStatus)).toEqual([200, 429, 200]);
    expect(sb.channels().map((c) => c.name)).toEqual(expect.arrayContaining(['one', 'two']));
  });
});
