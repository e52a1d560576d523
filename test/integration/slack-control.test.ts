import { loadConfig } from '../../src/config/load-config';
import { buildCordon, type Cordon } from '../../src/app/cordon';
import { silentLogger } from '../../src/log';
import { startSlack, type SlackServer } from '../../src/slack/inbound/bolt-app';
import { ActionId } from '../../src/slack/ids';
import { SlackSandbox } from '../../sandbox/slack';
import { containmentHarness, PROD, REGION, SANDBOX, withoutEvidence } from '../support/aws';
import { testConfigYaml } from '../support/cli-harness';
import { buttonBody, commandBody, postSigned, SIGNING_SECRET } from '../support/slack-requests';

const RESP = 'U0RESP';
const CMD1 = 'U0CMDA';
const CMD2 = 'U0CMDB';
const VIEW = 'U0VIEW';

describe('Slack control through the real Bolt HTTP receiver', () => {
  let slack: SlackSandbox;
  let aws: ReturnType<typeof containmentHarness>;
  let cordon: Cordon;
  let front: SlackServer;
  let events: string;
  let triage: string;
  let clock: number;

  beforeEach(async () => {
    slack = await SlackSandbox.start({});
    for (const id of [RESP, CMD1, CMD2, VIEW]) slack.addUser({ id, name: id.toLowerCase() });
    triage = slack.addChannel({ name: 'security-triage', members: ['UBOT', RESP, CMD1, CMD2, VIEW] });
    aws = containmentHarness();
    clock = Date.now();
    const yaml = testConfigYaml({
      triageChannel: triage,
      invite: [RESP, CMD1, CMD2, VIEW],
      extra: `access:
  users: { ${RESP}: responder, ${CMD1}: commander, ${CMD2}: commander }
  approvals:
    - { name: production needs two people, environments: [production] }
containment: { untrackSeconds: 0 }`,
    });
    const config = loadConfig(
      { CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1' },
      () => yaml,
    );
    cordon = buildCordon(config, silentLogger, { store: aws.store, clientFactory: aws.factory, now: () => new Date(clock), sleep: () => Promise.resolve() });
    front = await startSlack(config, cordon.services(), silentLogger);
    events = `${front.address as string}/slack/events`;
  });

  afterEach(async () => {
    await cordon.worker().inProcess?.idle();
    await front.stop();
    await slack.close();
  });

  /** Bolt answers Slack first and runs the rest of a listener after: wait for what it leaves behind. */
  async function eventually(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const idle = async () => {
    await new Promise((r) => setTimeout(r, 50));
    await cordon.worker().inProcess!.idle();
  };
  const command = (user: string, text: string, channel = triage, opts: { retryNum?: number; team?: string } = {}) =>
    postSigned(events, commandBody({ text, user, channel, responseUrl: slack.responseUrl(), ...(opts.team ? { team: opts.team } : {}) }), opts);
  const click = (user: string, actionId: string, value: string, channel: string) => postSigned(events, buttonBody({ actionId, value, user, channel, responseUrl: slack.responseUrl() }));
  const actionMessages = (channel: string) => slack.messages(channel).filter((m) => (m.text ?? '').startsWith('Contain '));
  const buttonsOf = (m: { blocks?: unknown[] }) =>
    (m.blocks ?? []).flatMap((b) => ((b as { type: string }).type === 'actions' ? ((b as { elements: { action_id: string }[] }).elements ?? []).map((e) => e.action_id) : []));
  const ephemeralTexts = () => slack.ephemerals().map((e) => e.text ?? '');
  const caseChannel = () => slack.channels().find((c) => c.name.startsWith('ir-'))!;

  it('contains an instance for a responder where no approval is needed, with a threaded step log and Revert', async () => {
    const inst = aws.sb.createInstance({ accountId: SANDBOX, region: REGION, enis: 2, volumes: 1 });
    const res = await command(RESP, `contain arn:aws:ec2:${REGION}:${SANDBOX}:instance/${inst.instanceId} suspicious ssh`);
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(3000);
    await idle();
    const ch = caseChannel();
    const [msg] = actionMessages(ch.id);
    expect(msg).toBeDefined();
    expect(msg!.text).toMatch(/contained$/);
    expect(buttonsOf(msg!)).toEqual([ActionId.REVERT]);
    const action = (await cordon.store.listActions({}))[0]!;
    // Every step's line is in the threaded log, batched into few replies (issue 16 point 11):
    // the plan message, its edits and the log cost no more than one post per step plus one.
    const replies = slack.replies(ch.id, msg!.ts);
    expect(replies.flatMap((r) => (r.text ?? '').split('\n'))).toHaveLength(action.plan.length);
    expect(1 + msg!.edits + replies.length).toBeLessThanOrEqual(action.plan.length + 1);
    const state = aws.sb.snapshotState(SANDBOX).regions[REGION]!.ec2;
    expect(inst.networkInterfaceIds.map((id) => state.networkInterfaces[id]!.groupIds.length)).toEqual([1, 1]);
    expect(state.instances[inst.instanceId]!.disableApiTermination).toBe(true);
  });

  it('needs a second commander where a rule applies; refuses the requester, a viewer; Reject changes nothing; plans expire', async () => {
    const inst = aws.sb.createInstance({ accountId: PROD, region: REGION });
    await command(CMD1, `contain arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`);
    await idle();
    const ch = caseChannel();
    let [msg] = actionMessages(ch.id);
    expect(buttonsOf(msg!)).toEqual([ActionId.APPROVE, ActionId.REJECT]);
    const action = (await cordon.store.listActions({}))[0]!;
    expect(action.status).toBe('pending_approval');

    await click(CMD1, ActionId.APPROVE, action.id, ch.id);
    await click(VIEW, ActionId.APPROVE, action.id, ch.id);
    await eventually(() => slack.ephemerals().length >= 3, 'two refusals');
    expect(ephemeralTexts().join('\n')).toMatch(/ACCESS.SELF_APPROVAL/);
    expect(ephemeralTexts().join('\n')).toMatch(/You are a viewer; `approve` needs commander/);
    expect((await cordon.store.getAction(action.id))!.status).toBe('pending_approval');
    expect(aws.sb.mutations({ accountId: PROD })).toEqual([]);
    const denied = (await cordon.store.listAudit({ actionId: action.id })).filter((e) => e.allowed === false);
    expect(denied.map((e) => e.actor).sort()).toEqual([CMD1, VIEW].sort());

    // two clicks at once by the other commander: runs once
    await Promise.all([click(CMD2, ActionId.APPROVE, action.id, ch.id), click(CMD2, ActionId.APPROVE, action.id, ch.id)]);
    await idle();
    expect((await cordon.store.getAction(action.id))!.status).toBe('applied');
    expect(aws.sb.mutations({ accountId: PROD, command: 'CreateTags' })).toHaveLength(1);
    [msg] = actionMessages(ch.id);
    expect(buttonsOf(msg!)).toEqual([ActionId.REVERT]);

    // Reject: nothing in AWS
    const other = aws.sb.createInstance({ accountId: PROD, region: REGION });
    const before = aws.sb.mutations().length;
    await command(CMD1, `contain arn:aws:ec2:${REGION}:${PROD}:instance/${other.instanceId}`, ch.id);
    await idle();
    const second = (await cordon.store.listActions({ status: ['pending_approval'] }))[0]!;
    await click(CMD2, ActionId.REJECT, second.id, ch.id);
    await idle();
    expect((await cordon.store.getAction(second.id))!.status).toBe('rejected');
    expect(aws.sb.mutations().length).toBe(before);

    // Expiry: an unanswered plan loses its buttons
    const third = aws.sb.createInstance({ accountId: PROD, region: REGION });
    await command(CMD1, `contain arn:aws:ec2:${REGION}:${PROD}:instance/${third.instanceId}`, ch.id);
    await idle();
    const pending = (await cordon.store.listActions({ status: ['pending_approval'] }))[0]!;
    clock += 31 * 60_000;
    expect(await cordon.services().actions.expirePending()).toEqual([pending.id]);
    const expiredMsg = slack.messages(ch.id).find((m) => m.ts === pending.messageTs)!;
    expect(buttonsOf(expiredMsg)).toEqual([]);
    expect(expiredMsg.text).toMatch(/approval expired/);
  });

  it('reverts for a commander (threading the steps) and refuses a responder', async () => {
    aws.sb.createUser(SANDBOX, 'mallory');
    aws.sb.createAccessKey(SANDBOX, 'mallory');
    const before = aws.sb.snapshotState(SANDBOX);
    await command(RESP, `contain arn:aws:iam::${SANDBOX}:user/mallory`);
    await idle();
    const ch = caseChannel();
    const action = (await cordon.store.listActions({}))[0]!;
    expect(action.status).toBe('applied');
    await click(RESP, ActionId.REVERT, action.id, ch.id);
    await eventually(() => /revert/.test(ephemeralTexts().join()), 'the refusal');
    expect(ephemeralTexts().join('\n')).toMatch(/You are a responder; `revert` needs commander/);
    expect((await cordon.store.getAction(action.id))!.status).toBe('applied');
    await command(CMD1, `revert ${action.id}`, ch.id);
    await idle();
    expect((await cordon.store.getAction(action.id))!.status).toBe('reverted');
    // Exact, but for the revocation of mallory's temporary credentials issued before apply, which Revert keeps.
    expect(aws.sb.snapshotState(SANDBOX).iam.users.mallory!.inlinePolicies['cordon-revoke-sessions']).toContain('aws:TokenIssueTime');
    expect(withoutEvidence(aws.sb.snapshotState(SANDBOX))).toEqual(withoutEvidence(before));
    const [msg] = actionMessages(ch.id);
    // One line per step Revert undid; the revocation is kept, not reverted.
    expect(slack.replies(ch.id, msg!.ts).flatMap((r) => (r.text ?? '').split('\n')).filter((line) => line.includes('Revert:'))).toHaveLength(action.plan.filter((s) => s.revertible).length);
  });

  it('Revert keeps an instance whose own group opens SSH to the internet isolated, says so in the step log, and --restore-open puts it back', async () => {
    const vpc = aws.sb.createVpc({ accountId: SANDBOX, region: REGION });
    const sg = aws.sb.createSecurityGroup({ accountId: SANDBOX, region: REGION, vpcId: vpc.vpcId, name: 'launch-wizard-1', ingress: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] });
    const inst = aws.sb.createInstance({ accountId: SANDBOX, region: REGION, vpcId: vpc.vpcId, groupIds: [[sg]] });
    const eniGroups = () => aws.sb.snapshotState(SANDBOX).regions[REGION]!.ec2.networkInterfaces[inst.networkInterfaceIds[0]!]!.groupIds;
    await command(RESP, `contain arn:aws:ec2:${REGION}:${SANDBOX}:instance/${inst.instanceId}`);
    await idle();
    const ch = caseChannel();
    const action = (await cordon.store.listActions({}))[0]!;
    expect(action.status).toBe('applied');

    await command(CMD1, `revert ${action.id}`, ch.id);
    await idle();
    expect((await cordon.store.getAction(action.id))!.status).toBe('revert_failed');
    expect(eniGroups()).not.toContain(sg);
    const [msg] = actionMessages(ch.id);
    const log = slack.replies(ch.id, msg!.ts).map((r) => r.text ?? '').join('\n');
    expect(log).toContain(`Kept isolated: ${inst.networkInterfaceIds[0]!} (its own ${sg} allows tcp 22 from 0.0.0.0/0)`);
    expect(log).toContain(`/ir revert ${action.id} --restore-open`);

    await command(CMD1, `revert ${action.id} --restore-open`, ch.id);
    await idle();
    expect((await cordon.store.getAction(action.id))!.status).toBe('reverted');
    expect(eniGroups()).toEqual([sg]);
    const started = (await cordon.store.listAudit({ actionId: action.id })).filter((e) => e.event === 'action.revert_started');
    expect(started.map((e) => e.detail)).toEqual([{}, { restoreOpen: true }]);
  });

  it('refuses a viewer with their role and the role needed; whoami says where a role comes from', async () => {
    await command(VIEW, `contain arn:aws:iam::${SANDBOX}:user/x`);
    await command(CMD1, 'whoami');
    await eventually(() => slack.ephemerals().length >= 2, 'both answers');
    expect(ephemeralTexts().join('\n')).toMatch(/You are a viewer; `contain` needs responder or above/);
    expect(slack.ephemerals().map((e) => e.text).join('\n')).toMatch(/You are a \*commander\* in Cordon, from your Slack user id in the config/);
    expect(await cordon.store.listActions({})).toEqual([]);
  });

  it('resolve and close need a commander; resolve posts the checklist; timeline and ack answer in the channel', async () => {
    aws.sb.createUser(SANDBOX, 'z');
    await command(RESP, `contain arn:aws:iam::${SANDBOX}:user/z --dry-run`);
    await idle();
    const ch = caseChannel();
    await command(RESP, 'resolve all good', ch.id);
    await command(RESP, 'close', ch.id);
    await eventually(() => ephemeralTexts().filter((t) => /needs commander/.test(t)).length === 2, 'two refusals');
    expect((await cordon.store.getCaseByChannel(ch.id))!.status).toBe('open');
    await command(CMD1, 'resolve all good', ch.id);
    await eventually(() => slack.messages(ch.id).some((m) => (m.text ?? '').endsWith('resolved')), 'the checklist');
    expect(JSON.stringify(slack.messages(ch.id).find((m) => (m.text ?? '').endsWith('resolved'))!.blocks)).toContain('Credentials rotated');
    await command(CMD1, 'close', ch.id);
    await eventually(async () => (await cordon.store.getCaseByChannel(ch.id))!.status === 'closed', 'the close');
    await command(VIEW, 'timeline', ch.id);
    await eventually(() => slack.ephemerals().some((e) => (e.text ?? '').startsWith('Timeline of')), 'the timeline');
    const kinds = (await cordon.store.listTimeline((await cordon.store.getCaseByChannel(ch.id))!.id)).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['case.opened', 'case.resolved', 'case.closed']));
  });

  it('rejects forged, stale and foreign-workspace requests and records nothing', async () => {
    const body = commandBody({ text: 'status', user: CMD1, channel: triage });
    expect((await postSigned(events, body, { secret: 'wrong-secret-wrong-secret' })).status).toBe(401);
    expect((await postSigned(events, body, { timestamp: Math.floor(Date.now() / 1000) - 600 })).status).toBe(401);
    const foreign = await command(CMD1, `contain arn:aws:iam::${SANDBOX}:user/x`, triage, { team: 'T0OTHER' });
    expect(foreign.text).toMatch(/another Slack workspace/);
    await idle();
    expect(await cordon.store.listActions({})).toEqual([]);
    expect(await cordon.store.listAudit({})).toEqual([]);
  });

  it.each([
    ['no argument', 'contain', /say what to contain. Usage: `\/ir contain &lt;arn\|access-key-id&gt;/],
    ['a bad ARN', 'contain arn:aws:ec2:us-east-1:111111111111:volume/vol-1', /ARN.INVALID/],
    ['an account outside the allowlist', 'contain arn:aws:iam::333333333333:user/x', /ACCOUNT.NOT_ALLOWED/],
  ])('answers %s with a specific error and records no action', async (_n, text, message) => {
    const res = await command(RESP, text);
    await eventually(() => res.text.length > 0 || slack.ephemerals().length > 0, 'the error');
    await idle();
    expect(`${res.text}\n${ephemeralTexts().join('\n')}`).toMatch(message);
    expect(await cordon.store.listActions({})).toEqual([]);
    expect(aws.sb.calls()).toEqual([]);
  });
});
