import { type KnownBlock, type Logger, LogLevel, WebClient } from '@slack/web-api';
import { BLOCK_LIMITS, blockViolation, blocksTextLength, RateLimiter, SlackSandbox } from '../../../../sandbox/slack';
import { everyScope } from '../../../../sandbox/slack/scopes';

/** WebClient logs every platform error; these tests provoke them on purpose. */
const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

/** The Slack error code a WebClient call failed with, or `ok` when it did not fail. */
async function slackError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    const data = (err as { data?: { error?: unknown } }).data;
    if (typeof data?.error === 'string') return data.error;
    throw err;
  }
}

/** The full `ok:false` body of a failed WebClient call. */
async function slackErrorData(p: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    const data = (err as { data?: Record<string, unknown> }).data;
    if (data) return data;
    throw err;
  }
  throw new Error('call succeeded');
}

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

function button(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'button', action_id: 'contain', text: { type: 'plain_text', text: 'Contain' }, value: 'A-1', ...over };
}

describe('SlackSandbox', () => {
  let sb: SlackSandbox;
  let client: WebClient;

  beforeEach(async () => {
    sb = await SlackSandbox.start({ scopes: everyScope() });
    client = new WebClient('xoxb-test', { slackApiUrl: sb.apiUrl, retryConfig: { retries: 0 }, logger: quiet });
  });
  afterEach(() => sb.close());

  /** POSTs straight to the server, for wire details WebClient hides. */
  async function post(path: string, body: string, headers: Record<string, string>): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
    const res = await fetch(`${sb.url}${path}`, { method: 'POST', body, headers });
    return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
  }

  describe('wire format and auth', () => {
    it('listens on loopback and answers auth.test as the bot of the default team', async () => {
      expect(sb.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(sb.apiUrl).toBe(`${sb.url}/api/`);
      const res = await client.auth.test();
      expect(res).toMatchObject({ ok: true, team_id: 'T0SANDBOX', user_id: 'UBOT', team: 'Sandbox' });
      expect(res.bot_id).toMatch(/^B/);
    });

    it('reports the team id it was started with', async () => {
      const other = await SlackSandbox.start({ teamId: 'T0OTHER' });
      try {
        const res = await new WebClient('xoxb-x', { slackApiUrl: other.apiUrl }).auth.test();
        expect(res.team_id).toBe('T0OTHER');
      } finally {
        await other.close();
      }
    });

    it('refuses tokens that are not bot tokens, and calls without one, with HTTP 200', async () => {
      const user = new WebClient('xoxp-user', { slackApiUrl: sb.apiUrl, retryConfig: { retries: 0 }, logger: quiet });
      expect(await slackError(user.auth.test())).toBe('invalid_auth');
      const none = await post('/api/auth.test', '', { 'content-type': 'application/x-www-form-urlencoded' });
      expect(none).toMatchObject({ status: 200, json: { ok: false, error: 'not_authed' } });
      expect(sb.calls('auth.test').map((c) => c.response?.error)).toEqual(['invalid_auth', 'not_authed']);
    });

    it('takes the token as a form field, and JSON bodies with a bearer header but not a token field', async () => {
      const form = await post('/api/auth.test', 'token=xoxb-form', { 'content-type': 'application/x-www-form-urlencoded' });
      expect(form.json).toMatchObject({ ok: true, user_id: 'UBOT' });
      const jsonBearer = await post('/api/conversations.create', JSON.stringify({ name: 'via-json', is_private: true }), {
        'content-type': 'application/json; charset=utf-8',
        authorization: 'Bearer xoxb-json',
      });
      expect(jsonBearer.json).toMatchObject({ ok: true, channel: { name: 'via-json', is_private: true } });
      const jsonToken = await post('/api/auth.test', JSON.stringify({ token: 'xoxb-json' }), { 'content-type': 'application/json' });
      expect(jsonToken.json).toEqual({ ok: false, error: 'not_authed' });
      expect(sb.channel('via-json')?.is_private).toBe(true);
    });

    it('answers unknown methods with unknown_method', async () => {
      expect(await slackError(client.apiCall('chat.postMessageX', { channel: 'C1', text: 'x' }))).toBe('unknown_method');
      expect(sb.calls('chat.postMessageX')[0]?.response).toEqual({ ok: false, error: 'unknown_method' });
    });
  });

  describe('channels', () => {
    it('applies Slack channel-name rules, including name_taken for archived channels', async () => {
      expect(await slackError(client.conversations.create({ name: 'Has Caps' }))).toBe('invalid_name_specials');
      expect(await slackError(client.conversations.create({ name: 'ir.1' }))).toBe('invalid_name_specials');
      expect(await slackError(client.conversations.create({ name: 'x'.repeat(81) }))).toBe('invalid_name_maxlength');
      expect(await slackError(client.conversations.create({ name: '' }))).toBe('invalid_name_required');
      const ok = await client.conversations.create({ name: `ir-${'x'.repeat(77)}`, is_private: true });
      expect(ok.channel).toMatchObject({ name: `ir-${'x'.repeat(77)}`, is_private: true, is_archived: false });
      expect(ok.channel?.id).toMatch(/^C[A-Z0-9]{10}$/);
      expect(await slackError(client.conversations.create({ name: `ir-${'x'.repeat(77)}` }))).toBe('name_taken');

      const old = await client.conversations.create({ name: 'ir-old' });
      await client.conversations.archive({ channel: old.channel!.id! });
      expect(await slackError(client.conversations.create({ name: 'ir-old' }))).toBe('name_taken');

      expect(sb.channels().map((c) => [c.name.slice(0, 6), c.is_private, c.is_archived])).toEqual([
        ['ir-xxx', true, false],
        ['ir-old', false, true],
      ]);
      expect(sb.members(ok.channel!.id!)).toEqual(['UBOT']);
    });

    it('gives distinct ids and reports topic, purpose and info', async () => {
      const a = (await client.conversations.create({ name: 'a' })).channel!.id!;
      const b = (await client.conversations.create({ name: 'b' })).channel!.id!;
      expect(a).not.toBe(b);
      await client.conversations.setTopic({ channel: a, topic: 'GuardDuty: High' });
      await client.conversations.setPurpose({ channel: a, purpose: 'Case IR-1' });
      expect(await slackError(client.conversations.setTopic({ channel: a, topic: 'x'.repeat(251) }))).toBe('too_long');
      const info = await client.conversations.info({ channel: a, include_num_members: true });
      expect(info.channel).toMatchObject({ id: a, name: 'a', topic: { value: 'GuardDuty: High' }, purpose: { value: 'Case IR-1' }, num_members: 1, is_member: true });
      expect(sb.channel(a)).toMatchObject({ topic: 'GuardDuty: High', purpose: 'Case IR-1' });
      expect(await slackError(client.conversations.info({ channel: 'C0NOPE' }))).toBe('channel_not_found');
    });

    it('keeps the bot out of channels it was not added to: private ones are invisible, public ones need a join', async () => {
      const priv = sb.addChannel({ name: 'secret', isPrivate: true, members: ['U1'] });
      const pub = sb.addChannel({ name: 'security-triage' });

      expect(await slackError(client.chat.postMessage({ channel: priv, text: 'x' }))).toBe('channel_not_found');
      expect(await slackError(client.conversations.setTopic({ channel: priv, topic: 'x' }))).toBe('channel_not_found');
      expect(await slackError(client.conversations.join({ channel: priv }))).toBe('method_not_supported_for_channel_type');

      expect(await slackError(client.chat.postMessage({ channel: pub, text: 'x' }))).toBe('not_in_channel');
      expect(await slackError(client.conversations.setTopic({ channel: pub, topic: 'x' }))).toBe('not_in_channel');
      expect(await slackError(client.conversations.setPurpose({ channel: pub, purpose: 'x' }))).toBe('not_in_channel');
      expect(await slackError(client.conversations.invite({ channel: pub, users: 'UBOT' }))).toBe('not_in_channel');
      expect(sb.messages(pub)).toHaveLength(0);

      await client.conversations.join({ channel: pub });
      await client.chat.postMessage({ channel: pub, text: 'index line' });
      expect(sb.members(pub)).toEqual(['UBOT']);
      expect(sb.messages(pub).map((m) => m.text)).toEqual(['index line']);

      sb.removeMember(pub, 'UBOT');
      expect(await slackError(client.chat.postMessage({ channel: pub, text: 'again' }))).toBe('not_in_channel');
    });

    it('refuses posts to an archived channel', async () => {
      const ch = sb.addChannel({ name: 'done', members: ['UBOT'], archived: true });
      expect(await slackError(client.chat.postMessage({ channel: ch, text: 'x' }))).toBe('is_archived');
      expect(await slackError(client.conversations.archive({ channel: ch }))).toBe('already_archived');
    });

    it('refuses seeded channels whose names Slack would refuse', () => {
      sb.addChannel({ name: 'taken' });
      expect(() => sb.addChannel({ name: 'taken' })).toThrow(/name_taken/);
      expect(() => sb.addChannel({ name: 'Bad Name' })).toThrow(/invalid_name_specials/);
    });
  });

  describe('invites', () => {
    let ch: string;
    beforeEach(async () => {
      sb.addUser({ id: 'U1', name: 'alice' });
      sb.addUser({ id: 'U2', name: 'bob' });
      ch = (await client.conversations.create({ name: 'case', is_private: true })).channel!.id!;
    });

    it('invites known users and refuses unknown ones, self and empty lists', async () => {
      await client.conversations.invite({ channel: ch, users: 'U1' });
      expect(sb.members(ch).sort()).toEqual(['U1', 'UBOT']);
      expect(await slackError(client.conversations.invite({ channel: ch, users: 'U2,U404' }))).toBe('user_not_found');
      expect(sb.members(ch)).not.toContain('U2');
      expect(await slackError(client.conversations.invite({ channel: ch, users: 'UBOT' }))).toBe('cant_invite_self');
      expect(await slackError(client.conversations.invite({ channel: ch, users: '' }))).toBe('no_user');
    });

    it('says already_in_channel only when every user is already a member', async () => {
      await client.conversations.invite({ channel: ch, users: 'U1' });
      expect(await slackError(client.conversations.invite({ channel: ch, users: 'U1' }))).toBe('already_in_channel');
      await client.conversations.invite({ channel: ch, users: 'U1,U2' });
      expect(sb.members(ch).sort()).toEqual(['U1', 'U2', 'UBOT']);
    });

    it('takes at most 1,000 users a call', async () => {
      for (let i = 0; i < 1001; i++) sb.addUser({ id: `UX${i}`, name: `x${i}` });
      const ids = Array.from({ length: 1001 }, (_, i) => `UX${i}`);
      expect(await slackError(client.conversations.invite({ channel: ch, users: ids.join(',') }))).toBe('too_many_users');
      expect(sb.members(ch)).toEqual(['UBOT']);
      await client.conversations.invite({ channel: ch, users: ids.slice(0, 1000).join(',') });
      expect(sb.members(ch)).toHaveLength(1001);
    });

    it('invites everyone else and still fails the call when one user is deactivated', async () => {
      sb.addUser({ id: 'U3', name: 'gone', deleted: true });
      const data = await slackErrorData(client.conversations.invite({ channel: ch, users: 'U1,U3' }));
      expect(data.error).toBe('cant_invite');
      expect(data.errors).toEqual([{ user: 'U3', ok: false, error: 'user_is_deactivated' }]);
      expect(sb.members(ch).sort()).toEqual(['U1', 'UBOT']);
    });

    it('skips unknown users with force and reports them', async () => {
      const res = await client.conversations.invite({ channel: ch, users: 'U2,U404', force: true });
      expect(res.errors).toEqual([{ user: 'U404', ok: false, error: 'user_not_found' }]);
      expect(sb.members(ch).sort()).toEqual(['U2', 'UBOT']);
      const none = await client.conversations.invite({ channel: ch, users: 'U404', force: true });
      expect(none.errors).toEqual([{ user: 'U404', ok: false, error: 'user_not_found' }]);
      expect(sb.members(ch).sort()).toEqual(['U2', 'UBOT']);
    });
  });

  describe('messages', () => {
    let ch: string;
    beforeEach(async () => {
      ch = (await client.conversations.create({ name: 'case' })).channel!.id!;
    });

    it('posts, threads, broadcasts and reads back with Slack-format increasing ts', async () => {
      const parent = await client.chat.postMessage({ channel: ch, text: 'parent', unfurl_links: false });
      expect(parent).toMatchObject({ ok: true, channel: ch, message: { text: 'parent', user: 'UBOT' } });
      expect(parent.ts).toMatch(/^\d{10}\.\d{6}$/);
      const r1 = await client.chat.postMessage({ channel: ch, text: 'step 1', thread_ts: parent.ts! });
      const r2 = await client.chat.postMessage({ channel: ch, text: 'step 2', thread_ts: r1.ts! });
      const b = await client.chat.postMessage({ channel: ch, text: 'done', thread_ts: parent.ts!, reply_broadcast: true });
      const ts = [parent.ts!, r1.ts!, r2.ts!, b.ts!];
      expect([...ts].sort((x, y) => Number(x) - Number(y))).toEqual(ts);
      expect(new Set(ts).size).toBe(4);

      expect(sb.messages(ch).map((m) => m.text)).toEqual(['parent', 'done']);
      expect(sb.replies(ch, parent.ts!).map((m) => [m.text, m.thread_ts])).toEqual([
        ['step 1', parent.ts],
        ['step 2', parent.ts],
        ['done', parent.ts],
      ]);
      expect(sb.message(ch, parent.ts!)?.unfurl_links).toBe(false);

      const history = await client.conversations.history({ channel: ch });
      expect(history.messages?.map((m) => m.text)).toEqual(['done', 'parent']);
      expect(history.messages?.[1]).toMatchObject({ reply_count: 3, thread_ts: parent.ts });
      const replies = await client.conversations.replies({ channel: ch, ts: parent.ts! });
      expect(replies.messages?.map((m) => m.text)).toEqual(['parent', 'step 1', 'step 2', 'done']);
    });

    it('refuses a thread_ts that names no message, and a message with neither text nor blocks', async () => {
      expect(await slackError(client.chat.postMessage({ channel: ch, text: 'x', thread_ts: '1700000000.000100' }))).toBe('thread_not_found');
      expect(await slackError(client.apiCall('chat.postMessage', { channel: ch }))).toBe('no_text');
      expect(await slackError(client.apiCall('chat.postMessage', { channel: 'C0NOPE', text: 'x' }))).toBe('channel_not_found');
      expect(sb.messages(ch)).toHaveLength(0);
    });

    it('posts to a channel by name, as Slack allows for chat.postMessage', async () => {
      await client.chat.postMessage({ channel: '#case', text: 'by name' });
      expect(sb.messages(ch).map((m) => m.text)).toEqual(['by name']);
    });

    it('updates only existing bot messages, counting edits and keeping history', async () => {
      const p = await client.chat.postMessage({ channel: ch, text: 'v1', blocks: [section('v1')] });
      await client.chat.update({ channel: ch, ts: p.ts!, text: 'v2', blocks: [section('v2')] });
      await client.chat.update({ channel: ch, ts: p.ts!, text: 'v3' });
      const m = sb.message(ch, p.ts!)!;
      expect(m).toMatchObject({ text: 'v3', edits: 2, blocks: [section('v2')] });
      expect(m.history.map((v) => v.text)).toEqual(['v1', 'v2']);

      await client.chat.update({ channel: ch, ts: p.ts!, text: 'v4', blocks: [] });
      expect(sb.message(ch, p.ts!)?.blocks).toBeUndefined();

      const human = sb.addMessage({ channel: ch, user: 'U1', text: 'hi' });
      expect(await slackError(client.chat.update({ channel: ch, ts: human, text: 'hacked' }))).toBe('cant_update_message');
      expect(await slackError(client.chat.update({ channel: ch, ts: '1.000001', text: 'x' }))).toBe('message_not_found');
      expect(await slackError(client.apiCall('chat.update', { channel: ch, ts: p.ts! }))).toBe('no_text');
      expect(sb.message(ch, human)?.text).toBe('hi');
    });

    it('deletes bot messages and their pins, not other people’s', async () => {
      const p = await client.chat.postMessage({ channel: ch, text: 'bye' });
      await client.pins.add({ channel: ch, timestamp: p.ts! });
      const human = sb.addMessage({ channel: ch, user: 'U1', text: 'stay' });
      expect(await slackError(client.chat.delete({ channel: ch, ts: human }))).toBe('cant_delete_message');
      await client.chat.delete({ channel: ch, ts: p.ts! });
      expect(sb.messages(ch).map((m) => m.text)).toEqual(['stay']);
      expect(sb.pins(ch)).toEqual([]);
    });

    it('records ephemeral messages for channel members only', async () => {
      sb.addUser({ id: 'U1', name: 'alice' });
      sb.addUser({ id: 'U2', name: 'bob' });
      await client.conversations.invite({ channel: ch, users: 'U1' });
      const res = await client.chat.postEphemeral({ channel: ch, user: 'U1', text: 'usage: /ir contain <arn>' });
      expect(res.message_ts).toMatch(/^\d+\.\d{6}$/);
      expect(await slackError(client.chat.postEphemeral({ channel: ch, user: 'U2', text: 'x' }))).toBe('user_not_in_channel');
      expect(sb.ephemerals(ch)).toEqual([{ via: 'postEphemeral', channel: ch, user: 'U1', text: 'usage: /ir contain <arn>', message_ts: res.message_ts }]);
      expect(sb.messages(ch)).toHaveLength(0);
    });

    it('refuses ephemerals where the bot is not: a public channel without it, a DM between two people', async () => {
      sb.addUser({ id: 'U1', name: 'alice' });
      sb.addUser({ id: 'U2', name: 'bob' });
      const open = sb.addChannel({ name: 'general', members: ['U1'] });
      expect(await slackError(client.chat.postEphemeral({ channel: open, user: 'U1', text: 'x' }))).toBe('not_in_channel');
      const dm = sb.addDm('U1', 'U2');
      expect(dm).toMatch(/^D/);
      expect(await slackError(client.chat.postEphemeral({ channel: dm, user: 'U1', text: 'x' }))).toBe('channel_not_found');
      expect(await slackError(client.chat.postMessage({ channel: dm, text: 'x' }))).toBe('channel_not_found');
      expect(sb.ephemerals()).toEqual([]);
    });

    it('opens the bot’s own DM with a user, once, and posts there', async () => {
      sb.addUser({ id: 'U1', name: 'alice' });
      sb.addUser({ id: 'U9', name: 'gone', deleted: true });
      sb.addUser({ id: 'B1', name: 'otherbot', isBot: true });
      const a = await client.conversations.open({ users: 'U1' });
      const b = await client.conversations.open({ users: 'U1' });
      expect(a.channel?.id).toMatch(/^D/);
      expect(b.channel?.id).toBe(a.channel?.id);
      await client.chat.postMessage({ channel: a.channel!.id!, text: 'your job failed' });
      expect(sb.messages(a.channel!.id!).map((m) => m.text)).toEqual(['your job failed']);
      expect(sb.members(a.channel!.id!).sort()).toEqual(['U1', 'UBOT']);
      expect(await slackError(client.conversations.open({ users: 'U404' }))).toBe('user_not_found');
      expect(await slackError(client.conversations.open({ users: 'U9' }))).toBe('user_disabled');
      expect(await slackError(client.conversations.open({ users: 'B1' }))).toBe('cannot_dm_bot');
      const listed = await client.conversations.list({ types: 'public_channel,private_channel' });
      expect(listed.channels?.map((c) => c.id)).not.toContain(a.channel!.id);
    });

    it('adds reactions once per message', async () => {
      const p = await client.chat.postMessage({ channel: ch, text: 'x' });
      await client.reactions.add({ channel: ch, timestamp: p.ts!, name: 'white_check_mark' });
      expect(await slackError(client.reactions.add({ channel: ch, timestamp: p.ts!, name: 'white_check_mark' }))).toBe('already_reacted');
      expect(sb.message(ch, p.ts!)?.reactions).toEqual([{ name: 'white_check_mark', users: ['UBOT'] }]);
    });

    it('returns copies, so tests cannot change the server’s state', async () => {
      const p = await client.chat.postMessage({ channel: ch, text: 'orig' });
      sb.messages(ch)[0]!.text = 'changed';
      sb.channel(ch)!.name = 'changed';
      expect(sb.message(ch, p.ts!)?.text).toBe('orig');
      expect(sb.channel(ch)?.name).toBe('case');
    });
  });

  describe('pins', () => {
    it('pins once, refuses unknown messages and lists pins', async () => {
      const ch = (await client.conversations.create({ name: 'case' })).channel!.id!;
      const card = await client.chat.postMessage({ channel: ch, text: 'case card' });
      await client.pins.add({ channel: ch, timestamp: card.ts! });
      expect(await slackError(client.pins.add({ channel: ch, timestamp: card.ts! }))).toBe('already_pinned');
      expect(await slackError(client.pins.add({ channel: ch, timestamp: '1700000000.000001' }))).toBe('message_not_found');
      expect(await slackError(client.apiCall('pins.add', { channel: ch }))).toBe('no_item_specified');
      expect(sb.pins(ch)).toEqual([card.ts]);
      const list = await client.pins.list({ channel: ch });
      expect(list.items?.map((i) => i.message?.text)).toEqual(['case card']);
      await client.pins.remove({ channel: ch, timestamp: card.ts! });
      expect(sb.pins(ch)).toEqual([]);
      expect(await slackError(client.pins.remove({ channel: ch, timestamp: card.ts! }))).toBe('no_pin');
    });
  });

  describe('users and groups', () => {
    it('looks users up by email, case-insensitively', async () => {
      sb.addUser({ id: 'U0ALICE', name: 'alice', email: 'Alice@Example.com' });
      const res = await client.users.lookupByEmail({ email: 'alice@example.COM' });
      expect(res.user).toMatchObject({ id: 'U0ALICE', name: 'alice', team_id: 'T0SANDBOX', profile: { email: 'Alice@Example.com' } });
      expect(await slackError(client.users.lookupByEmail({ email: 'mallory@example.com' }))).toBe('users_not_found');
      expect((await client.users.info({ user: 'U0ALICE' })).user?.name).toBe('alice');
      expect(await slackError(client.users.info({ user: 'U404' }))).toBe('user_not_found');
    });

    it('lists user-group members and refuses unknown groups', async () => {
      sb.addUserGroup({ id: 'S0RESPOND', handle: 'responders', users: ['U1', 'U2'] });
      expect((await client.usergroups.users.list({ usergroup: 'S0RESPOND' })).users).toEqual(['U1', 'U2']);
      expect(await slackError(client.usergroups.users.list({ usergroup: 'S0NOPE' }))).toBe('no_such_subteam');
    });
  });

  describe('Block Kit limits', () => {
    let ch: string;
    beforeEach(async () => {
      ch = (await client.conversations.create({ name: 'limits' })).channel!.id!;
    });

    const actions = (elements: unknown[]): Record<string, unknown> => ({ type: 'actions', elements });
    const cases: [string, unknown[], string][] = [
      ['51 blocks', Array.from({ length: 51 }, () => ({ type: 'divider' })), '/blocks]'],
      ['section text of 3001', [section('x'.repeat(3001))], '/blocks/0/text/text]'],
      ['11 fields', [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }], '/blocks/0/fields]'],
      ['field of 2001', [{ type: 'section', fields: [{ type: 'mrkdwn', text: 'x'.repeat(2001) }] }], '/blocks/0/fields/0/text]'],
      ['header of 151', [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }], '/blocks/0/text/text]'],
      ['11 context elements', [{ type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })) }], '/blocks/0/elements]'],
      ['26 action elements', [actions(Array.from({ length: 26 }, (_, i) => button({ action_id: `a${i}` })))], '/blocks/0/elements]'],
      ['block_id of 256', [{ type: 'divider', block_id: 'b'.repeat(256) }], '/blocks/0/block_id]'],
      ['action_id of 256', [actions([button({ action_id: 'a'.repeat(256) })])], '/blocks/0/elements/0/action_id]'],
      ['button text of 76', [actions([button({ text: { type: 'plain_text', text: 'x'.repeat(76) } })])], '/blocks/0/elements/0/text/text]'],
      ['button value of 2001', [actions([button({ value: 'v'.repeat(2001) })])], '/blocks/0/elements/0/value]'],
      ['button url of 3001', [actions([button({ url: `https://x/${'u'.repeat(2991)}` })])], '/blocks/0/elements/0/url]'],
      ['accessory button text of 76', [{ ...section('s'), accessory: button({ text: { type: 'plain_text', text: 'x'.repeat(76) } }) }], '/blocks/0/accessory/text/text]'],
      ['duplicate block_id', [{ type: 'divider', block_id: 'd' }, { type: 'divider', block_id: 'd' }], '/blocks/1/block_id]'],
      ['empty section text', [section('')], '/blocks/0/text/text]'],
    ];

    it.each(cases)('refuses %s with invalid_blocks naming the violation', async (_name, blocks, pointer) => {
      const data = await slackErrorData(client.apiCall('chat.postMessage', { channel: ch, text: 'fallback', blocks }));
      expect(data.error).toBe('invalid_blocks');
      const messages = (data.response_metadata as { messages?: string[] } | undefined)?.messages ?? [];
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatch(/^\[ERROR\] /);
      expect(messages[0]!.endsWith(pointer)).toBe(true);
      expect(sb.messages(ch)).toHaveLength(0);
    });

    it('accepts messages exactly at every limit', async () => {
      const atLimit = [
        { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(BLOCK_LIMITS.headerText) } },
        { ...section('s'.repeat(BLOCK_LIMITS.sectionText)), block_id: 'b'.repeat(BLOCK_LIMITS.blockId) },
        { type: 'section', fields: Array.from({ length: BLOCK_LIMITS.fields }, () => ({ type: 'mrkdwn', text: 'f'.repeat(BLOCK_LIMITS.fieldText) })) },
        { type: 'context', elements: Array.from({ length: BLOCK_LIMITS.contextElements }, () => ({ type: 'mrkdwn', text: 'c' })) },
        actions(
          Array.from({ length: BLOCK_LIMITS.actionsElements }, (_, i) =>
            button({
              action_id: `${i}`.padEnd(BLOCK_LIMITS.actionId, 'a'),
              text: { type: 'plain_text', text: 't'.repeat(BLOCK_LIMITS.buttonText) },
              value: 'v'.repeat(BLOCK_LIMITS.buttonValue),
            }),
          ),
        ),
        ...Array.from({ length: BLOCK_LIMITS.blocks - 5 }, () => ({ type: 'divider' })),
      ];
      expect(blockViolation(atLimit)).toBeUndefined();
      // Each block is within its own limits, yet together they hold far more text than Slack takes in one message.
      expect(await slackError(client.apiCall('chat.postMessage', { channel: ch, text: 'x', blocks: atLimit }))).toBe('msg_blocks_too_long');
      // A response URL takes them (bolt-js issue 2867: respond() accepts what chat.postMessage refuses).
      const url = sb.responseUrl({ channel: ch, user: 'UBOT' });
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'x', blocks: atLimit }) });
      expect(res.status).toBe(200);
      await client.apiCall('chat.postMessage', { channel: ch, text: 't'.repeat(BLOCK_LIMITS.messageText), blocks: atLimit.slice(5) });
      expect(sb.messages(ch)[0]?.blocks).toHaveLength(45);
    });

    it('refuses blocks whose text adds up past 12,000 characters with msg_blocks_too_long, on every chat method', async () => {
      const four = (n: number) => Array.from({ length: 4 }, () => section('x'.repeat(n)));
      expect(blocksTextLength(four(3000))).toBe(12_000);
      await client.apiCall('chat.postMessage', { channel: ch, text: 'at the limit', blocks: four(3000) });
      const over = [...four(3000), { type: 'context', elements: [{ type: 'mrkdwn', text: 'y' }] }];
      expect(await slackError(client.apiCall('chat.postMessage', { channel: ch, text: 'x', blocks: over }))).toBe('msg_blocks_too_long');
      const p = await client.chat.postMessage({ channel: ch, text: 'ok' });
      expect(await slackError(client.apiCall('chat.update', { channel: ch, ts: p.ts, text: 'x', blocks: over }))).toBe('msg_blocks_too_long');
      expect(await slackError(client.apiCall('chat.postEphemeral', { channel: ch, user: 'UBOT', text: 'x', blocks: over }))).toBe('msg_blocks_too_long');
      expect(sb.messages(ch).map((m) => m.text)).toEqual(['at the limit', 'ok']);
    });

    it('applies the limits to chat.update and chat.postEphemeral too', async () => {
      const p = await client.chat.postMessage({ channel: ch, text: 'ok' });
      expect(await slackError(client.apiCall('chat.update', { channel: ch, ts: p.ts, text: 'x', blocks: [section('x'.repeat(3001))] }))).toBe('invalid_blocks');
      expect(sb.message(ch, p.ts!)).toMatchObject({ text: 'ok', edits: 0 });
      expect(await slackError(client.apiCall('chat.postEphemeral', { channel: ch, user: 'UBOT', text: 'x', blocks: [section('x'.repeat(3001))] }))).toBe('invalid_blocks');
      expect(sb.ephemerals()).toHaveLength(0);
    });

    it('refuses text over 40,000 characters and blocks that are not a JSON array', async () => {
      expect(await slackError(client.chat.postMessage({ channel: ch, text: 'x'.repeat(40_001) }))).toBe('msg_too_long');
      const notJson = await post('/api/chat.postMessage', new URLSearchParams({ channel: ch, text: 't', blocks: '[{"type":' }).toString(), {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Bearer xoxb-t',
      });
      expect(notJson.json).toEqual({ ok: false, error: 'invalid_blocks_format' });
      const notArray = await post('/api/chat.postMessage', new URLSearchParams({ channel: ch, text: 't', blocks: '{"type":"divider"}' }).toString(), {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Bearer xoxb-t',
      });
      expect(notArray.json).toEqual({ ok: false, error: 'invalid_blocks_format' });
      expect(sb.messages(ch)).toHaveLength(0);
    });
  });

  describe('rate limits', () => {
    it('answers 429 with Retry-After, and WebClient waits and retries until it succeeds', async () => {
      await sb.close();
      sb = await SlackSandbox.start({ rateLimits: { 'chat.postMessage': { perSecond: 1 } }, retryAfterSeconds: 1 });
      const ch = sb.addChannel({ name: 'burst', members: ['UBOT'] });
      const other = sb.addChannel({ name: 'other', members: ['UBOT'] });
      const retrying = new WebClient('xoxb-test', { slackApiUrl: sb.apiUrl, retryConfig: { retries: 2, minTimeout: 10, maxTimeout: 10 }, logger: quiet });

      await retrying.chat.postMessage({ channel: ch, text: 'first' });
      const raw = await post('/api/chat.postMessage', new URLSearchParams({ channel: ch, text: 'raw' }).toString(), {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Bearer xoxb-t',
      });
      expect(raw.status).toBe(429);
      expect(raw.headers.get('retry-after')).toBe('1');
      expect(raw.json).toEqual({ ok: false, error: 'ratelimited' });
      // chat.postMessage is limited per channel: another channel is not held back.
      await retrying.chat.postMessage({ channel: other, text: 'elsewhere' });

      const t0 = Date.now();
      const second = await retrying.chat.postMessage({ channel: ch, text: 'second' });
      expect(second.ok).toBe(true);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      expect(sb.messages(ch).map((m) => m.text)).toEqual(['first', 'second']);
      const statuses = sb.calls('chat.postMessage').map((c) => [c.args.text, c.httpStatus, c.response?.error ?? 'ok']);
      expect(statuses).toEqual([
        ['first', 200, 'ok'],
        ['raw', 429, 'ratelimited'],
        ['elsewhere', 200, 'ok'],
        ['second', 429, 'ratelimited'],
        ['second', 200, 'ok'],
      ]);
    });

    it('applies Slack tiers when turned on, with Retry-After telling when the window frees', async () => {
      await sb.close();
      sb = await SlackSandbox.start({ rateLimits: true });
      const strict = new WebClient('xoxb-test', { slackApiUrl: sb.apiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 }, logger: quiet });
      // conversations.create is Tier 2: 20 per minute.
      for (let i = 0; i < 20; i++) await strict.conversations.create({ name: `c-${i}` });
      await expect(strict.conversations.create({ name: 'c-20' })).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error' });
      const err = (await strict.conversations.create({ name: 'c-20' }).catch((e: unknown) => e)) as { retryAfter?: number };
      expect(err.retryAfter).toBeGreaterThan(50);
      expect(err.retryAfter).toBeLessThanOrEqual(60);
      expect(sb.channels()).toHaveLength(20);
      // Other methods have their own windows.
      expect((await strict.auth.test()).ok).toBe(true);
    });

    it('can be switched on at run time', async () => {
      sb.setRateLimits({ 'users.lookupByEmail': 1 });
      sb.addUser({ id: 'U1', name: 'a', email: 'a@example.com' });
      const strict = new WebClient('xoxb-test', { slackApiUrl: sb.apiUrl, rejectRateLimitedCalls: true, logger: quiet });
      await strict.users.lookupByEmail({ email: 'a@example.com' });
      await expect(strict.users.lookupByEmail({ email: 'a@example.com' })).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error' });
      expect(sb.calls('users.lookupByEmail').map((c) => c.httpStatus)).toEqual([200, 429]);
    });

    it('lets chat.postMessage burst per channel (3 by default), then one a second, from a token bucket', async () => {
      let now = 0;
      const limiter = new RateLimiter(true, () => now);
      // A full bucket: three at once, the fourth waits for a token (1 s at one a second).
      expect([0, 0, 0].map(() => limiter.admit('chat.postMessage', 'C1'))).toEqual([0, 0, 0]);
      expect(limiter.admit('chat.postMessage', 'C1')).toBe(1000);
      // Another channel has its own bucket.
      expect(limiter.admit('chat.postMessage', 'C2')).toBe(0);
      now = 500;
      expect(limiter.admit('chat.postMessage', 'C1')).toBe(500);
      now = 1000;
      expect(limiter.admit('chat.postMessage', 'C1')).toBe(0);
      expect(limiter.admit('chat.postMessage', 'C1')).toBe(1000);
      // Sustained: one a second, never a new burst until the bucket refills.
      now = 2000;
      expect(limiter.admit('chat.postMessage', 'C1')).toBe(0);
      expect(limiter.admit('chat.postMessage', 'C1')).toBe(1000);
      now = 10_000;
      expect([0, 0, 0, 0].map(() => limiter.admit('chat.postMessage', 'C1'))).toEqual([0, 0, 0, 1000]);
      // The strict reading is one rule away.
      const strict = new RateLimiter({ 'chat.postMessage': { perSecond: 1, burst: 1 } }, () => now);
      expect([strict.admit('chat.postMessage', 'C1'), strict.admit('chat.postMessage', 'C1')]).toEqual([0, 1000]);

      sb.setRateLimits(true);
      const ch = sb.addChannel({ name: 'bucket', members: ['UBOT'] });
      const strictClient = new WebClient('xoxb-test', { slackApiUrl: sb.apiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 }, logger: quiet });
      for (const text of ['a', 'b', 'c']) await strictClient.chat.postMessage({ channel: ch, text });
      const err = (await strictClient.chat.postMessage({ channel: ch, text: 'd' }).catch((e: unknown) => e)) as { code?: string; retryAfter?: number };
      expect(err).toMatchObject({ code: 'slack_webapi_rate_limited_error', retryAfter: 1 });
      expect(sb.messages(ch).map((m) => m.text)).toEqual(['a', 'b', 'c']);
    });

    it('counts in a sliding window', () => {
      let now = 0;
      const limiter = new RateLimiter({ m: { perMinute: 2 } }, () => now);
      expect(limiter.admit('m', undefined)).toBe(0);
      now = 30_000;
      expect(limiter.admit('m', undefined)).toBe(0);
      now = 40_000;
      expect(limiter.admit('m', undefined)).toBe(20_000);
      now = 60_000;
      expect(limiter.admit('m', undefined)).toBe(0);
      now = 61_000;
      expect(limiter.admit('m', undefined)).toBe(29_000);
      expect(limiter.admit('other', undefined)).toBe(0);
    });
  });

  describe('faults', () => {
    it('fails the next call with a Slack error, then behaves', async () => {
      sb.failNext('auth.test', 'internal_error');
      expect(await slackError(client.auth.test())).toBe('internal_error');
      expect((await client.auth.test()).user_id).toBe('UBOT');
      expect(sb.calls('auth.test').map((c) => c.response?.error ?? 'ok')).toEqual(['internal_error', 'ok']);
    });

    it('fails with a 5xx that WebClient retries', async () => {
      sb.failNext('chat.postMessage', { httpStatus: 503 });
      const ch = sb.addChannel({ name: 'c', members: ['UBOT'] });
      await expect(client.chat.postMessage({ channel: ch, text: 'x' })).rejects.toMatchObject({ code: 'slack_webapi_http_error', statusCode: 503 });
      expect(sb.messages(ch)).toHaveLength(0);

      sb.failNext('chat.postMessage', { httpStatus: 502 }, 2);
      const retrying = new WebClient('xoxb-test', { slackApiUrl: sb.apiUrl, retryConfig: { retries: 3, minTimeout: 10, maxTimeout: 10 }, logger: quiet });
      await retrying.chat.postMessage({ channel: ch, text: 'y' });
      expect(sb.calls('chat.postMessage').map((c) => c.httpStatus)).toEqual([503, 502, 502, 200]);
      expect(sb.messages(ch).map((m) => m.text)).toEqual(['y']);
    });

    it('delays answers by the configured latency', async () => {
      sb.setLatency(150);
      const t0 = Date.now();
      await client.auth.test();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    });
  });

  describe('files', () => {
    it('takes a file through filesUploadV2 and shares it into the channel and thread', async () => {
      const ch = (await client.conversations.create({ name: 'files', is_private: true })).channel!.id!;
      const parent = await client.chat.postMessage({ channel: ch, text: 'report' });
      const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe]);
      const res = await client.filesUploadV2({ channel_id: ch, file: bytes, filename: 'timeline.png', title: 'Timeline', initial_comment: 'IR report', thread_ts: parent.ts! });
      expect(res.ok).toBe(true);

      const files = sb.files();
      expect(files).toHaveLength(1);
      expect(files[0]).toMatchObject({ filename: 'timeline.png', title: 'Timeline', channel: ch, uploaded: true, completed: true, declaredLength: bytes.length });
      expect(files[0]!.bytes.equals(bytes)).toBe(true);
      const shared = sb.replies(ch, parent.ts!);
      expect(shared.map((m) => [m.text, m.files])).toEqual([['IR report', [{ id: files[0]!.id, name: 'timeline.png', title: 'Timeline' }]]]);
      expect(sb.calls().map((c) => c.method)).toEqual(['conversations.create', 'chat.postMessage', 'files.getUploadURLExternal', 'files.completeUploadExternal']);
      expect(sb.calls('files.completeUploadExternal')[0]?.args.files).toEqual([{ id: files[0]!.id, title: 'Timeline' }]);
    });

    it('keeps an image description only under the documented name alt_txt, and refuses one over 1,000 characters', async () => {
      // https://api.slack.com/methods/files.getUploadURLExternal: `alt_txt`; an unknown name is ignored.
      const described = await client.files.getUploadURLExternal({ filename: 'a.png', length: 3, alt_txt: 'Bars per phase' } as never);
      const misnamed = await client.files.getUploadURLExternal({ filename: 'b.png', length: 3, alt_text: 'Bars per phase' });
      const byId = new Map(sb.files().map((f) => [f.id, f.altText]));
      expect(byId.get(described.file_id!)).toBe('Bars per phase');
      expect(byId.get(misnamed.file_id!)).toBeUndefined();
      expect(await slackError(client.files.getUploadURLExternal({ filename: 'c.png', length: 3, alt_txt: 'x'.repeat(1001) } as never))).toBe('alt_txt_too_large');
    });

    it('refuses to complete an upload it never handed out', async () => {
      expect(await slackError(client.files.completeUploadExternal({ files: [{ id: 'F0NOPE' }] }))).toBe('file_not_found');
    });
  });

  describe('response URLs', () => {
    it('replaces the original message, posts in channel, or answers ephemerally', async () => {
      sb.addUser({ id: 'U1', name: 'alice' });
      const ch = sb.addChannel({ name: 'case', members: ['UBOT', 'U1'] });
      const card = await client.chat.postMessage({ channel: ch, text: 'Approve?' });
      const url = sb.responseUrl({ channel: ch, user: 'U1', messageTs: card.ts! });
      const send = (body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

      expect((await send({ replace_original: true, text: 'Approved by alice' })).status).toBe(200);
      expect((await send({ response_type: 'in_channel', text: 'Containment started' })).status).toBe(200);
      expect((await send({ text: 'only you can see this' })).status).toBe(200);
      expect((await send({ text: 'x', blocks: [section('x'.repeat(3001))] })).status).toBe(400);

      expect(sb.messages(ch).map((m) => [m.text, m.edits])).toEqual([
        ['Approved by alice', 1],
        ['Containment started', 0],
      ]);
      expect(sb.ephemerals(ch)).toEqual([{ via: 'response_url', channel: ch, user: 'U1', text: 'only you can see this' }]);
      expect(sb.calls('response_url').map((c) => c.httpStatus)).toEqual([200, 200, 200, 400]);
    });
  });

  describe('call log', () => {
    it('records every call with parsed args and outcome, rejected ones included, without the token', async () => {
      const ch = (await client.conversations.create({ name: 'log' })).channel!.id!;
      const blocks = [section('card')];
      await client.chat.postMessage({ channel: ch, text: 'card', blocks });
      await slackError(client.chat.postMessage({ channel: 'C0NOPE', text: 'lost' }));
      const calls = sb.calls();
      expect(calls.map((c) => [c.method, c.httpStatus, c.response])).toEqual([
        ['conversations.create', 200, { ok: true }],
        ['chat.postMessage', 200, { ok: true }],
        ['chat.postMessage', 200, { ok: false, error: 'channel_not_found' }],
      ]);
      expect(calls[1]?.args).toMatchObject({ channel: ch, text: 'card', blocks });
      expect(calls.every((c) => !('token' in c.args))).toBe(true);
      expect(calls[0]!.at).toBeLessThanOrEqual(calls[2]!.at);
      expect(sb.calls('conversations.create')).toHaveLength(1);
    });
  });
});
