import { Writable } from 'node:stream';
import { WebClient } from '@slack/web-api';
import { resolveCase, type Case } from '../../../src/domain/cases/case';
import { caseChannelName } from '../../../src/domain/cases/channel-name';
import { createLogger, type Logger } from '../../../src/log';
import { SlackSandbox } from '../../../sandbox/slack';
import { CasePublisher } from '../../../src/slack/outbound/case-publisher';
import { slackLogger } from '../../../src/slack/slack-logger';
import { SqliteStore } from '../../../src/store/sqlite-store';
import type { Store } from '../../../src/store/store';
import { T, draft } from '../store/store-contract';
import { Triage } from '../../../src/domain/triage/triage';
import { FindingPipeline } from '../../../src/services/finding-pipeline';
import { makeFindingDetail, toEventBridgeEvent } from '../../../sandbox/findings/finding-factory';

const TEST_ROUTING = {
  low: { open: 'digest' as const, mention: false, escalate: false },
  medium: { open: 'case' as const, mention: false, escalate: false },
  high: { open: 'case' as const, mention: true, escalate: false },
  critical: { open: 'case' as const, mention: true, escalate: true },
};

const CASE_ID = 'IR-20261122-0A1B';

/**
 * The store, except that the first `updateCase` storing a channel id throws: what a crash
 * (or a failed write) right after conversations.create leaves behind. Reads and other
 * writes reach the real store.
 */
function failingOnceOnChannelSave(store: Store): { store: Store; failed: () => boolean } {
  let failed = false;
  const updateCase = async (c: Case): Promise<boolean> => {
    if (!failed && c.channelId) {
      failed = true;
      throw new Error('SQLITE_IOERR: disk I/O error');
    }
    return store.updateCase(c);
  };
  const wrapped = new Proxy(store, {
    get: (target, prop, receiver) => (prop === 'updateCase' ? updateCase : (Reflect.get(target, prop, receiver) as unknown)),
  });
  return { store: wrapped, failed: () => failed };
}

/** The sandbox workspace both suites start from: alice to invite, the triage channel, an empty store. */
async function workspace(): Promise<{ slack: SlackSandbox; store: SqliteStore }> {
  const slack = await SlackSandbox.start({});
  slack.addUser({ id: 'U0ALICE', name: 'alice' });
  slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
  return { slack, store: SqliteStore.open(':memory:') };
}

/** A publisher with its own WebClient (no retries), as one process has. */
function newPublisher(slack: SlackSandbox, store: Store, log: Logger, opts: { privateChannels?: boolean; leaseWaitMs?: number } = {}): CasePublisher {
  const client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logger: slackLogger(createLogger('silent')) });
  return new CasePublisher(client, store, log, {
    triageChannel: 'security-triage',
    prefix: 'ir',
    privateChannels: opts.privateChannels ?? true,
    invite: ['U0ALICE'],
    inviteGroups: [],
    inviteResourceOwners: false,
    cardEditIntervalMs: 0,
    ...(opts.leaseWaitMs !== undefined ? { leaseWaitMs: opts.leaseWaitMs } : {}),
  });
}

