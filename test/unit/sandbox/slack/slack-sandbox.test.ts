import { LogLevel, WebClient } from '@slack/web-api';
import { SlackSandbox } from '../../../../src/sandbox/slack';

async function slackError(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { data?: { error?: string } }).data?.error ?? (err as Error).message;
  }
}

/** WebClient logs every platform error; these tests provoke them on purpose. */
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, setLevel: () => undefined, getLevel: () => LogLevel.ERROR, setName: () => undefined };

describe('SlackSandbox', () => {
  let sb: SlackSandbox;
  let client: WebClient;
  beforeEach(async () => {
    sb = await SlackSandbox.start({});
    client = new WebClient('xoxb-test', { slackApiUrl: sb.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR, logger: quiet });
  });
  afterEach(() => sb.close());

  it('applies Slack channel-name rules', async () => {
    expect(await slackError(client.conversations.create({ name: 'Has Caps' }))).toBe('invalid_name_specials');
    expect(await slackError(client.conversations.create({ name: 'x'.repeat(81) }))).toBe('invalid_name_maxlength');
    const ok = await client.conversations.create({ name: 'ir-1', is_private: true });
    expect(ok.channel?.is_private).toBe(true);
    expect(await slackError(client.conversations.create({ name: 'ir-1' }))).toBe('name_taken');
    expect(sb.calls('conversations.create').map((c) => c.response?.error ?? 'ok')).toEqual(['invalid_name_specials', 'invalid_name_maxlength', 'ok', 'name_taken']);
  });

  it('needs the bot in the channel, invites, threads, edits and pins', async () => {
    const other = sb.addChannel({ name: 'elsewhere' });
    expect(await slackError(client.chat.postMessage({ channel: other, text: 'x' }))).toBe('not_in_channel');
    sb.addUser({ id: 'U1', name: 'a' });
    const ch = (await client.conversations.create({ name: 'case' })).channel!.id!;
    await client.conversations.invite({ channel: ch, users: 'U1' });
    expect(await slackError(client.conversations.invite({ channel: ch, users: 'U1' }))).toBe('already_in_channel');
    expect(await slackError(client.conversations.invite({ channel: ch, users: 'U404' }))).toBe('user_not_found');
    const parent = await client.chat.postMessage({ channel: ch, text: 'parent' });
    await client.chat.postMessage({ channel: ch, text: 'reply', thread_ts: parent.ts! });
    expect(await slackError(client.chat.postMessage({ channel: ch, text: 'x', thread_ts: '1.2' }))).toBe('thread_not_found');
    await client.chat.update({ channel: ch, ts: parent.ts!, text: 'edited' });
    await client.pins.add({ channel: ch, timestamp: parent.ts! });
    expect(await slackError(client.pins.add({ channel: ch, timestamp: parent.ts! }))).toBe('already_pinned');
    expect(sb.messages(ch).map((m) => [m.text, m.edits])).toEqual([['edited', 1]]);
    expect(sb.replies(ch, parent.ts!).map((m) => m.text)).toEqual(['reply']);
    expect(sb.members(ch).sort()).toEqual(['U1', 'UBOT']);
    expect(sb.pins(ch)).toEqual([parent.ts]);
  });

  it('refuses messages over Block Kit limits, naming the violation', async () => {
    const ch = (await client.conversations.create({ name: 'limits' })).channel!.id!;
    const tooMany = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    const longText = [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }];
    const longButton = [{ type: 'actions', elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'x'.repeat(76) }, value: 'v' }] }];
    for (const blocks of [tooMany, longText, longButton]) {
      expect(await slackError(client.chat.postMessage({ channel: ch, text: 't', blocks: blocks }))).toBe('invalid_blocks');
    }
    expect(sb.messages(ch)).toHaveLength(0);
  });

  it('answers over-limit calls with 429 and Retry-After, and WebClient retries', async () => {
    await sb.close();
    sb = await SlackSandbox.start({ rateLimits: { 'users.lookupByEmail': 1 }, retryAfterSeconds: 1 });
    sb.addUser({ id: 'U1', name: 'a', email: 'a@example.com' });
    const retrying = new WebClient('xoxb-test', { slackApiUrl: sb.apiUrl });
    await retrying.users.lookupByEmail({ email: 'a@example.com' });
    const t0 = Date.now();
    const noRetry = new WebClient('xoxb-test', { slackApiUrl: sb.apiUrl, rejectRateLimitedCalls: true });
    await expect(noRetry.users.lookupByEmail({ email: 'a@example.com' })).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error', retryAfter: 1 });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(sb.calls('users.lookupByEmail').map((c) => c.httpStatus)).toEqual([200, 429]);
  });

  it('fails a call on demand with a Slack error or a 5xx', async () => {
    sb.failNext('auth.test', 'internal_error');
    expect(await slackError(client.auth.test())).toBe('internal_error');
    sb.failNext('auth.test', { httpStatus: 503 });
    await expect(client.auth.test()).rejects.toBeDefined();
    expect((await client.auth.test()).user_id).toBe('UBOT');
  });

  it('takes a file through the three upload calls', async () => {
    const ch = (await client.conversations.create({ name: 'files' })).channel!.id!;
    await client.filesUploadV2({ channel_id: ch, file: Buffer.from('PNGDATA'), filename: 'chart.png', title: 'Chart' });
    expect(sb.files().map((f) => [f.filename, f.bytes.toString(), f.channel])).toEqual([['chart.png', 'PNGDATA', ch]]);
    expect(sb.messages(ch)[0]?.files?.[0]?.title).toBe('Chart');
  });

  it('refuses tokens that are not bot tokens', async () => {
    const bad = new WebClient('xoxp-user', { slackApiUrl: sb.apiUrl, retryConfig: { retries: 0 }, logger: quiet });
    expect(await slackError(bad.auth.test())).toBe('invalid_auth');
  });
});
