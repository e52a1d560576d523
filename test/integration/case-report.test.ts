import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { loadConfig } from '../../src/config/load-config';
import { buildCordon, type Cordon } from '../../src/app/cordon';
import { CHART_COLORS } from '../../src/domain/reports/phase-chart';
import { silentLogger } from '../../src/log';
import { makeFindingDetail, toEventBridgeEvent } from '../../sandbox/findings/finding-factory';
import { SlackSandbox } from '../../sandbox/slack';
import { startSlack, type SlackServer } from '../../src/slack/inbound/bolt-app';
import { ActionId } from '../../src/slack/ids';
import { containmentHarness, PROD, REGION, SANDBOX } from '../support/aws';
import { runCli, testConfigYaml, testWorkspace } from '../support/cli-harness';
import { buttonBody, commandBody, postSigned, SIGNING_SECRET } from '../support/slack-requests';
import { TIMELINE_LABEL } from '../../src/domain/cases/timeline-words';

const RESP = 'U0RESP';
const CMD1 = 'U0CMDA';
const CMD2 = 'U0CMDB';
const ONCALL = 'U0ONCALL';
const VIEW = 'U0VIEW';
const T0 = Date.parse('2026-11-25T02:00:00.000Z');
const at = (min: number): number => T0 + min * 60_000;

const YAML_EXTRA = `access:
  users: { ${RESP}: responder, ${ONCALL}: responder, ${CMD1}: commander, ${CMD2}: commander }
  approvals:
    - { name: production needs two people, environments: [production] }
containment: { untrackSeconds: 0 }
escalation:
  invite: [${ONCALL}]
  repageEvery: 5m`;