describe('CasePublisher channel creation', () => {
  let slack: SlackSandbox;
  let store: SqliteStore;
  let logged: string;
  let name: string;

  beforeEach(async () => {
    ({ slack, store } = await workspace());
    const d = draft(CASE_ID);
    await store.claimCase(d, ['key:AKIAORPHAN0000000001'], T(-24));
    name = caseChannelName('ir', CASE_ID, d.primaryType);
    logged = '';
  });

  afterEach(async () => {
    await store.close();
    await slack.close();
  });

  function publisher(s: Store, opts: { privateChannels?: boolean } = {}): CasePublisher {
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((logged += chunk.toString()), done()) });
    return newPublisher(slack, s, createLogger('warn', sink), opts);
  }

  /** Channels named for this case, by whoever made them. */
  function caseChannels() {
    return slack.channels().filter((c) => c.name.startsWith(name));
  }

  /** The case channel is complete: stored on the case, topic, invite, pinned card. */
  async function expectPublishedIn(channelId: string): Promise<void> {
    const c = (await store.getCase(CASE_ID))!;
    expect(c).toMatchObject({ channelId, cardPinned: true });
    expect(c.channelName).toBe(slack.channel(channelId)!.name);
    expect(slack.channel(channelId)!.topic).toContain(CASE_ID);
    expect(slack.members(channelId)).toEqual(expect.arrayContaining(['UBOT', 'U0ALICE']));
    const card = slack.messages(channelId).filter((m) => m.ts === c.cardTs);
    expect(card).toHaveLength(1);
    expect(slack.pins(channelId)).toEqual([c.cardTs]);
  }

  it('adopts the channel it created when storing its id failed, and the next flush creates nothing', async () => {
    const failing = failingOnceOnChannelSave(store);
    const p = publisher(failing.store);

    const first = await p.flush();
    expect(failing.failed()).toBe(true);
    expect(first).toMatchObject({ failures: 1, channelsCreated: 0 });
    expect(logged).toContain('slack publish failed; will retry');
    expect(logged).toContain('SQLITE_IOERR');
    expect(caseChannels()).toHaveLength(1);
    expect((await store.getCase(CASE_ID))!.channelId).toBeUndefined();

    const second = await p.flush();
    expect(second.failures).toBe(0);
    const channels = caseChannels();
    expect(channels.map((c) => c.name)).toEqual([name]);
    await expectPublishedIn(channels[0]!.id);
    expect(logged).toContain('adopting the channel an earlier attempt created');

    const creates = slack.calls('conversations.create').length;
    const third = await p.flush();
    expect(third).toMatchObject({ failures: 0, channelsCreated: 0 });
    expect(slack.calls('conversations.create')).toHaveLength(creates);
    expect(caseChannels()).toHaveLength(1);
  });

  it('does not adopt a same-named channel someone else made: it takes the next suffix, and adopts its own there', async () => {
    // Alice's channel carries the first name; the bot is in it, but did not make it.
    const alices = slack.addChannel({ name, members: ['U0ALICE', 'UBOT'] });
    expect(slack.channel(alices)!.creator).toBe('U0ALICE');
    const failing = failingOnceOnChannelSave(store);
    const p = publisher(failing.store);

    expect((await p.flush()).failures).toBe(1);
    expect((await p.flush()).failures).toBe(0);

    const own = slack.channel(`${name}-2`)!;
    expect(own.creator).toBe('UBOT');
    expect(caseChannels().map((c) => c.name).sort()).toEqual([name, `${name}-2`]);
    await expectPublishedIn(own.id);
    expect(slack.messages(alices)).toEqual([]);
    expect(slack.channel(alices)!.topic).toBe('');
  });

  it('finds its channel on a later page of conversations.list', async () => {
    // Cordon lists 200 channels a call; the case channel comes after these 1,000.
    for (let i = 0; i < 1000; i++) slack.addChannel({ name: `other-${i}`, members: ['U0ALICE'] });
    const failing = failingOnceOnChannelSave(store);
    const p = publisher(failing.store, { privateChannels: false });

    expect((await p.flush()).failures).toBe(1);
    expect((await p.flush()).failures).toBe(0);

    const channels = caseChannels();
    expect(channels.map((c) => c.name)).toEqual([name]);
    await expectPublishedIn(channels[0]!.id);
    const lists = slack.calls('conversations.list');
    expect(lists).toHaveLength(6);
    expect(lists[0]!.args).toMatchObject({ types: 'private_channel,public_channel', exclude_archived: 'true', limit: '200' });
    expect(lists.slice(1).every((l) => typeof l.args.cursor === 'string' && l.args.cursor !== '')).toBe(true);
  });

  it.each([
    ['archived', { archived: true, members: ['UBOT'] }],
    ['the bot has left', { members: [] as string[] }],
  ])('does not adopt its own channel of that name when %s', async (_what, seed) => {
    // A channel the bot created (the seed's creator defaults to the bot when it lists no members).
    const old = slack.addChannel({ name, ...seed });
    expect(slack.channel(old)!.creator).toBe('UBOT');

    expect((await publisher(store, { privateChannels: false }).flush()).failures).toBe(0);

    await expectPublishedIn(slack.channel(`${name}-2`)!.id);
    expect(slack.messages(old)).toEqual([]);
  });
});

