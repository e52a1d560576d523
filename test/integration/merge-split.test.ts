import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import { buildCordon, type Cordon } from '../../src/app/cordon';
import { renderCaseReport } from '../../src/domain/reports/case-report';
import { caseMetrics } from '../../src/domain/reports/metrics';
import { silentLogger } from '../../src/log';
import { startSlack, type SlackServer } from '../../src/slack/inbound/bolt-app';
import { SlackSandbox } from '../../sandbox/slack';
import { SqliteStore } from '../../src/store/sqlite-store';
import { FIXTURE_DIR } from '../support/fixtures';
import { testConfigYaml } from '../support/cli-harness';
import { commandBody, postSigned, SIGNING_SECRET } from '../support/slack-requests';

// Issue 18 point 5 / acceptance 3: /ir merge and /ir split, by people, through the real
// Bolt receiver: nothing lost, every step audited, the pointer and the archive visible.
const RESP = 'U0RESP';
const CMD = 'U0CMDA';
const story = (file: string): Record<string, unknown> => JSON.parse(readFileSync(join(FIXTURE_DIR, 'stolen-key', `${file}.json`), 'utf8')) as Record<string, unknown>;

describe('/ir merge and /ir split', () => {
  let slack: SlackSandbox;
  let cordon: Cordon;
  let front: SlackServer;
  let events: string;

  beforeEach(async () => {
    slack = await SlackSandbox.start({});
    for (const id of [RESP, CMD]) slack.addUser({ id, name: id.toLowerCase() });
    const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT', RESP, CMD] });
    const yaml = testConfigYaml({ triageChannel: triage, invite: [RESP, CMD], extra: `access:\n  users: { ${RESP}: responder, ${CMD}: commander }` });
    const config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1' }, () => yaml);
    cordon = buildCordon(config, silentLogger, { store: SqliteStore.open(':memory:') });
    front = await startSlack(config, cordon.services(), silentLogger);
    events = `${front.address as string}/slack/events`;
  });

  afterEach(async () => {
    await cordon.worker().inProcess?.idle();
    await front.stop();
    await slack.close();
  });

  const command = (user: string, text: string, channel: string) => postSigned(events, commandBody({ text, user, channel, responseUrl: slack.responseUrl() }));
  async function settle(): Promise<void> {
    await new Promise((r) => setTimeout(r, 50));
    await cordon.worker().inProcess!.idle();
    await cordon.slack!.publisher.drain(3000);
  }
  async function eventually(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('merges a case into another, then splits a finding out, audited and visible in Slack', async () => {
    const key = story('1-key-discovery');
    const instance = story('5-instance-crypto-dns');
    const a = (await cordon.pipeline.ingestDetail(key, 't')).casesOpened[0]!;
    const b = (await cordon.pipeline.ingestDetail(instance, 't')).casesOpened[0]!;
    await cordon.slack!.publisher.drain(3000);
    const chA = (await cordon.store.getCase(a))!.channelId!;
    const chB = (await cordon.store.getCase(b))!.channelId!;

    await command(RESP, `merge ${b}`, chA);
    await eventually(() => slack.ephemerals().some((e) => /needs commander/.test(e.text ?? '')), 'the refusal');
    expect((await cordon.store.getCase(b))!.mergedInto).toBeUndefined();

    await command(CMD, `merge ${b.toLowerCase()}`, chA);
    await eventually(() => slack.ephemerals().some((e) => (e.text ?? '').startsWith(`Case ${b} merged into ${a}`)), 'the merge reply');
    await settle();
    expect((await cordon.store.listFindings({ caseId: a })).map((f) => f.id).sort()).toEqual([String(key.id), String(instance.id)].sort());
    const channelB = slack.channels().find((c) => c.id === chB)!;
    expect(channelB.is_archived).toBe(true);
    expect(slack.messages(chB).at(-1)?.text).toContain(`merged into ${a}`);
    expect((await cordon.store.listTimeline(a)).some((e) => e.kind === 'case.merged' && e.actor === CMD)).toBe(true);
    const audit = await cordon.store.listAudit({ caseId: a });
    expect(audit.filter((e) => e.event === 'case.merged')).toEqual([expect.objectContaining({ actor: CMD, detail: expect.objectContaining({ from: b }) as unknown })]);
    expect(audit.some((e) => e.allowed === false && e.actor === RESP)).toBe(true);

    // A second merge of the same case is refused with the reason.
    await command(CMD, `merge ${b}`, chA);
    await eventually(() => slack.ephemerals().some((e) => /already merged|closed/.test(e.text ?? '')), 'the second refusal');

    await command(CMD, `split ${String(instance.id)}`, chA);
    await eventually(() => slack.ephemerals().some((e) => (e.text ?? '').includes('moved into the new case')), 'the split reply');
    await settle();
    const moved = (await cordon.store.getFinding(String(instance.id)))!;
    expect(moved.caseId).not.toBe(a);
    const c = (await cordon.store.getCase(moved.caseId!))!;
    expect(c).toMatchObject({ status: 'open', band: 'high' });
    expect(c.channelId).toBeDefined();
    expect(slack.messages(c.channelId!).some((m) => (m.text ?? '').includes('finding'))).toBe(true);
    expect((await cordon.store.listFindings({ caseId: a })).map((f) => f.id)).toEqual([String(key.id)]);
    // The case's pinned card no longer counts the finding that left it.
    const cardTsA = (await cordon.store.getCase(a))!.cardTs;
    const cardA = slack.messages(chA).find((m) => m.ts === cardTsA)!;
    expect(JSON.stringify(cardA.blocks)).toContain('*Findings*\\n1');
    expect((await cordon.store.listAudit({ caseId: a })).some((e) => e.event === 'finding.split' && e.actor === CMD)).toBe(true);
    const caseA = (await cordon.store.getCase(a))!;
    const report = renderCaseReport({ case: caseA, findings: await cordon.store.listFindings({ caseId: a }), actions: [], timeline: await cordon.store.listTimeline(a), metrics: caseMetrics(caseA, []), generatedAt: new Date().toISOString() });
    expect(report).toContain('| Case merged in |');
    expect(report).toContain('| Finding split off |');
    expect(report).toContain(`**Merged in:** ${b}`);
  });
});
