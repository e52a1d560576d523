import { ListDetectorsCommand, ListFiltersCommand } from '@aws-sdk/client-guardduty';
import { loadConfig } from '../../src/config/load-config';
import { wire, type Cordon } from '../../src/container';
import { silentLogger } from '../../src/log';
import { SlackSandbox } from '../../src/sandbox/slack';
import { makeFindingDetail, toEventBridgeEvent } from '../../src/sandbox/findings/finding-factory';
import { containmentHarness, PROD, REGION } from '../support/aws';
import { testConfigYaml } from '../support/cli-harness';

describe('suppressions made in Slack', () => {
  let slack: SlackSandbox;
  let aws: ReturnType<typeof containmentHarness>;
  let cordon: Cordon;
  let clock: number;

  beforeEach(async () => {
    slack = await SlackSandbox.start({});
    slack.addUser({ id: 'U0CMD', name: 'cmd' });
    slack.addUser({ id: 'U0RESP', name: 'resp' });
    const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
    aws = containmentHarness();
    aws.sb.createDetector(PROD, REGION);
    clock = Date.parse('2026-11-22T02:00:00.000Z');
    const yaml = testConfigYaml({
      triageChannel: triage,
      extraTriage: 'guarddutyFilters: true',
      extra: 'access:\n  users: { U0CMD: commander, U0RESP: responder }',
    });
    const config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.apiUrl }, () => yaml);
    cordon = wire(config, silentLogger, { store: aws.store, clientFactory: aws.factory, now: () => new Date(clock) });
  });
  afterEach(() => slack.close());

  async function filters(): Promise<string[]> {
    const gd = aws.sb.guardduty(PROD, REGION);
    const detectorId = (await gd.send(new ListDetectorsCommand({}))).DetectorIds![0]!;
    return (await gd.send(new ListFiltersCommand({ DetectorId: detectorId }))).FilterNames ?? [];
  }
  const finding = (n: number) => toEventBridgeEvent(makeFindingDetail({ type: 'Recon:IAMUser/MaliciousIPCaller', accessKeyId: `AKIASUPP${String(n).padStart(12, '0')}`, userName: `u${n}`, accountId: PROD, region: REGION }));
  const who = { userId: 'U0CMD', teamId: 'T0SANDBOX', channelId: 'C0ANY' };

  it('suppresses matching findings with the rule id and posts nothing; lifting brings cases back and removes the filter', async () => {
    const rule = await cordon.control().suppression.suppress(who, { type: 'Recon:IAMUser/MaliciousIPCaller', accounts: [PROD], regions: [REGION], reason: 'scanner noise', forMs: 7 * 86_400_000 });
    expect(rule).toMatchObject({ author: 'U0CMD', reason: 'scanner noise', expires: '2026-11-29T02:00:00.000Z' });
    expect(await filters()).toEqual([`cordon-${rule.id}`]);
    const posts = slack.calls('chat.postMessage').length;
    const s = await cordon.pipeline.ingestDocument(finding(1), 't');
    await cordon.slack!.publisher.flush();
    expect(s).toMatchObject({ suppressed: 1, casesOpened: [] });
    expect((await cordon.store.listFindings({ disposition: 'suppressed' }))[0]).toMatchObject({ suppressedBy: rule.id, suppressReason: 'scanner noise' });
    expect(slack.calls('chat.postMessage')).toHaveLength(posts);

    await cordon.control().suppression.lift(who, rule.id);
    expect(await filters()).toEqual([]);
    const after = await cordon.pipeline.ingestDocument(finding(2), 't');
    expect(after.casesOpened).toHaveLength(1);
  });

  it('an expired rule stops applying and its filter goes', async () => {
    const rule = await cordon.control().suppression.suppress(who, { type: 'Recon:IAMUser/*', accounts: [PROD], regions: [REGION], reason: 'short', forMs: 3600_000 });
    expect(await filters()).toHaveLength(1);
    clock += 2 * 3600_000;
    expect(await cordon.control().suppression.sweepExpired()).toEqual([rule.id]);
    expect(await filters()).toEqual([]);
    expect((await cordon.pipeline.ingestDocument(finding(3), 't')).casesOpened).toHaveLength(1);
  });

  it('needs a commander for suppress and unsuppress', async () => {
    const resp = { ...who, userId: 'U0RESP' };
    await expect(cordon.control().suppression.suppress(resp, { type: 'Recon:*', accounts: [], regions: [], reason: 'x' })).rejects.toMatchObject({ code: 'ACCESS.DENIED' });
    const rule = await cordon.control().suppression.suppress(who, { type: 'Recon:*', accounts: [], regions: [], reason: 'x' });
    await expect(cordon.control().suppression.lift(resp, rule.id)).rejects.toMatchObject({ code: 'ACCESS.DENIED' });
    expect(await cordon.store.activeSuppressions()).toHaveLength(1);
  });
});