describe('CasePublisher across processes', () => {
  let slack: SlackSandbox;
  let store: SqliteStore;

  beforeEach(async () => {
    ({ slack, store } = await workspace());
    await store.claimCase(draft(CASE_ID), ['key:AKIATWOPROC000000001'], T(-24));
    for (let i = 0; i < 20; i++) await store.appendTimeline({ caseId: CASE_ID, at: T(1), kind: 'note', actor: 'U0ALICE', text: `note ${i}` });
  });

  afterEach(async () => {
    await store.close();
    await slack.close();
  });

  /** One publisher per "process": its own WebClient, owner id and in-process serialisation. */
  function process(opts: { leaseWaitMs?: number } = {}): CasePublisher {
    return newPublisher(slack, store, createLogger('silent'), opts);
  }

  it('two processes flushing the same store at once post every row exactly once', async () => {
    const a = process();
    const b = process();
    const results = await Promise.all([a.flush(), b.flush(), a.flush(), b.flush()]);
    // Whoever waited for the lease found nothing left, or did the rest.
    await Promise.all([a.flush(), b.flush()]);
    const channel = (await store.getCase(CASE_ID))!.channelId!;
    expect(slack.channels().filter((c) => c.name.startsWith('ir-'))).toHaveLength(1);
    const notes = slack.messages(channel).map((m) => m.text ?? '').filter((t) => /note \d+/.test(t));
    expect(notes).toHaveLength(20);
    expect(new Set(notes).size).toBe(20);
    expect(slack.calls('conversations.create')).toHaveLength(1);
    expect(results.every((r) => r.failures === 0)).toBe(true);
    expect(await store.unpostedTimeline(100)).toEqual([]);
  });

  it('a process that keeps the lease makes the other leave the work to it, saying so', async () => {
    await store.acquireLease('slack-publisher', 'publisher-elsewhere', new Date(Date.now() + 60_000).toISOString(), new Date().toISOString());
    const p = process({ leaseWaitMs: 300 });
    expect(await p.flush()).toMatchObject({ busy: true, channelsCreated: 0 });
    expect(slack.calls('conversations.create')).toEqual([]);
    await store.releaseLease('slack-publisher', 'publisher-elsewhere');
    expect(await p.flush()).toMatchObject({ channelsCreated: 1 });
  });
});

/** Issue 19 point 1: a case the findings function just opened is posted under its claim, every other publisher leaving it alone; case card edits are debounced. */
describe('CasePublisher claims on new cases, and case card edits', () => {
  let slack: SlackSandbox;
  let store: SqliteStore;

  beforeEach(async () => {
    ({ slack, store } = await workspace());
  });

  afterEach(async () => {
    await store.close();
    await slack.close();
  });

  it('a flush leaves a case another publisher claimed alone until the claim runs out, then posts it', async () => {
    let now = Date.parse(T(3));
    const claim = { owner: 'publisher-elsewhere', until: new Date(now + 60_000).toISOString() };
    await store.claimCase({ ...draft(CASE_ID), publishClaim: claim }, ['key:AKIACLAIMED000000001'], T(-24));
    await store.appendTimeline({ caseId: CASE_ID, at: T(3), kind: 'note', actor: 'U0ALICE', text: 'note while claimed' });
    const client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logger: slackLogger(createLogger('silent')) });
    const p = new CasePublisher(client, store, createLogger('silent'), { triageChannel: 'security-triage', prefix: 'ir', privateChannels: true, invite: [], inviteGroups: [], inviteResourceOwners: false, cardEditIntervalMs: 0, now: () => new Date(now) });
    const held = await p.flush();
    expect(held).toMatchObject({ channelsCreated: 0, eventsPosted: 0 });
    expect(held.deferred).toBeGreaterThan(0);
    expect(slack.calls('conversations.create')).toEqual([]);
    // The holder died: once its claim has run out, the next flush takes the case.
    now += 60_001;
    expect(await p.flush()).toMatchObject({ channelsCreated: 1, failures: 0 });
    const channel = (await store.getCase(CASE_ID))!.channelId!;
    expect(slack.messages(channel).map((m) => m.text)).toContain('note while claimed');
  });

  it('the holder gives its claim up when posting fails, so the next flush posts the case at once', async () => {
    const p = newPublisher(slack, store, createLogger('silent'));
    const other = newPublisher(slack, store, createLogger('silent'));
    const pipeline = new FindingPipeline(store, new Triage({ routing: TEST_ROUTING, knownCidrs: [], suppressions: [] }), createLogger('silent'), { correlationWindowMs: 86_400_000 });
    const placed: Parameters<CasePublisher['publishPlaced']>[0] = [];
    const summary = await pipeline.ingestDocument(toEventBridgeEvent(makeFindingDetail({ accessKeyId: 'AKIACLAIMFAIL0000001', severity: 5 })), 't', placed, { claimNewCases: p.newCaseClaim() });
    const caseId = summary.casesOpened[0] as string;
    expect((await store.getCase(caseId))?.publishClaim?.owner).toBeDefined();
    // While claimed, the other publisher posts nothing of it.
    expect(await other.flush()).toMatchObject({ channelsCreated: 0, cardsPosted: 0 });
    slack.failNext('conversations.create', 'fatal_error');
    expect(await p.publishPlaced(placed)).toMatchObject({ channelsCreated: 0, failures: 1 });
    expect((await store.getCase(caseId))?.publishClaim).toBeUndefined();
    expect(await other.flush()).toMatchObject({ channelsCreated: 1, cardsPosted: 1, failures: 0 });
  });
  // The case card's edits share chat.update's Tier 3 with the finding cards: joins wait out the interval, people's changes do not.
  it('waits out cardEditInterval between edits of a case card made stale by joins, but shows a resolve at once', async () => {
    let now = Date.parse(T(3));
    await store.claimCase(draft(CASE_ID), ['key:AKIACASECARD00000001'], T(-24));
    const client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logger: slackLogger(createLogger('silent')) });
    const p = new CasePublisher(client, store, createLogger('silent'), { triageChannel: 'security-triage', prefix: 'ir', privateChannels: true, invite: [], inviteGroups: [], inviteResourceOwners: false, cardEditIntervalMs: 10_000, now: () => new Date(now) });
    await p.flush();
    const cardEdits = () => slack.calls('chat.update').filter((c) => c.args.ts === caseNow.cardTs).length;
    let caseNow = (await store.getCase(CASE_ID))!;
    const stale = async () => {
      caseNow = (await store.getCase(CASE_ID))!;
      expect(await store.updateCase({ ...caseNow, severity: caseNow.severity + 0.1, cardDirty: true })).toBe(true);
    };
    await stale();
    now += 1000;
    const held = await p.flush();
    expect(cardEdits()).toBe(0);
    expect(held.deferred).toBeGreaterThanOrEqual(1);
    expect(held.nextDueAt).toBe(Date.parse(T(3)) + 10_000);
    now += 10_000;
    await p.flush();
    expect(cardEdits()).toBe(1);
    await stale();
    now += 1000;
    await p.flush();
    expect(cardEdits()).toBe(1);
    // A person resolves the case: shown now, not when the interval is up.
    caseNow = (await store.getCase(CASE_ID))!;
    expect(await store.updateCase(resolveCase(caseNow, 'U0ALICE', new Date(now).toISOString(), 'done'))).toBe(true);
    await p.flush();
    expect(cardEdits()).toBe(2);
    expect((await store.getCase(CASE_ID))!.cardDirty).toBe(false);
  });
});

