import { CreateUserCommand, DeleteUserCommand } from '@aws-sdk/client-iam';
import { buildCordon, type Cordon } from '../../src/app/cordon';
import { loadConfig } from '../../src/config/load-config';
import { silentLogger } from '../../src/log';
import { startSlack, type SlackServer } from '../../src/slack/inbound/bolt-app';
import { ActionId } from '../../src/slack/ids';
import { SlackSandbox } from '../../sandbox/slack';
import { containmentHarness, PROD, REGION } from '../support/aws';
import { testConfigYaml } from '../support/cli-harness';
import { buttonBody, postSigned, SIGNING_SECRET } from '../support/slack-requests';
import { keyFindingDetail } from '../support/fixtures';

const RESP = 'U0RESP';

/** A High GuardDuty finding (EventBridge detail) about IAM user `userName`'s key, seen as `principalId`. */
function keyFinding(id: string, userName: string, principalId: string | undefined): Record<string, unknown> {
  return keyFindingDetail({ id, account: PROD, region: REGION, userName, ...(principalId ? { principalId } : {}) });
}

/** Issue 15, point 14: a finding's IAM principal is offered for containment only once its unique id matches the finding's principalId. */
describe("a finding's IAM principal is checked against the finding before Contain is offered", () => {
  let slack: SlackSandbox;
  let aws: ReturnType<typeof containmentHarness>;
  let cordon: Cordon;
  let front: SlackServer;
  let triage: string;

  beforeEach(async () => {
    slack = await SlackSandbox.start({});
    slack.addUser({ id: RESP, name: 'resp' });
    triage = slack.addChannel({ name: 'security-triage', members: ['UBOT', RESP] });
    aws = containmentHarness();
    const yaml = testConfigYaml({ triageChannel: triage, invite: [RESP], extra: `access:\n  users: { ${RESP}: responder }\ncontainment: { untrackSeconds: 0 }` });
    const config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1' }, () => yaml);
    cordon = buildCordon(config, silentLogger, { store: aws.store, clientFactory: aws.factory, sleep: () => Promise.resolve(), principalChecks: true });
    front = await startSlack(config, cordon.services(), silentLogger);
  });

  afterEach(async () => {
    aws.sb.clearFaults();
    await cordon.worker().inProcess?.idle();
    await front.stop();
    await slack.close();
  });

  /** Ingests the finding, lets the worker check it and the publisher post; the card as Slack holds it. */
  async function cardOf(detail: Record<string, unknown>) {
    await cordon.pipeline.ingestDocument({ 'detail-type': 'GuardDuty Finding', source: 'aws.guardduty', detail }, 'test');
    await cordon.slack!.publisher.flush();
    await cordon.worker().inProcess!.idle();
    await cordon.slack!.publisher.flush();
    const channel = slack.channels().find((c) => c.name.startsWith('ir-'))!;
    const card = slack.messages(channel.id).find((m) => JSON.stringify(m.blocks ?? []).includes(detail.id as string))!;
    const blocks = JSON.stringify(card.blocks ?? []);
    return { channel: channel.id, blocks, offersContain: blocks.includes(ActionId.CONTAIN) };
  }

  it('verified: the user is the one the finding saw, and the card offers Contain', async () => {
    const user = aws.sb.createUser(PROD, 'ci-deploy');
    expect(user.userId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    const card = await cardOf(keyFinding('f0000000000000000000000000000001', 'ci-deploy', user.userId));
    expect(card.offersContain).toBe(true);
    expect(card.blocks).toContain(`its UserId ${user.userId} matches the finding`);
    expect((await aws.store.getFinding('f0000000000000000000000000000001'))!.principalCheck).toMatchObject({ status: 'verified', foundId: user.userId });
  });

  it('recreated under the same name: the mismatch is shown, Contain is not offered, and a plan from the finding is refused and audited', async () => {
    const iam = aws.sb.iam(PROD, { maxAttempts: 1 });
    const first = (await iam.send(new CreateUserCommand({ UserName: 'ci-deploy' }))).User!.UserId!;
    await iam.send(new DeleteUserCommand({ UserName: 'ci-deploy' }));
    const second = (await iam.send(new CreateUserCommand({ UserName: 'ci-deploy' }))).User!.UserId!;
    expect(second).not.toBe(first);
    const id = 'f0000000000000000000000000000002';
    const card = await cardOf(keyFinding(id, 'ci-deploy', first));
    expect(card.offersContain).toBe(false);
    expect(card.blocks).toContain(`the finding's principalId is ${first}, but the UserId under that name is now ${second}`);

    // A click on an older card is refused at once, naming the rule.
    await postSigned(`${front.address as string}/slack/events`, buttonBody({ actionId: ActionId.CONTAIN, value: id, user: RESP, channel: card.channel, responseUrl: slack.responseUrl() }));
    await new Promise((r) => setTimeout(r, 100));
    expect(slack.ephemerals().map((e) => e.text ?? '').join('\n')).toContain('CONTAINMENT.PRINCIPAL_MISMATCH');

    // The worker checks again whatever the card said: refused, audited, nothing changed.
    const mutations = aws.sb.mutations().length;
    const err = (await cordon
      .containment()
      .plan({ target: `arn:aws:iam::${PROD}:user/ci-deploy`, requestedBy: RESP, dryRun: false, findingId: id })
      .catch((e: unknown) => e)) as { code: string };
    expect(err.code).toBe('CONTAINMENT.PRINCIPAL_MISMATCH');
    expect(aws.sb.mutations()).toHaveLength(mutations);
    expect(await aws.store.listActions({})).toEqual([]);
    expect((await aws.store.listAudit({})).find((e) => e.event === 'action.refused')?.detail).toMatchObject({ code: 'CONTAINMENT.PRINCIPAL_MISMATCH', expected: first, found: second });
  });

  it('the check fails in the worker: the card says it could not check, and offers no Contain', async () => {
    const user = aws.sb.createUser(PROD, 'ci-deploy');
    aws.sb.failCall('GetUser', { code: 'AccessDenied', httpStatus: 403 });
    const card = await cardOf(keyFinding('f0000000000000000000000000000003', 'ci-deploy', user.userId));
    expect(card.offersContain).toBe(false);
    expect(card.blocks).toContain('Could not confirm that IAM user ci-deploy is the principal the finding saw');
    expect((await aws.store.getFinding('f0000000000000000000000000000003'))!.principalCheck?.status).toBe('unchecked');
  });
});
