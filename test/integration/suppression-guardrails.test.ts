import { loadConfig } from '../../src/config/load-config';
import { buildCordon, type Cordon } from '../../src/app/cordon';
import { clockTick } from '../../src/app/clock-tick';
import { silentLogger } from '../../src/log';
import { ActionId } from '../../src/slack/ids';
import { SlackSandbox } from '../../sandbox/slack';
import { makeFindingDetail, toEventBridgeEvent } from '../../sandbox/findings/finding-factory';
import { containmentHarness, PROD, REGION } from '../support/aws';
import { testConfigYaml } from '../support/cli-harness';
import { SIGNING_SECRET } from '../support/slack-requests';

/**
 * Issue 17 point 4: suppression cannot blind triage quietly. Each abuse is tried: a glob
 * that matches everything, a rule that never ends, a wide rule made by one commander; and
 * every rule made, approved, lifted or expired is said in the triage channel.
 */
describe('suppression guardrails', () => {
  let slack: SlackSandbox;
  let cordon: Cordon;
  let triage: string;
  let clock: number;
  const cmd = { userId: 'U0CMD', teamId: 'T0SANDBOX', channelId: 'C0ANY' };
  const cmd2 = { ...cmd, userId: 'U0CMD2' };

  beforeEach(async () => {
    slack = await SlackSandbox.start({});
    for (const id of ['U0CMD', 'U0CMD2']) slack.addUser({ id, name: id.toLowerCase() });
    triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
    const aws = containmentHarness();
    clock = Date.parse('2026-11-22T02:00:00.000Z');
    const yaml = testConfigYaml({ triageChannel: triage, extraTriage: 'suppressionMaxExpiry: 30d', extra: 'access:\n  users: { U0CMD: commander, U0CMD2: commander }' });
    const config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl }, () => yaml);
    cordon = buildCordon(config, silentLogger, { store: aws.store, clientFactory: aws.factory, now: () => new Date(clock) });
  });
  afterEach(async () => {
    await cordon.worker().inProcess?.idle();
    await slack.close();
  });

  const suppression = () => cordon.services().suppression;
  const triageTexts = () => slack.messages(triage).map((m) => m.text ?? '');
  const finding = (n: number, type: string, severity = 5) =>
    toEventBridgeEvent(makeFindingDetail({ type, severity, accessKeyId: `AKIAGRDR${String(n).padStart(12, '0')}`, userName: `g${n}`, accountId: PROD, region: REGION }));
  const suppressed = async (n: number, type: string, severity = 5) => (await cordon.pipeline.ingestDocument(finding(n, type, severity), 't')).suppressed;

  it.each(['*', '*:*', '*:*/*'])('refuses %s, which matches every finding type, and stores nothing', async (type) => {
    await expect(suppression().suppress(cmd, { type, accounts: [PROD], regions: [REGION], reason: 'too noisy' })).rejects.toMatchObject({
      code: 'INPUT.INVALID',
      message: `\`${type}\` matches every finding type and would blind triage; suppress one type or a family (e.g. Recon:EC2/*)`,
    });
    expect(await cordon.store.activeSuppressions()).toEqual([]);
    expect(triageTexts()).toEqual([]);
  });

  it('every rule expires: none longer than the configured maximum, and one without --for lasts that long', async () => {
    await expect(suppression().suppress(cmd, { type: 'Recon:IAMUser/MaliciousIPCaller', accounts: [PROD], regions: [REGION], reason: 'x', forMs: 31 * 86_400_000 })).rejects.toMatchObject({
      code: 'INPUT.INVALID',
      message: 'a suppression rule lasts at most 30d (triage.suppressionMaxExpiry); ask for less with --for',
    });
    const rule = await suppression().suppress(cmd, { type: 'Recon:IAMUser/MaliciousIPCaller', accounts: [PROD], regions: [REGION], reason: 'scanner' });
    expect(rule.expires).toBe('2026-12-22T02:00:00.000Z');
    expect(rule.approval).toBeUndefined();
    expect(await suppressed(1, 'Recon:IAMUser/MaliciousIPCaller')).toBe(1);
    expect(triageTexts()).toEqual([`New suppression rule ${rule.id}: Recon:IAMUser/MaliciousIPCaller`]);
    const section = JSON.stringify(slack.messages(triage)[0]!.blocks);
    expect(section).toContain('Made by <@U0CMD>');
    expect(section).toContain('why: scanner');
    expect(section).toContain('Until 2026-12-22 02:00 UTC');

    // Expired: the triage channel hears it once, and matching findings reach triage again.
    clock = Date.parse('2026-12-22T02:00:01.000Z');
    await clockTick(cordon, new Date(clock));
    await clockTick(cordon, new Date(clock));
    expect(triageTexts().filter((t) => t.startsWith('Suppression rule expired'))).toEqual([`Suppression rule expired ${rule.id}: Recon:IAMUser/MaliciousIPCaller`]);
    expect(await suppressed(2, 'Recon:IAMUser/MaliciousIPCaller')).toBe(0);
  });

  it.each([
    ['no account or region', { type: 'Recon:IAMUser/MaliciousIPCaller', accounts: [], regions: [] }, 'it names no account; it names no region'],
    ['a type that can be High', { type: 'CryptoCurrency:EC2/*', accounts: [PROD], regions: [REGION] }, 'it can match High or Critical findings (CryptoCurrency:EC2/BitcoinTool.B)'],
  ] as const)('a rule with %s suppresses nothing until a second commander approves it', async (_what, scope, why) => {
    const type = scope.type === 'CryptoCurrency:EC2/*' ? 'CryptoCurrency:EC2/BitcoinTool.B!DNS' : scope.type;
    const rule = await suppression().suppress(cmd, { ...scope, accounts: [...scope.accounts], regions: [...scope.regions], reason: 'miners in the lab' });
    expect(rule.approval).toMatchObject({ why: why.split('; ') });
    expect(await suppressed(3, type)).toBe(0);
    const pending = slack.messages(triage).at(-1)!;
    expect(pending.text).toBe(`Suppression rule waiting for a second commander ${rule.id}: ${scope.type}`);
    expect(JSON.stringify(pending.blocks)).toContain(`"action_id":"${ActionId.APPROVE_SUPPRESSION}"`);
    expect(JSON.stringify(pending.blocks)).toContain(`Needs another commander because ${why}`);

    // The maker cannot approve it; audited as a refusal.
    await expect(suppression().approve(cmd, rule.id)).rejects.toMatchObject({ code: 'ACCESS.SELF_APPROVAL' });
    expect((await cordon.store.listAudit({})).filter((e) => e.event === 'access.approve' && e.allowed === false)).toHaveLength(1);
    expect(await suppressed(4, type)).toBe(0);

    const approved = await suppression().approve(cmd2, rule.id);
    expect(approved.approval).toMatchObject({ approvedBy: 'U0CMD2' });
    expect(await suppressed(5, type)).toBe(1);
    expect(triageTexts().at(-1)).toBe(`Suppression rule approved and in force ${rule.id}: ${scope.type}`);

    // Lifted: said in the triage channel too.
    await suppression().lift(cmd2, rule.id);
    expect(triageTexts().at(-1)).toBe(`Suppression rule lifted ${rule.id}: ${scope.type}`);
    expect(await suppressed(6, type)).toBe(0);
  });

  it('a rule made from a High finding (Suppress similar) waits too, and an approval that lapsed is refused', async () => {
    const rule = await suppression().suppress(cmd, { type: 'Recon:IAMUser/MaliciousIPCaller', accounts: [PROD], regions: [REGION], reason: 'similar', severity: 8 });
    expect(rule.approval?.why).toEqual(['it was made from a High or Critical finding']);
    clock += 31 * 60_000;
    await expect(suppression().approve(cmd2, rule.id)).rejects.toMatchObject({ code: 'INPUT.INVALID', message: expect.stringContaining('expired') as unknown });
    expect(await suppressed(7, 'Recon:IAMUser/MaliciousIPCaller')).toBe(0);
  });
});