/** Issue 16 point 5 and issue 17 point 5: setting up a case channel never blocks on invites, and a tag never steers them. */
describe('CasePublisher invites', () => {
  let slack: SlackSandbox;
  let store: SqliteStore;

  afterEach(async () => {
    await store.close();
    await slack.close();
  });

  async function setUp(opts: { invite: string[]; inviteGroups?: string[]; owners?: string[]; domains?: string[] }): Promise<CasePublisher> {
    ({ slack, store } = await workspace());
    await store.claimCase({ ...draft(CASE_ID), ownerEmails: opts.owners ?? [] }, ['key:AKIAINVITE0000000001'], T(-24));
    const client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logger: slackLogger(createLogger('silent')) });
    return new CasePublisher(client, store, createLogger('silent'), {
      triageChannel: 'security-triage',
      prefix: 'ir',
      privateChannels: true,
      invite: opts.invite,
      inviteGroups: opts.inviteGroups ?? [],
      inviteResourceOwners: true,
      resourceOwnerDomains: opts.domains ?? [],
      cardEditIntervalMs: 0,
    });
  }

  const channelOf = async () => (await store.getCase(CASE_ID))!.channelId!;
  const texts = (ch: string) => slack.messages(ch).map((m) => m.text ?? '');

  it('a case whose invites fail still gets its card and its triage line; each failure is a note in the channel', async () => {
    const publisher = await setUp({ invite: ['U0ALICE', 'U0GONE'], inviteGroups: ['S0MISSING'] });
    slack.addUser({ id: 'U0GONE', name: 'gone', deleted: true });
    const r = await publisher.flush();
    expect(r.failures).toBe(0);
    const c = (await store.getCase(CASE_ID))!;
    expect(c).toMatchObject({ cardPinned: true });
    expect(c.cardTs).toBeDefined();
    expect(c.indexTs).toBeDefined();
    expect(c.invitedAt).toBeDefined();
    const ch = await channelOf();
    expect(slack.pins(ch)).toEqual([c.cardTs]);
    expect(slack.members(ch).sort()).toEqual(['U0ALICE', 'UBOT']);
    expect(texts(ch).join('\n')).toMatch(/User group S0MISSING could not be read \(no_such_subteam\)/);
    expect(texts(ch).join('\n')).toMatch(/Slack user U0GONE could not be invited \(user_is_deactivated\)/);
    // The card came before any invite.
    const order = slack.calls().map((x) => x.method).filter((m) => m === 'chat.postMessage' || m === 'conversations.invite' || m === 'pins.add');
    expect(order.indexOf('pins.add')).toBeLessThan(order.indexOf('conversations.invite'));
    // A second flush invites no one again.
    await publisher.flush();
    expect(slack.calls('conversations.invite')).toHaveLength(1);
  });

  it('invites 1,500 people in calls of at most 1,000', async () => {
    const many = Array.from({ length: 1500 }, (_, i) => `U0M${String(i).padStart(5, '0')}`);
    const publisher = await setUp({ invite: many });
    for (const id of many) slack.addUser({ id, name: id.toLowerCase() });
    await publisher.flush();
    expect(slack.calls('conversations.invite').map((x) => String(x.args.users).split(',').length)).toEqual([1000, 500]);
    expect(slack.members(await channelOf())).toHaveLength(1501);
  });

  it('asks usergroups.users.list again once access.groupCacheTtl has passed', async () => {
    ({ slack, store } = await workspace());
    let now = Date.parse('2026-11-22T03:00:00.000Z');
    const client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logger: slackLogger(createLogger('silent')) });
    const publisher = new CasePublisher(client, store, createLogger('silent'), {
      triageChannel: 'security-triage', prefix: 'ir', privateChannels: true, invite: [], inviteGroups: ['S0ONCALL'], inviteResourceOwners: false,
      groupCacheTtlMs: 60_000, cardEditIntervalMs: 0, now: () => new Date(now),
    });
    slack.addUser({ id: 'U0BOB', name: 'bob' });
    slack.addUserGroup({ id: 'S0ONCALL', handle: 'oncall', users: ['U0ALICE'] });
    await store.claimCase(draft('IR-20261122-0A1C'), ['key:AKIAGROUP00000000001'], T(-24));
    await publisher.flush();
    slack.addUserGroup({ id: 'S0ONCALL', handle: 'oncall', users: ['U0BOB'] });
    now += 61_000;
    await store.claimCase(draft('IR-20261122-0A1D'), ['key:AKIAGROUP00000000002'], T(-24));
    await publisher.flush();
    const second = (await store.getCase('IR-20261122-0A1D'))!.channelId!;
    expect(slack.members(second).sort()).toEqual(['U0BOB', 'UBOT']);
    expect(slack.calls('usergroups.users.list')).toHaveLength(2);
  });

  it('an Owner tag alone never brings anyone in: guests, bots and other domains are named, not invited', async () => {
    const publisher = await setUp({ invite: [], owners: ['owner@corp.example', 'guest@corp.example', 'bot@corp.example', 'mallory@evil.example'], domains: ['corp.example'] });
    slack.addUser({ id: 'U0OWNER', name: 'owner', email: 'owner@corp.example' });
    slack.addUser({ id: 'U0GUEST', name: 'guest', email: 'guest@corp.example', restricted: true });
    slack.addUser({ id: 'U0BOTTY', name: 'botty', email: 'bot@corp.example', isBot: true });
    slack.addUser({ id: 'U0MALLO', name: 'mallory', email: 'mallory@evil.example' });
    await publisher.flush();
    const ch = await channelOf();
    expect(slack.members(ch).sort()).toEqual(['U0OWNER', 'UBOT']);
    const notes = texts(ch).join('\n');
    expect(notes).toMatch(/guest@corp\.example \(Owner tag\) is a guest in Slack; not invited/);
    expect(notes).toMatch(/bot@corp\.example \(Owner tag\) is a bot in Slack; not invited/);
    expect(notes).toMatch(/mallory@evil\.example \(Owner tag, Slack user U0MALLO\) was not invited: evil\.example is not an owner domain/);
  });

  it('without an owner-domain allowlist nobody is invited from a tag; the channel names them with an Invite owner button', async () => {
    const publisher = await setUp({ invite: [], owners: ['owner@corp.example'] });
    slack.addUser({ id: 'U0OWNER', name: 'owner', email: 'owner@corp.example' });
    await publisher.flush();
    const ch = await channelOf();
    expect(slack.members(ch)).toEqual(['UBOT']);
    expect(texts(ch).join('\n')).toMatch(/owner@corp\.example .* was not invited: owner tags are not trusted for invites/);
    // …with a button a responder clicks instead (issue 17 point 5), naming the case and the address only.
    const buttons = slack.messages(ch).flatMap((m) => ((m.blocks ?? []) as { elements?: { action_id?: string; value?: string }[] }[]).flatMap((b) => b.elements ?? []));
    expect(buttons.filter((e) => e.action_id === 'cordon.invite_owner').map((e) => e.value)).toEqual([`${CASE_ID} owner@corp.example`]);
  });
});

