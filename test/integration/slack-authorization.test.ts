import { buildCordon, type Cordon } from '../../src/app/cordon';
import { loadConfig } from '../../src/config/load-config';
import { silentLogger } from '../../src/log';
import { makeFindingDetail, toEventBridgeEvent } from '../../sandbox/findings/finding-factory';
import { SlackSandbox } from '../../sandbox/slack';
import { startSlack, type SlackServer } from '../../src/slack/inbound/bolt-app';
import { ActionId } from '../../src/slack/ids';
import { containmentHarness, PROD, REGION } from '../support/aws';
import { testConfigYaml } from '../support/cli-harness';
import { buttonBody, commandBody, postSigned, SIGNING_SECRET } from '../support/slack-requests';

const RESP = 'U0RESP';
const CMD1 = 'U0CMDA';
const VIEW = 'U0VIEW';

/**
 * Every authorization decision is made by the services: each `/ir` subcommand and each
 * button a person without the role uses is refused with ACCESS.DENIED, the refusal is
 * audited, and nothing else changes, neither in the store nor in Slack.
 */
describe('each /ir subcommand and button refuses a user without the role, and changes nothing', () => {
  let slack: SlackSandbox;
  let aws: ReturnType<typeof containmentHarness>;
  let cordon: Cordon;
  let front: SlackServer;
  let events: string;
  let caseChannel: string;
  let caseId: string;
  let findingId: string;
  let actionId: string;
  let ruleId: string;

  beforeAll(async () => {
    slack = await SlackSandbox.start({});
    for (const id of [RESP, CMD1, VIEW]) slack.addUser({ id, name: id.toLowerCase() });
    const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT', RESP, CMD1, VIEW] });
    aws = containmentHarness();
    const config = loadConfig(
      { CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1' },
      () =>
        testConfigYaml({
          triageChannel: triage,
          invite: [RESP, CMD1, VIEW],
          extra: `access:
  users: { ${RESP}: responder, ${CMD1}: commander }
  approvals:
    - { name: production needs two people, environments: [production] }
containment: { untrackSeconds: 0 }`,
        }),
    );
    cordon = buildCordon(config, silentLogger, { store: aws.store, clientFactory: aws.factory, sleep: () => Promise.resolve() });
    front = await startSlack(config, cordon.services(), silentLogger);
    events = `${front.address as string}/slack/events`;

    // A case with a channel and a finding card, a plan waiting for approval, and a suppression rule.
    const inst = aws.sb.createInstance({ accountId: PROD, region: REGION });
    const summary = await cordon.pipeline.ingestDocument(toEventBridgeEvent(makeFindingDetail({ instanceId: inst.instanceId, accountId: PROD, severity: 5 })), 't');
    await cordon.slack!.publisher.flush();
    caseId = summary.casesOpened[0]!;
    caseChannel = (await cordon.store.getCase(caseId))!.channelId!;
    findingId = (await cordon.store.listFindings({ caseId }))[0]!.id;
    const who = (userId: string) => ({ userId, teamId: 'T0SANDBOX', channelId: caseChannel });
    await cordon.services().actions.requestContain(who(CMD1), { target: `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`, dryRun: false });
    await cordon.worker().inProcess!.idle();
    await cordon.slack!.publisher.flush();
    actionId = (await cordon.store.listActions({ status: ['pending_approval'] }))[0]!.id;
    ruleId = (await cordon.services().suppression.suppress(who(CMD1), { type: 'Recon:*', accounts: [], regions: [], reason: 'noise' })).id;
    await cordon.worker().inProcess!.idle();
    await cordon.slack!.publisher.flush();
  });

  afterAll(async () => {
    await cordon.worker().inProcess?.idle();
    await front.stop();
    await slack.close();
  });

  /** Everything a refused request must leave as it was (the audit trail records the refusal). */
  async function snapshot(): Promise<string> {
    const s = cordon.store;
    const cases = await s.listCases();
    return JSON.stringify({
      cases,
      findings: await s.listFindings({}),
      actions: await s.listActions({}),
      timeline: await Promise.all(cases.map((c) => s.listTimeline(c.id))),
      suppressions: await s.activeSuppressions(),
      jobs: await s.listJobs(100),
      slack: slack.channels().map((c) => ({ id: c.id, name: c.name, members: slack.members(c.id), messages: slack.messages(c.id) })),
      aws: aws.sb.mutations(),
    });
  }

  async function refused(user: string, intent: string, send: () => Promise<unknown>): Promise<void> {
    const before = await snapshot();
    const audit = (await cordon.store.listAudit({})).length;
    const seen = slack.ephemerals().length;
    await send();
    const deadline = Date.now() + 5000;
    while (!slack.ephemerals().slice(seen).some((e) => e.user === user)) {
      if (Date.now() > deadline) throw new Error(`no answer to ${user} for ${intent}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 50));
    await cordon.worker().inProcess!.idle();
    const answers = slack.ephemerals().slice(seen).filter((e) => e.user === user);
    expect(answers.map((e) => e.text)).toEqual([expect.stringContaining('(ACCESS.DENIED)') as unknown]);
    expect(await snapshot()).toEqual(before);
    const added = (await cordon.store.listAudit({})).slice(audit);
    expect(added).toEqual([expect.objectContaining({ actor: user, event: `access.${intent}`, allowed: false })]);
  }

  const command = (user: string, text: string) => postSigned(events, commandBody({ text, user, channel: caseChannel, responseUrl: slack.responseUrl({ channel: caseChannel, user }) }));
  const click = (user: string, id: string, value: string) => postSigned(events, buttonBody({ actionId: id, value, user, channel: caseChannel, responseUrl: slack.responseUrl({ channel: caseChannel, user }) }));

  it.each([
    [VIEW, 'contain', () => `contain arn:aws:iam::${PROD}:user/mallory`],
    [VIEW, 'dry-run', () => `contain arn:aws:iam::${PROD}:user/mallory --dry-run`],
    [VIEW, 'note', () => 'note someone was here'],
    [VIEW, 'escalate', () => 'escalate now'],
    [VIEW, 'ack', () => 'ack'],
    [RESP, 'revert', () => `revert ${actionId}`],
    [RESP, 'resolve', () => 'resolve done'],
    [RESP, 'close', () => 'close'],
    [RESP, 'suppress', () => 'suppress Recon:IAMUser/* noise'],
    [RESP, 'unsuppress', () => `unsuppress ${ruleId}`],
  ])('%s: /ir %s is refused', async (user, intent, text) => {
    await refused(user, intent, () => command(user, text()));
  });

  it.each([
    [RESP, 'approve', ActionId.APPROVE, () => actionId],
    [RESP, 'reject', ActionId.REJECT, () => actionId],
    [RESP, 'revert', ActionId.REVERT, () => actionId],
    [VIEW, 'ack', ActionId.ACKNOWLEDGE, () => caseId],
    [VIEW, 'escalate', ActionId.ESCALATE, () => findingId],
    [VIEW, 'contain', ActionId.CONTAIN, () => findingId],
    [RESP, 'suppress', ActionId.SUPPRESS_SIMILAR, () => findingId],
  ])('%s: the %s button (%s) is refused', async (user, intent, id, value) => {
    await refused(user, intent, () => click(user, id, value()));
  });

  it.each([
    ['status', 'status'],
    ['timeline', 'timeline'],
    ['report', 'report'],
    ['stats', 'stats'],
    ['whoami', 'whoami'],
  ])('/ir %s, open to every role, still goes through the access check (audited)', async (intent, text) => {
    const audit = (await cordon.store.listAudit({})).length;
    const seen = slack.ephemerals().length;
    await command(VIEW, text);
    const deadline = Date.now() + 5000;
    while ((await cordon.store.listAudit({})).length === audit || slack.ephemerals().length === seen) {
      if (Date.now() > deadline) throw new Error(`no answer for ${intent}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await cordon.worker().inProcess!.idle();
    expect((await cordon.store.listAudit({})).slice(audit)).toEqual([expect.objectContaining({ actor: VIEW, event: `access.${intent}`, allowed: true })]);
  });
});