describe('a scripted case ends in a report, a phase chart and response metrics', () => {
  let slack: SlackSandbox;
  let aws: ReturnType<typeof containmentHarness>;
  let cordon: Cordon;
  let front: SlackServer;
  let events: string;
  let clock: number;
  let yaml: string;

  beforeAll(async () => {
    slack = await SlackSandbox.start({});
    for (const id of [RESP, CMD1, CMD2, ONCALL, VIEW]) slack.addUser({ id, name: id.toLowerCase() });
    const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT', RESP, CMD1, CMD2, VIEW] });
    aws = containmentHarness();
    clock = T0;
    yaml = testConfigYaml({ triageChannel: triage, invite: [RESP, CMD1, CMD2, VIEW], extra: YAML_EXTRA });
    const config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1' }, () => yaml);
    cordon = buildCordon(config, silentLogger, { store: aws.store, clientFactory: aws.factory, now: () => new Date(clock), sleep: () => Promise.resolve() });
    front = await startSlack(config, cordon.services(), silentLogger);
    events = `${front.address as string}/slack/events`;
  });

  afterAll(async () => {
    await cordon.worker().inProcess?.idle();
    await front.stop();
    await slack.close();
  });

  const settle = async (): Promise<void> => {
    await new Promise((r) => setTimeout(r, 50));
    await cordon.worker().inProcess!.idle();
  };
  const command = async (user: string, text: string, channel: string): Promise<void> => {
    const res = await postSigned(events, commandBody({ text, user, channel, responseUrl: slack.responseUrl({ channel, user }) }));
    expect(res.status).toBe(200);
    await settle();
  };
  const click = async (user: string, actionId: string, value: string, channel: string): Promise<void> => {
    await postSigned(events, buttonBody({ actionId, value, user, channel, responseUrl: slack.responseUrl({ channel, user }) }));
    await settle();
  };

  let caseId: string;
  let channel: string;

  it('runs: findings, escalate, ack, contain with approval, contain, revert one, resolve, report', async () => {
    const key = 'AKIAREPORT0000000001';
    const prodInstance = aws.sb.createInstance({ accountId: PROD, region: REGION });
    const sandboxInstance = aws.sb.createInstance({ accountId: SANDBOX, region: REGION });
    // 02:00 three findings about one access key: one case. GuardDuty saw the activity at
    // 02:00 too, so detection (where every metric starts) is 02:00.
    const AT_0200 = { createdAt: '2026-11-25T02:00:00.000Z', updatedAt: '2026-11-25T02:00:00.000Z' };
    const s = await cordon.pipeline.ingestDocument(
      [
        toEventBridgeEvent(makeFindingDetail({ id: 'f-recon', type: 'Recon:IAMUser/MaliciousIPCaller', accessKeyId: key, accountId: PROD, severity: 5, ...AT_0200 })),
        toEventBridgeEvent(makeFindingDetail({ id: 'f-persist', type: 'Persistence:IAMUser/AnomalousBehavior', accessKeyId: key, accountId: PROD, severity: 8, ...AT_0200 })),
        toEventBridgeEvent(makeFindingDetail({ id: 'f-exfil', type: 'Exfiltration:S3/AnomalousBehavior', accessKeyId: key, accountId: PROD, severity: 8, title: 'Reads | from <!channel> *unknown* `ip`', ...AT_0200 })),
      ],
      't',
    );
    await cordon.slack!.publisher.flush();
    expect(s.casesOpened).toHaveLength(1);
    caseId = s.casesOpened[0]!;
    channel = (await cordon.store.getCase(caseId))!.channelId!;

    clock = at(3);
    await command(CMD1, 'escalate exfiltration from the build account', channel);
    const bridge = (await cordon.store.getCase(caseId))!.bridgeChannelId!;
    expect(bridge).toBeDefined();
    clock = at(7.5);
    await command(ONCALL, 'ack', bridge);

    clock = at(9);
    await command(CMD1, `contain arn:aws:ec2:${REGION}:${PROD}:instance/${prodInstance.instanceId} persistence`, channel);
    const [a1] = await cordon.store.listActions({ caseId });
    expect(a1!.status).toBe('pending_approval');
    clock = at(12);
    await click(CMD2, ActionId.APPROVE, a1!.id, channel);
    expect((await cordon.store.getAction(a1!.id))!.status).toBe('applied');

    clock = at(14);
    await command(RESP, `contain arn:aws:ec2:${REGION}:${SANDBOX}:instance/${sandboxInstance.instanceId}`, channel);
    const a2 = (await cordon.store.listActions({ caseId }))[1]!;
    expect(a2.status).toBe('applied');
    clock = at(40);
    await command(CMD2, `revert ${a2.id}`, channel);
    expect((await cordon.store.getAction(a2.id))!.status).toBe('reverted');

    clock = at(60);
    await command(CMD1, 'resolve key rotated, instance rebuilt', channel);
    clock = at(61);
    await command(VIEW, 'report', channel);

    const files = slack.files();
    expect(files.map((f) => f.filename).sort()).toEqual([`${caseId}-phases.png`, `${caseId}-report.md`]);
    for (const f of files) {
      // Each file went through getUploadURLExternal, the upload URL and completeUploadExternal.
      expect(f).toMatchObject({ uploaded: true, completed: true, channel });
      expect(f.bytes.length).toBe(f.declaredLength);
    }
    expect(slack.calls('files.getUploadURLExternal')).toHaveLength(2);
    expect(slack.calls('files.completeUploadExternal')).toHaveLength(1);
    // The chart is described for screen readers under Slack's documented name (alt_txt), the markdown is not an image.
    const chartFile = files.find((f) => f.filename.endsWith('.png'))!;
    expect(chartFile.altText).toMatch(new RegExp(`^.{20,1000}$`, 's'));
    expect(chartFile.altText).toBe(slack.calls('files.getUploadURLExternal').map((c) => c.args.alt_txt).find((a) => typeof a === 'string'));
    expect(files.find((f) => f.filename.endsWith('.md'))!.altText).toBeUndefined();
    const shared = slack.messages(channel).find((m) => (m.files ?? []).length === 2)!;
    expect(shared.text).toContain(`requested by <@${VIEW}>`);

    const md = files.find((f) => f.filename.endsWith('.md'))!.bytes.toString('utf8');
    const [a1done, a2done] = await cordon.store.listActions({ caseId });
    expect(md.split('\n').filter((l) => l.startsWith('#'))).toEqual([
      `# Incident report ${caseId}: ${(await cordon.store.getCase(caseId))!.title}`,
      '## Summary',
      '## Metrics',
      '## Accounts and resources',
      '## Findings by tactic',
      '### Exfiltration (1)',
      '### Persistence (1)',
      '### Recon (1)',
      '## Actions',
      '## Timeline',
      '## Audit trail',
      '## Phase chart',
    ]);
    // Issue 17 point 8: the report says whether the case's audit chain verified.
    expect(md).toMatch(/## Audit trail\n\nVerified: audit trail verified: \d+ records in 1 stream, every hash chain intact/);
    expect(md).toContain('| Time to acknowledge | 7m 30s (450 s) | detected 2026-11-25 02:00:00 | acknowledged 2026-11-25 02:07:30 |');
    expect(md).toContain('| Time to contain | 12m 00s (720 s) | detected 2026-11-25 02:00:00 | contained 2026-11-25 02:12:00 |');
    expect(md).toContain('| Time to resolve | 1h 00m 00s (3600 s) | detected 2026-11-25 02:00:00 | resolved 2026-11-25 03:00:00 |');
    expect(md).toContain(`| A1 | \`${a1done!.id}\` | ec2-instance arn:aws:ec2:${REGION}:${PROD}:instance/${prodInstance.instanceId} | ${CMD1} | ${CMD2} | applied | 2026-11-25 02:12:00 | not reverted |`);
    expect(md).toContain(`| A2 | \`${a2done!.id}\` | ec2-instance arn:aws:ec2:${REGION}:${SANDBOX}:instance/${sandboxInstance.instanceId} | ${RESP} | no approval needed | applied | 2026-11-25 02:14:00 | reverted by ${CMD2} at 2026-11-25 02:40:00 |`);
    // Attacker text is inert: no raw pipe breaks the table, no Slack mention survives as markup.
    expect(md).toContain('Reads \\| from \\<!channel\\> \\*unknown\\* \\`ip\\`');
    expect(md).toContain('- Account 111111111111 (production)');
    expect(md).toContain('- **Resolved:** 2026-11-25 03:00:00 by U0CMDA: key rotated, instance rebuilt');
    const timeline = await cordon.store.listTimeline(caseId);
    const rows = md.slice(md.indexOf('## Timeline'), md.indexOf('## Audit trail')).split('\n').filter((l) => /^\| \d{4}-/.test(l));
    expect(rows).toHaveLength(timeline.filter((e) => e.kind !== 'report.published').length);
    for (const kind of ['case.opened', 'finding.added', 'case.escalated', 'case.acknowledged', 'action.requested', 'action.approved', 'action.applied', 'action.reverted', 'case.resolved'] as const) {
      // In words (issue 16 point 8): "Case opened", never the stored `case.opened`.
      expect(rows.some((r) => r.includes(` | ${TIMELINE_LABEL[kind]} | `))).toBe(true);
      expect(rows.some((r) => r.includes(` | ${kind} | `))).toBe(false);
    }
    expect(timeline.at(-1)).toMatchObject({ kind: 'report.published', actor: VIEW });

    const png = files.find((f) => f.filename.endsWith('.png'))!.bytes;
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const img = PNG.sync.read(png);
    // 960 wide; as tall as the labels and the two-row legend need (the chart grows rather than clip).
    expect([img.width, img.height]).toEqual([960, 350]);
    const rgb = (x: number, y: number) => [...img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 3)];
    // 02:00 → 03:00 spans x 48 → 912; contained at 02:12 is x ≈ 221.
    expect(rgb(120, 140)).toEqual([...CHART_COLORS.exposed]);
    expect(rgb(215, 140)).toEqual([...CHART_COLORS.exposed]);
    expect(rgb(228, 140)).toEqual([...CHART_COLORS.contained]);
    expect(rgb(600, 140)).toEqual([...CHART_COLORS.contained]);
    expect(rgb(930, 140)).toEqual([255, 255, 255]);
  });

  it('/ir stats shows the same numbers for the last 30 days, by severity', async () => {
    clock = at(62);
    await command(VIEW, 'stats', channel);
    const text = slack.ephemerals().at(-1)!.text ?? '';
    expect(text).toContain('cases opened since 2026-10-26 (last 30 days): 1*');
    expect(text).toContain('• *High* — 1 case');
    expect(text).toContain('acknowledge: median 7m 30s, max 7m 30s (1)');
    expect(text).toContain('contain: median 12m 00s, max 12m 00s (1)');
    expect(text).toContain('resolve: median 1h 00m 00s, max 1h 00m 00s (1)');
    // Issue 17 point 7: it says across which cases it counts.
    expect(text).toContain('Counted across every case Cordon opened since 2026-10-26, in every channel and of any status (open, resolved, closed; drills included), not only this one.');
  });

  it('tells the requester when the upload fails, and refuses /ir report outside a case channel', async () => {
    const before = slack.files().length;
    const recorded = (await cordon.store.listTimeline(caseId)).filter((e) => e.kind === 'report.published').length;
    slack.failNext('files.getUploadURLExternal', 'not_allowed_token_type', 2);
    await command(VIEW, 'report', channel);
    const told = slack.ephemerals().at(-1)!;
    expect(told).toMatchObject({ channel, user: VIEW });
    expect(told.text).toContain('The report could not be uploaded');
    expect(told.text).toContain('not_allowed_token_type');
    expect((await cordon.store.listTimeline(caseId)).filter((e) => e.kind === 'report.published')).toHaveLength(recorded);
    expect(slack.files().filter((f) => f.completed)).toHaveLength(before);

    const triage = slack.channels().find((c) => c.name === 'security-triage')!.id;
    await command(VIEW, 'report', triage);
    expect(slack.ephemerals().at(-1)!.text).toContain('run `/ir report` in a case channel, or `cordon report &lt;case-id&gt;` from a terminal');
  });

  it('cordon report writes the same report and chart to a folder, and explains a bad case id', async () => {
    const ws = testWorkspace(yaml);
    // The CLI closes its store when done; this one is shared with the other tests.
    const store = Object.assign(Object.create(aws.store) as typeof aws.store, { close: () => Promise.resolve() });
    const out = mkdtempSync(join(tmpdir(), 'cordon-report-'));
    const r = await runCli(['report', caseId, '--out', out, '--json'], ws.env, { wire: { store, now: () => new Date(clock) } });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { ok: boolean; files: string[]; metrics: { timeToContainMs: number } };
    expect(doc.ok).toBe(true);
    expect(doc.metrics.timeToContainMs).toBe(12 * 60_000);
    expect(doc.files.map((f) => f.slice(out.length + 1)).sort()).toEqual([`${caseId}-phases.png`, `${caseId}-report.md`]);
    expect(readFileSync(join(out, `${caseId}-report.md`), 'utf8')).toContain('| Time to resolve | 1h 00m 00s (3600 s) |');
    expect(PNG.sync.read(readFileSync(join(out, `${caseId}-phases.png`))).width).toBe(960);

    const bad = await runCli(['report', 'IR-nope'], ws.env, { wire: { store } });
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('`IR-nope` is not a case id (IR-<yyyymmdd>-<id>, e.g. IR-20261122-7Q3F) (INPUT.INVALID)');
    const missing = await runCli(['report', 'IR-20200101-ZZZZ'], ws.env, { wire: { store } });
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no case IR-20200101-ZZZZ (CASE.NOT_FOUND)');
  });
});