describe('CasePublisher: one card per finding type per case (issue 16 point 11)', () => {
  let slack: SlackSandbox;
  let store: SqliteStore;

  beforeEach(async () => {
    ({ slack, store } = await workspace());
  });

  afterEach(async () => {
    await store.close();
    await slack.close();
  });

  const INSTANCE = 'i-0abc1234def567890';
  const burst = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => toEventBridgeEvent(makeFindingDetail({ id: `grp${(from + i).toString().padStart(29, '0')}`, instanceId: INSTANCE, type: 'Recon:EC2/PortProbeUnprotectedPort', severity: 5 })));

  it('300 findings of one type arriving in bursts are one card, posted once and edited a bounded number of times, never once per finding', async () => {
    let now = Date.parse('2026-11-22T03:00:00Z');
    const client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logger: slackLogger(createLogger('silent')) });
    const p = new CasePublisher(client, store, createLogger('silent'), {
      triageChannel: 'security-triage',
      prefix: 'ir',
      privateChannels: true,
      invite: [],
      inviteGroups: [],
      inviteResourceOwners: false,
      cardEditIntervalMs: 10_000,
      now: () => new Date(now),
    });
    const triage = new Triage({ routing: TEST_ROUTING, knownCidrs: [], suppressions: [] });
    const pipeline = new FindingPipeline(store, triage, createLogger('silent'), { correlationWindowMs: 86_400_000 });
    // Ten bursts of 30, one second apart, the publisher flushing after each.
    for (let k = 0; k < 10; k++) {
      await pipeline.ingestDocument(burst(k * 30, 30), 'test');
      await p.flush();
      now += 1000;
    }
    // The held-back edit lands once its 10 s are up.
    now += 10_000;
    const last = await p.flush();
    expect(last.deferred).toBe(0);

    const [c] = await store.listCases({});
    const cards = slack.messages(c!.channelId!).filter((m) => /finding:/.test(m.text ?? ''));
    expect(cards).toHaveLength(1);
    expect(cards[0]!.text).toContain('(300 findings, seen 300×)');
    const cardCalls = slack.calls().filter((x) => /finding:/.test(String(x.args.text)));
    expect(cardCalls.filter((x) => x.method === 'chat.postMessage')).toHaveLength(1);
    // One post at 0 s, one edit once 10 s had passed (after the 10th burst), none per finding.
    expect(cardCalls.filter((x) => x.method === 'chat.update').length).toBeLessThanOrEqual(2);
    // Every finding points at that card, and none is left stale.
    const findings = await store.listFindings({ caseId: c!.id });
    expect(new Set(findings.map((f) => f.cardTs))).toEqual(new Set([cards[0]!.ts]));
    expect(findings.filter((f) => f.cardDirty)).toEqual([]);
    expect(await store.findingsToPublish(1000)).toEqual([]);
    // One resource: one Contain button, with its confirm naming the instance.
    const contains = JSON.stringify(cards[0]!.blocks).match(/"action_id":"cordon\.contain"/g) ?? [];
    expect(contains).toHaveLength(1);
    expect(JSON.stringify(cards[0]!.blocks)).toContain(INSTANCE);

    // A re-send of one of them edits the same card (after the debounce), never posts another.
    now += 20_000;
    const again = burst(0, 1).map((e) => ({ ...e, detail: { ...(e.detail as object), updatedAt: '2026-11-22T02:30:00.000Z', service: { ...((e.detail as { service: object }).service), count: 7 } } }));
    await pipeline.ingestDocument(again, 'test');
    expect((await p.flush()).cardsEdited).toBe(1);
    expect(slack.messages(c!.channelId!).filter((m) => /finding:/.test(m.text ?? ''))).toHaveLength(1);
    expect(slack.message(c!.channelId!, cards[0]!.ts)!.text).toContain('(300 findings, seen 306×)');
  });
});
