import { GetFilterCommand, GetFindingsCommand, ListDetectorsCommand, ListFiltersCommand } from '@aws-sdk/client-guardduty';
import { loadConfig } from '../../src/config/load-config';
import { buildCordon, type Cordon } from '../../src/app/cordon';
import { silentLogger } from '../../src/log';
import { clockTick } from '../../src/app/clock-tick';
import { startSlack, type SlackServer } from '../../src/slack/inbound/bolt-app';
import { ActionId } from '../../src/slack/ids';
import { SlackSandbox } from '../../sandbox/slack';
import { makeFindingDetail, toEventBridgeEvent } from '../../sandbox/findings/finding-factory';
import { containmentHarness, PROD, REGION } from '../support/aws';
import { testConfigYaml } from '../support/cli-harness';
import { buttonBody, commandBody, postSigned, SIGNING_SECRET } from '../support/slack-requests';

describe('suppressions made in Slack', () => {
  let slack: SlackSandbox;
  let aws: ReturnType<typeof containmentHarness>;
  let cordon: Cordon;
  let config: ReturnType<typeof loadConfig>;
  let front: SlackServer | undefined;
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
    config = loadConfig(
      { CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1' },
      () => yaml,
    );
    cordon = buildCordon(config, silentLogger, { store: aws.store, clientFactory: aws.factory, now: () => new Date(clock) });
    front = undefined;
  });
  afterEach(async () => {
    await front?.stop();
    await slack.close();
  });

  async function filters(): Promise<string[]> {
    const gd = aws.sb.guardduty(PROD, REGION);
    const detectorId = (await gd.send(new ListDetectorsCommand({}))).DetectorIds![0]!;
    return (await gd.send(new ListFiltersCommand({ DetectorId: detectorId }))).FilterNames ?? [];
  }
  /** The filter as the simulated GuardDuty holds it. */
  async function filter(name: string) {
    const gd = aws.sb.guardduty(PROD, REGION);
    const detectorId = (await gd.send(new ListDetectorsCommand({}))).DetectorIds![0]!;
    const { Action, FindingCriteria } = await gd.send(new GetFilterCommand({ DetectorId: detectorId, FilterName: name }));
    return { Action, FindingCriteria };
  }
  /** Whether GuardDuty itself archives such a finding on arrival (what the ARCHIVE filter is for). */
  async function archivedInGuardDuty(n: number, type = 'Recon:IAMUser/MaliciousIPCaller'): Promise<boolean | undefined> {
    const detail = makeFindingDetail({ type, accessKeyId: `AKIAGDGD${String(n).padStart(12, '0')}`, userName: `g${n}`, accountId: PROD, region: REGION });
    const { id, detectorId } = aws.sb.putFinding(PROD, REGION, detail);
    const got = await aws.sb.guardduty(PROD, REGION).send(new GetFindingsCommand({ DetectorId: detectorId, FindingIds: [id] }));
    return got.Findings?.[0]?.Service?.Archived;
  }
  const tick = () => clockTick(cordon, new Date(clock));
  const allMessages = () => slack.channels().reduce((n, c) => n + slack.messages(c.id).length, 0);
  const finding = (n: number) => toEventBridgeEvent(makeFindingDetail({ type: 'Recon:IAMUser/MaliciousIPCaller', accessKeyId: `AKIASUPP${String(n).padStart(12, '0')}`, userName: `u${n}`, accountId: PROD, region: REGION }));
  const who = { userId: 'U0CMD', teamId: 'T0SANDBOX', channelId: 'C0ANY' };

  it('suppresses matching findings with the rule id and posts nothing; lifting brings cases back and removes the filter', async () => {
    const rule = await cordon.services().suppression.suppress(who, { type: 'Recon:IAMUser/MaliciousIPCaller', accounts: [PROD], regions: [REGION], reason: 'scanner noise', forMs: 7 * 86_400_000 });
    await cordon.worker().inProcess!.idle();
    expect(rule).toMatchObject({ author: 'U0CMD', reason: 'scanner noise', expires: '2026-11-29T02:00:00.000Z' });
    expect(await filters()).toEqual([`cordon-${rule.id}`]);
    expect(await filter(`cordon-${rule.id}`)).toEqual({
      Action: 'ARCHIVE',
      FindingCriteria: { Criterion: { type: { Equals: ['Recon:IAMUser/MaliciousIPCaller'] }, accountId: { Equals: [PROD] }, region: { Equals: [REGION] } } },
    });
    expect(await archivedInGuardDuty(1)).toBe(true);
    expect(await archivedInGuardDuty(2, 'Recon:IAMUser/TorIPCaller')).toBe(false);
    const posts = slack.calls('chat.postMessage').length;
    const s = await cordon.pipeline.ingestDocument(finding(1), 't');
    await cordon.slack!.publisher.flush();
    expect(s).toMatchObject({ suppressed: 1, casesOpened: [] });
    expect((await cordon.store.listFindings({ disposition: 'suppressed' }))[0]).toMatchObject({ suppressedBy: rule.id, suppressReason: 'scanner noise' });
    expect(slack.calls('chat.postMessage')).toHaveLength(posts);

    await cordon.services().suppression.lift(who, rule.id);
    await cordon.worker().inProcess!.idle();
    expect(await filters()).toEqual([]);
    const after = await cordon.pipeline.ingestDocument(finding(2), 't');
    expect(after.casesOpened).toHaveLength(1);
  });

  it('an expired rule stops applying and its filter goes', async () => {
    const rule = await cordon.services().suppression.suppress(who, { type: 'Recon:IAMUser/*', accounts: [PROD], regions: [REGION], reason: 'short', forMs: 3600_000 });
    await cordon.worker().inProcess!.idle();
    expect(await filters()).toHaveLength(1);
    // A glob type is a GuardDuty `Matches` condition, so the filter archives what the rule suppresses.
    expect(await filter(`cordon-${rule.id}`)).toEqual({
      Action: 'ARCHIVE',
      FindingCriteria: { Criterion: { type: { Matches: ['Recon:IAMUser/*'] }, accountId: { Equals: [PROD] }, region: { Equals: [REGION] } } },
    });
    expect(await archivedInGuardDuty(1, 'Recon:IAMUser/TorIPCaller')).toBe(true);
    expect(await archivedInGuardDuty(2, 'UnauthorizedAccess:IAMUser/TorIPCaller')).toBe(false);
    clock += 2 * 3600_000;
    expect(await cordon.worker().filters().sweepExpired()).toEqual([rule.id]);
    expect(await filters()).toEqual([]);
    expect((await cordon.pipeline.ingestDocument(finding(3), 't')).casesOpened).toHaveLength(1);
  });

  it('a filter GuardDuty refuses to delete on lift stays on record and the ticker deletes it later; triage stops at once', async () => {
    const rule = await cordon.services().suppression.suppress(who, { type: 'Recon:IAMUser/MaliciousIPCaller', accounts: [PROD], regions: [REGION], reason: 'scanner noise', forMs: 7 * 86_400_000 });
    await cordon.worker().inProcess!.idle();
    aws.sb.failCall('DeleteFilter', { code: 'AccessDeniedException', httpStatus: 403, service: 'guardduty' });

    await cordon.services().suppression.lift(who, rule.id);
    expect(await filters()).toEqual([`cordon-${rule.id}`]);
    expect((await cordon.pipeline.ingestDocument(finding(4), 't')).casesOpened).toHaveLength(1);
    expect(await cordon.store.getSuppression(rule.id)).toMatchObject({ liftRequestedAt: '2026-11-22T02:00:00.000Z', liftedBy: 'U0CMD', filters: [{ accountId: PROD, region: REGION, name: `cordon-${rule.id}` }] });
    expect((await cordon.store.getSuppression(rule.id))!.liftedAt).toBeUndefined();
    await expect(cordon.services().suppression.lift(who, rule.id)).rejects.toMatchObject({ code: 'INPUT.INVALID' });

    // Still refused: the ticker keeps the record and tries again next time.
    clock += 60_000;
    await tick();
    expect(await filters()).toEqual([`cordon-${rule.id}`]);
    expect((await cordon.pipeline.ingestDocument(finding(5), 't')).suppressed).toBe(0);

    aws.sb.clearFaults();
    clock += 60_000;
    await tick();
    expect(await filters()).toEqual([]);
    expect(await cordon.store.getSuppression(rule.id)).toMatchObject({ liftedAt: '2026-11-22T02:02:00.000Z', liftRequestedAt: '2026-11-22T02:00:00.000Z', filters: [] });
    expect(await cordon.store.activeSuppressions()).toEqual([]);
    expect((await cordon.pipeline.ingestDocument(finding(6), 't')).suppressed).toBe(0);
  });

  it('an expired rule whose filter delete fails is retired only once the ticker has deleted the filter', async () => {
    const rule = await cordon.services().suppression.suppress(who, { type: 'Recon:IAMUser/*', accounts: [PROD], regions: [REGION], reason: 'short', forMs: 3600_000 });
    await cordon.worker().inProcess!.idle();
    aws.sb.failCall('DeleteFilter', { code: 'AccessDeniedException', httpStatus: 403, service: 'guardduty' });
    clock += 2 * 3600_000;
    expect(await cordon.worker().filters().sweepExpired()).toEqual([]);
    expect(await filters()).toEqual([`cordon-${rule.id}`]);
    expect((await cordon.pipeline.ingestDocument(finding(7), 't')).casesOpened).toHaveLength(1);
    aws.sb.clearFaults();
    clock += 60_000;
    await tick();
    expect(await filters()).toEqual([]);
    expect(await cordon.store.activeSuppressions()).toEqual([]);
  });

  it('the Suppress similar button, clicked through the Bolt receiver, makes a rule that suppresses the next such finding silently', async () => {
    front = await startSlack(config, cordon.services(), silentLogger);
    const events = `${front.address as string}/slack/events`;
    const first = await cordon.pipeline.ingestDocument(finding(8), 't');
    await cordon.slack!.publisher.flush();
    expect(first.casesOpened).toHaveLength(1);
    const channelId = (await cordon.store.getCase(first.casesOpened[0]!))!.channelId!;
    const card = slack.messages(channelId).find((m) => JSON.stringify(m.blocks ?? []).includes(ActionId.SUPPRESS_SIMILAR))!;
    const button = (card.blocks as { type: string; elements?: { action_id: string; value: string }[] }[])
      .flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []))
      .find((e) => e.action_id === ActionId.SUPPRESS_SIMILAR)!;

    const res = await postSigned(events, buttonBody({ actionId: ActionId.SUPPRESS_SIMILAR, value: button.value, user: 'U0CMD', channel: channelId, messageTs: card.ts, responseUrl: slack.responseUrl() }));
    expect(res.status).toBe(200);
    const deadline = Date.now() + 5000;
    while (!slack.ephemerals().some((e) => (e.text ?? '').startsWith('Suppression rule'))) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the Suppress similar answer');
      await new Promise((r) => setTimeout(r, 20));
    }
    const ruleId = /`(s-[0-9a-f]{6})`/.exec(slack.ephemerals().find((e) => (e.text ?? '').startsWith('Suppression rule'))!.text!)![1]!;
    expect(await cordon.store.getSuppression(ruleId)).toMatchObject({ author: 'U0CMD', type: 'Recon:IAMUser/MaliciousIPCaller', accounts: [PROD], regions: [REGION], expires: '2026-12-22T02:00:00.000Z', caseId: first.casesOpened[0] });
    await cordon.worker().inProcess!.idle();
    expect(await filter(`cordon-${ruleId}`)).toMatchObject({ Action: 'ARCHIVE' });
    await cordon.slack!.publisher.flush();
    const posts = slack.calls('chat.postMessage').length;
    const messages = allMessages();

    const similar = finding(9);
    const next = await cordon.pipeline.ingestDocument(similar, 't');
    await cordon.slack!.publisher.flush();
    expect(next).toMatchObject({ suppressed: 1, casesOpened: [] });
    expect(await cordon.store.getFinding(String((similar.detail as { id: string }).id))).toMatchObject({ disposition: 'suppressed', suppressedBy: ruleId });
    expect(slack.calls('chat.postMessage')).toHaveLength(posts);
    expect(allMessages()).toBe(messages);
  });

  it('/ir unsuppress answers before any GuardDuty call; the job deletes the filter, and the ticker retries a delete that failed', async () => {
    front = await startSlack(config, cordon.services(), silentLogger);
    const events = `${front.address as string}/slack/events`;
    const answer = async (text: string): Promise<string> => {
      const seen = slack.ephemerals().length;
      expect((await postSigned(events, commandBody({ text, user: 'U0CMD', channel: 'C0ELSEWHERE', responseUrl: slack.responseUrl() }))).status).toBe(200);
      const deadline = Date.now() + 5000;
      while (slack.ephemerals().length === seen) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for the answer to ${text}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return slack.ephemerals()[seen]!.text ?? '';
    };
    const held = await cordon.services().suppression.suppress(who, { type: 'Recon:IAMUser/MaliciousIPCaller', accounts: [PROD], regions: [REGION], reason: 'noise' });
    await cordon.worker().inProcess!.idle();
    expect(await filters()).toEqual([`cordon-${held.id}`]);
    aws.sb.failCall('DeleteFilter', { code: 'AccessDeniedException', httpStatus: 403, service: 'guardduty' });
    expect(await answer(`unsuppress ${held.id}`)).toBe(`Suppression rule \`${held.id}\` no longer applies; its GuardDuty filter is being deleted (Cordon retries until it is gone).`);
    await cordon.worker().inProcess!.idle();
    // The delete failed: the rule no longer applies, but stays on record with its filter.
    expect((await cordon.pipeline.ingestDocument(finding(20), 't')).suppressed).toBe(0);
    expect(await filters()).toEqual([`cordon-${held.id}`]);
    expect((await cordon.store.activeSuppressions()).map((r) => r.id)).toContain(held.id);
    aws.sb.clearFaults();
    clock += 60_000;
    await tick();
    expect(await filters()).toEqual([]);
    expect((await cordon.store.getSuppression(held.id))!.liftedAt).toBeDefined();
    expect((await cordon.store.activeSuppressions()).map((r) => r.id)).not.toContain(held.id);

    // A rule with no filter (no account or region named) is lifted on the spot.
    const bare = await cordon.services().suppression.suppress(who, { type: 'Recon:IAMUser/TorIPCaller', accounts: [], regions: [], reason: 'noise' });
    const calls = aws.sb.calls({ service: 'guardduty' }).length;
    expect(await answer(`unsuppress ${bare.id}`)).toBe(`Suppression rule \`${bare.id}\` lifted.`);
    expect(aws.sb.calls({ service: 'guardduty' })).toHaveLength(calls);
    expect((await cordon.store.getSuppression(bare.id))!.liftedAt).toBeDefined();
  });

  it('lifting makes no GuardDuty call itself: the filter goes in a job', async () => {
    const rule = await cordon.services().suppression.suppress(who, { type: 'Recon:IAMUser/MaliciousIPCaller', accounts: [PROD], regions: [REGION], reason: 'noise' });
    await cordon.worker().inProcess!.idle();
    const calls = aws.sb.calls({ service: 'guardduty' }).length;
    const lifted = await cordon.services().suppression.lift(who, rule.id);
    expect(aws.sb.calls({ service: 'guardduty' })).toHaveLength(calls);
    expect(lifted).toMatchObject({ liftedBy: 'U0CMD', filters: [{ name: `cordon-${rule.id}` }] });
    // It no longer applies, though its filter is not deleted yet.
    expect((await cordon.pipeline.ingestDocument(finding(21), 't')).suppressed).toBe(0);
    await cordon.worker().inProcess!.idle();
    expect(await filters()).toEqual([]);
    expect((await cordon.store.getSuppression(rule.id))!.liftedAt).toBeDefined();
  });

  it('makes no GuardDuty call while the request is answered; a filter GuardDuty refuses to create is made by a later tick', async () => {
    aws.sb.failCall('CreateFilter', { code: 'AccessDeniedException', httpStatus: 403, service: 'guardduty' });
    const rule = await cordon.services().suppression.suppress(who, { type: 'Recon:IAMUser/MaliciousIPCaller', accounts: [PROD], regions: [REGION], reason: 'scanner noise' });
    expect(aws.sb.calls({ service: 'guardduty' })).toEqual([]);
    expect(rule.filtersPending).toEqual([{ accountId: PROD, region: REGION }]);
    await cordon.worker().inProcess!.idle();
    expect(await filters()).toEqual([]);
    expect((await cordon.store.getSuppression(rule.id))!.filtersPending).toEqual([{ accountId: PROD, region: REGION }]);
    // The rule applies in Cordon all the same.
    expect((await cordon.pipeline.ingestDocument(finding(10), 't')).suppressed).toBe(1);

    aws.sb.clearFaults();
    clock += 60_000;
    await tick();
    expect(await filters()).toEqual([`cordon-${rule.id}`]);
    expect(await cordon.store.getSuppression(rule.id)).toMatchObject({ filtersPending: [], filters: [{ accountId: PROD, region: REGION, name: `cordon-${rule.id}` }] });
    // Run again (a job re-run after a crash): nothing new, nothing lost.
    await cordon.store.putSuppression({ ...(await cordon.store.getSuppression(rule.id))!, filtersPending: [{ accountId: PROD, region: REGION }] });
    await cordon.worker().filters().createFilters(rule.id);
    expect(await filters()).toEqual([`cordon-${rule.id}`]);
    expect((await cordon.store.getSuppression(rule.id))!.filters).toHaveLength(1);
  });

  it('needs a commander for suppress and unsuppress', async () => {
    const resp = { ...who, userId: 'U0RESP' };
    await expect(cordon.services().suppression.suppress(resp, { type: 'Recon:*', accounts: [], regions: [], reason: 'x' })).rejects.toMatchObject({ code: 'ACCESS.DENIED' });
    const rule = await cordon.services().suppression.suppress(who, { type: 'Recon:*', accounts: [], regions: [], reason: 'x' });
    await cordon.worker().inProcess!.idle();
    await expect(cordon.services().suppression.lift(resp, rule.id)).rejects.toMatchObject({ code: 'ACCESS.DENIED' });
    expect(await cordon.store.activeSuppressions()).toHaveLength(1);
  });
});
