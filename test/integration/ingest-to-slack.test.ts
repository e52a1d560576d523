import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SlackSandbox } from '../../sandbox/slack';
import { makeFindingDetail, toEventBridgeEvent } from '../../sandbox/findings/finding-factory';
import { SqliteStore } from '../../src/store/sqlite-store';
import { caseChannelName, isValidChannelName } from '../../src/domain/cases/channel-name';
import { loadFixtures } from '../support/fixtures';
import { runCli, testConfigYaml, testWorkspace } from '../support/cli-harness';

describe('cordon ingest → sandbox Slack', () => {
  let slack: SlackSandbox;
  let triageChannel: string;
  let env: Record<string, string>;
  let dir: string;

  beforeEach(async () => {
    slack = await SlackSandbox.start({});
    slack.addUser({ id: 'U0ALICE', name: 'alice', email: 'alice@example.com' });
    slack.addUser({ id: 'U0BOB', name: 'bob', email: 'bob@example.com' });
    slack.addUserGroup({ id: 'S0RESPOND', handle: 'responders', users: ['U0ALICE', 'U0BOB'] });
    triageChannel = slack.addChannel({ name: 'security-triage', members: ['UBOT', 'U0ALICE'] });
    const ws = testWorkspace(testConfigYaml({ triageChannel, responderGroup: 'S0RESPOND', invite: ['U0ALICE'] }));
    dir = ws.dir;
    env = { ...ws.env, SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.apiUrl };
  });

  afterEach(async () => {
    await slack.close();
  });

  function write(name: string, doc: unknown): string {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(doc));
    return path;
  }

  function caseChannels() {
    return slack.channels().filter((c) => c.name.startsWith('ir-'));
  }

  it('makes one case channel with three cards for three findings about one access key', async () => {
    const events = [
      makeFindingDetail({ accessKeyId: 'AKIAKEYONE0000000001', userName: 'mallory', type: 'Stealth:IAMUser/CloudTrailLoggingDisabled', title: 'CloudTrail logging disabled' }),
      makeFindingDetail({ accessKeyId: 'AKIAKEYONE0000000001', userName: 'mallory', type: 'Persistence:IAMUser/AnomalousBehavior', title: 'New access key created' }),
      makeFindingDetail({ accessKeyId: 'AKIAKEYONE0000000001', userName: 'mallory', bucket: 'payroll', type: 'Exfiltration:S3/AnomalousBehavior', title: 'Anomalous S3 reads' }),
    ].map(toEventBridgeEvent);
    const r = await runCli(['ingest', write('three.json', events), '--json'], env);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as { casesOpened: string[]; cased: number };
    expect(summary.casesOpened).toHaveLength(1);
    expect(summary.cased).toBe(3);

    const channels = caseChannels();
    expect(channels).toHaveLength(1);
    const ch = channels[0]!;
    expect(ch.is_private).toBe(true);
    expect(isValidChannelName(ch.name)).toBe(true);
    const cards = slack.messages(ch.id).filter((m) => /finding:/.test(m.text ?? ''));
    expect(cards.map((m) => m.text)).toEqual([
      expect.stringContaining('CloudTrail logging disabled'),
      expect.stringContaining('New access key created'),
      expect.stringContaining('Anomalous S3 reads'),
    ]);
    // pinned case card, invited responder, one index line in the triage channel
    expect(slack.pins(ch.id)).toHaveLength(1);
    expect(slack.members(ch.id)).toEqual(expect.arrayContaining(['UBOT', 'U0ALICE']));
    const index = slack.messages(triageChannel).filter((m) => (m.text ?? '').startsWith(summary.casesOpened[0]!));
    expect(index).toHaveLength(1);
  });

  it('edits the card of a re-sent finding (count shown) and posts nothing new', async () => {
    const d = makeFindingDetail({ accessKeyId: 'AKIAKEYTWO0000000002', userName: 'eve' });
    expect((await runCli(['ingest', write('a.json', toEventBridgeEvent(d))], env)).code).toBe(0);
    const ch = caseChannels()[0]!;
    const before = slack.messages(ch.id).length;
    const postsBefore = slack.calls('chat.postMessage').length;
    const resent = { ...d, updatedAt: '2026-11-22T02:30:00.000Z', service: { ...(d.service as object), count: 12 } };
    const r = await runCli(['ingest', write('b.json', toEventBridgeEvent(resent))], env);
    expect(r.code).toBe(0);
    expect(slack.messages(ch.id)).toHaveLength(before);
    expect(slack.calls('chat.postMessage')).toHaveLength(postsBefore);
    const card = slack.messages(ch.id).find((m) => /finding:/.test(m.text ?? ''))!;
    expect(card.text).toContain('seen 12×');
    expect(JSON.stringify(card.blocks)).toContain('12 times');
  });

  it('stores a finding from a known CIDR as suppressed with the rule id and posts nothing', async () => {
    const d = makeFindingDetail({ remoteIp: '203.0.113.77', accessKeyId: 'AKIAKNOWN00000000003' });
    const r = await runCli(['ingest', write('known.json', toEventBridgeEvent(d)), '--json'], env);
    expect(JSON.parse(r.out)).toMatchObject({ suppressed: 1, casesOpened: [] });
    expect(slack.calls('chat.postMessage')).toHaveLength(0);
    expect(slack.calls('conversations.create')).toHaveLength(0);
    const store = SqliteStore.open(env.CORDON_STORE!.slice('sqlite:'.length));
    expect(await store.getFinding(String(d.id))).toMatchObject({ disposition: 'suppressed', suppressedBy: 'known-networks' });
    await store.close();
  });

  it('sends a Low finding only to the digest', async () => {
    const d = makeFindingDetail({ severity: 2, accessKeyId: 'AKIALOWLOW0000000004', title: 'Low thing' });
    const r = await runCli(['ingest', write('low.json', toEventBridgeEvent(d)), '--json'], env);
    expect(JSON.parse(r.out)).toMatchObject({ digest: 1, casesOpened: [] });
    expect(caseChannels()).toHaveLength(0);
    expect(slack.messages(triageChannel)).toHaveLength(0);
    // the digest, when due, lists it in the triage channel
    const { buildCordon } = await import('../../src/app/cordon');
    const { loadConfig } = await import('../../src/config/load-config');
    const { silentLogger } = await import('../../src/log');
    const cordon = buildCordon(loadConfig(env), silentLogger);
    expect(await cordon.slack!.publisher.postDigest('test')).toBe(1);
    await cordon.close();
    const digest = slack.messages(triageChannel);
    expect(digest).toHaveLength(1);
    // The digest groups by type and account, with counts.
    expect(JSON.stringify(digest[0]!.blocks)).toContain(String(d.type));
    expect(JSON.stringify(digest[0]!.blocks)).toContain('1 finding, seen');
  });

  it('opens a case for a Critical finding and mentions the responder group', async () => {
    const d = makeFindingDetail({ severity: 9.5, type: 'AttackSequence:IAM/CompromisedCredentials', accessKeyId: 'AKIACRIT000000000005', title: 'Attack sequence' });
    const r = await runCli(['ingest', write('crit.json', toEventBridgeEvent(d)), '--json'], env);
    expect(JSON.parse(r.out)).toMatchObject({ cased: 1 });
    const ch = caseChannels()[0]!;
    const texts = slack.messages(ch.id).map((m) => m.text ?? '');
    expect(texts.some((t) => t.startsWith('<!subteam^S0RESPOND> Case opened (Critical)'))).toBe(true);
  });

  it('posts attacker-controlled text escaped: the literal text Slack received', async () => {
    const d = makeFindingDetail({
      accessKeyId: 'AKIAEVIL000000000006',
      userName: '<!channel>',
      title: 'Hello <!here> & <@U0ALICE>',
      description: 'Click <https://evil.example|AWS Console> now',
    });
    expect((await runCli(['ingest', write('evil.json', toEventBridgeEvent(d))], env)).code).toBe(0);
    const card = slack.calls('chat.postMessage').find((c) => (typeof c.args.text === 'string' ? c.args.text : '').includes('finding:'))!;
    const sent = JSON.stringify(card.args.blocks);
    expect(sent).toContain('`&lt;!channel&gt;`');
    expect(sent).toContain('Click &lt;https://evil.example|AWS Console&gt; now');
    expect(sent).toContain('Hello &lt;!here&gt; &amp; &lt;@U0ALICE&gt;');
    expect(sent).not.toContain('<!channel>');
    expect(sent).not.toContain('<https://evil.example');
    expect(String(card.args.text)).toBe('Medium finding: Hello &lt;!here&gt; &amp; &lt;@U0ALICE&gt; (seen 1×)');
  });

  it('stores a malformed event as rejected and still takes the next one', async () => {
    const good = makeFindingDetail({ accessKeyId: 'AKIAGOOD000000000007' });
    const r = await runCli(['ingest', write('mixed.json', [{ ...toEventBridgeEvent(makeFindingDetail()), detail: { id: 'x', severity: 'high' } }, toEventBridgeEvent(good)]), '--json'], env);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ rejected: 1, cased: 1 });
    const store = SqliteStore.open(env.CORDON_STORE!.slice('sqlite:'.length));
    const [rej] = await store.listRejected(5);
    expect(rej?.reason).toMatch(/type|accountId|severity/);
    expect(await store.getFinding(String(good.id))).toBeDefined();
    await store.close();
  });

  it('ingests every shared fixture (GetFindings form too) into valid channels', async () => {
    const details = loadFixtures().map((f) => f.detail);
    const r = await runCli(['ingest', write('fixtures.json', { Findings: details }), '--json'], env);
    expect(JSON.parse(r.out)).toMatchObject({ received: 3, rejected: 0 });
    for (const c of caseChannels()) expect(isValidChannelName(c.name)).toBe(true);
  });

  it('retries a taken channel name with a suffix', async () => {
    const now = new Date('2026-11-22T02:00:00Z');
    const type = 'Recon:IAMUser/MaliciousIPCaller';
    const taken = caseChannelName('ir', 'IR-20261122-0000', type);
    // Someone else's channel (its creator is the first member): one the bot made would be adopted.
    slack.addChannel({ name: taken, members: ['U0ALICE', 'UBOT'] });
    const d = makeFindingDetail({ accessKeyId: 'AKIATAKEN00000000008', type });
    const r = await runCli(['ingest', write('t1.json', toEventBridgeEvent(d)), '--json'], env, { wire: { now: () => now, random: () => 0 } });
    expect(JSON.parse(r.out)).toMatchObject({ casesOpened: ['IR-20261122-0000'] });
    expect(slack.calls('conversations.create').map((c) => c.response?.error ?? 'ok')).toEqual(['name_taken', 'ok']);
    expect(caseChannels().map((c) => c.name)).toEqual(expect.arrayContaining([taken, `${taken}-2`]));
  });

  it('persists across a restart: ingesting the same file again creates nothing new', async () => {
    const file = write('same.json', [1, 2, 3].map((i) => toEventBridgeEvent(makeFindingDetail({ accessKeyId: `AKIASAME00000000000${i}`, userName: `u${i}` }))));
    const first = await runCli(['ingest', file, '--json'], env);
    expect(JSON.parse(first.out)).toMatchObject({ newFindings: 3 });
    const writes = () => slack.calls().filter((c) => !['auth.test', 'usergroups.users.list', 'users.lookupByEmail'].includes(c.method)).length;
    const before = writes();
    const channels = caseChannels().length;
    const second = await runCli(['ingest', file, '--json'], env);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.out)).toMatchObject({ newFindings: 0, unchanged: 3, casesOpened: [] });
    expect(caseChannels()).toHaveLength(channels);
    expect(writes()).toBe(before);
  });
});
