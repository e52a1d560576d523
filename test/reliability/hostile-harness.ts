import { loadConfig } from '../../src/config/load-config';
import { buildCordon, type Cordon } from '../../src/app/cordon';
import { silentLogger } from '../../src/log';
import { makeFindingDetail, toEventBridgeEvent } from '../../sandbox/findings/finding-factory';
import { SlackSandbox } from '../../sandbox/slack';
import { buttonBody, commandBody, postSigned, SANDBOX_SIGNING_SECRET, slackHeaders, type SignOptions } from '../../sandbox/slack/signed-requests';
import { startSlack, type SlackServer } from '../../src/slack/inbound/bolt-app';
import { containmentHarness, PROD, REGION } from '../support/aws';
import { testConfigYaml } from '../support/cli-harness';

export const USERS = { resp: 'U0RESP', cmd: 'U0CMDA', cmd2: 'U0CMDB', view: 'U0VIEW' } as const;

/** What must not change when Cordon refuses something. */
export interface StateCount {
  cases: number;
  findings: number;
  actions: string;
  timeline: number;
  suppressions: number;
  awsChanges: number;
  channelMessages: number;
  channels: number;
}

/** One Cordon behind its real HTTP receiver, with two cases, an action in each, and a way to count everything. */
export async function hostileHarness() {
  const slack = await SlackSandbox.start({});
  for (const id of Object.values(USERS)) slack.addUser({ id, name: id.toLowerCase() });
  const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT', ...Object.values(USERS)] });
  const aws = containmentHarness();
  const yaml = testConfigYaml({
    triageChannel: triage,
    invite: Object.values(USERS),
    extra: `access:
  users: { ${USERS.resp}: responder, ${USERS.cmd}: commander, ${USERS.cmd2}: commander }
  approvals:
    - { name: production needs two people, environments: [production] }
containment: { untrackSeconds: 0 }`,
  });
  const config = loadConfig(
    { CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SANDBOX_SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1' },
    () => yaml,
  );
  const cordon: Cordon = buildCordon(config, silentLogger, { store: aws.store, clientFactory: aws.factory, sleep: () => Promise.resolve() });
  const front: SlackServer = await startSlack(config, cordon.services(), silentLogger);
  const events = `${front.address as string}/slack/events`;
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setTimeout(r, 40));
      await cordon.worker().inProcess?.idle();
    }
  };

  // Two cases, each with a pending action, so buttons can name "another case".
  const s = await cordon.pipeline.ingestDocument(
    [
      toEventBridgeEvent(makeFindingDetail({ id: 'a'.repeat(32), accessKeyId: 'AKIAHOSTILE000000001', userName: 'alpha', type: 'Recon:IAMUser/MaliciousIPCaller' })),
      toEventBridgeEvent(makeFindingDetail({ id: 'b'.repeat(32), accessKeyId: 'AKIAHOSTILE000000002', userName: 'bravo', type: 'Persistence:IAMUser/AnomalousBehavior' })),
    ],
    'test',
  );
  await cordon.slack!.publisher.flush();
  const [caseA, caseB] = await Promise.all(s.casesOpened.map(async (id) => (await cordon.store.getCase(id))!));
  const instA = aws.sb.createInstance({ accountId: PROD, region: REGION });
  const instB = aws.sb.createInstance({ accountId: PROD, region: REGION });
  for (const [c, inst] of [
    [caseA!, instA],
    [caseB!, instB],
  ] as const) {
    await postSigned(events, commandBody({ text: `contain arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`, user: USERS.cmd, channel: c.channelId!, responseUrl: slack.responseUrl() }));
    await settle();
  }
  const actionOf = async (caseId: string) => (await cordon.store.listActions({ caseId }))[0]!;
  const actionA = await actionOf(caseA!.id);
  const actionB = await actionOf(caseB!.id);

  const count = async (): Promise<StateCount> => {
    const cases = await cordon.store.listCases();
    const timeline = (await Promise.all(cases.map((c) => cordon.store.listTimeline(c.id)))).flat();
    return {
      cases: cases.length,
      findings: (await cordon.store.listFindings({})).length,
      actions: (await cordon.store.listActions({})).map((a) => `${a.id}:${a.status}:${a.version}`).join(','),
      timeline: timeline.length,
      suppressions: (await cordon.store.activeSuppressions()).length,
      awsChanges: aws.sb.mutations().length,
      channelMessages: slack.channels().reduce((n, ch) => n + slack.messages(ch.id).length, 0),
      channels: slack.channels().length,
    };
  };

  return {
    slack,
    aws,
    cordon,
    triage,
    caseA: caseA!,
    caseB: caseB!,
    actionA,
    actionB,
    count,
    settle,
    command: (user: string, text: string, channel: string, opts: { team?: string } & SignOptions = {}) =>
      postSigned(events, commandBody({ text, user, channel, responseUrl: slack.responseUrl({ channel, user }), ...(opts.team ? { team: opts.team } : {}) }), opts),
    click: (user: string, actionId: string, value: string, channel: string) => postSigned(events, buttonBody({ actionId, value, user, channel, responseUrl: slack.responseUrl({ channel, user }) })),
    raw: async (body: string, headers: Record<string, string>) => {
      const res = await fetch(events, { method: 'POST', headers, body });
      return { status: res.status, text: await res.text() };
    },
    headers: slackHeaders,
    close: async () => {
      await cordon.worker().inProcess?.idle();
      await front.stop();
      await slack.close();
    },
  };
}
