import { loadConfig } from '../../src/config/load-config';
import { buildCordon, type Cordon } from '../../src/app/cordon';
import { bridgeChannelName, isValidChannelName } from '../../src/domain/cases/channel-name';
import { silentLogger } from '../../src/log';
import { SlackSandbox } from '../../sandbox/slack';
import { makeFindingDetail, toEventBridgeEvent } from '../../sandbox/findings/finding-factory';
import { containmentHarness } from '../support/aws';
import { testConfigYaml } from '../support/cli-harness';

describe('escalation bridge and acknowledgement clock', () => {
  let slack: SlackSandbox;
  let cordon: Cordon;
  let clock: number;
  /** Set to make the next case write that stores a bridge channel id fail (a crash right after conversations.create). */
  let failBridgeSave = false;
  const start = Date.parse('2026-11-22T02:00:00.000Z');

  beforeEach(async () => {
    slack = await SlackSandbox.start({});
    for (const id of ['U0RESP', 'U0ONCALL', 'U0CISO', 'U0VIEW']) slack.addUser({ id, name: id.toLowerCase() });
    slack.addUserGroup({ id: 'S0LEADS', handle: 'leads', users: ['U0CISO'] });
    const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
    clock = start;
    const yaml = testConfigYaml({
      triageChannel: triage,
      invite: ['U0RESP', 'U0VIEW'],
      extra: `access:
  users: { U0RESP: responder, U0ONCALL: responder }
escalation:
  invite: [U0ONCALL]
  inviteGroups: [S0LEADS]
  bridgeUrl: https://meet.example.com/ir
  repageEvery: 5m`,
    });
    const config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.apiUrl }, () => yaml);
    const inner = containmentHarness().store;
    failBridgeSave = false;
    const store = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'updateCase') {
          return (c: Parameters<typeof inner.updateCase>[0]) => {
            if (failBridgeSave && c.bridgeChannelId) {
              failBridgeSave = false;
              return Promise.reject(new Error('SQLITE_IOERR: disk I/O error'));
            }
            return inner.updateCase(c);
          };
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    cordon = buildCordon(config, silentLogger, { store, now: () => new Date(clock) });
  });

  afterEach(async () => {
    await cordon.worker().inProcess?.idle();
    await slack.close();
  });

  async function openCase(type: string): Promise<string> {
    const s = await cordon.pipeline.ingestDocument(toEventBridgeEvent(makeFindingDetail({ type, accessKeyId: 'AKIAESCALATE00000001', severity: 5 })), 't');
    await cordon.slack!.publisher.flush();
    return s.casesOpened[0]!;
  }

  it('adopts the bridge channel it created when storing its id failed, instead of leaving it behind', async () => {
    const caseId = await openCase('Recon:IAMUser/MaliciousIPCaller');
    const c = (await cordon.store.getCase(caseId))!;
    failBridgeSave = true;
    await cordon.services().escalation.escalate({ userId: 'U0RESP', teamId: 'T0SANDBOX', channelId: c.channelId! }, 'crash test');
    await cordon.worker().inProcess!.idle();
    expect((await cordon.store.getCase(caseId))!.bridgeChannelId).toBeUndefined();
    expect(slack.channels().filter((ch) => ch.name.endsWith('-bridge'))).toHaveLength(1);

    await cordon.services().escalation.buildBridge(caseId);
    const after = (await cordon.store.getCase(caseId))!;
    const bridges = slack.channels().filter((ch) => ch.name.includes('-bridge'));
    expect(bridges.map((b) => b.name)).toEqual([bridgeChannelName(c.channelName!)]);
    expect(after.bridgeChannelId).toBe(bridges[0]!.id);
    expect(slack.members(after.bridgeChannelId!).sort()).toEqual(['U0CISO', 'U0ONCALL', 'U0RESP', 'UBOT']);
    expect(slack.messages(after.bridgeChannelId!)).toHaveLength(1);
  });

  it('opens a valid bridge for an 80-character case channel, invites the contacts, cross-links and records it', async () => {
    const caseId = await openCase(`Recon:IAMUser/${'VeryLongThreatFamilyName'.repeat(5)}`);
    const c = (await cordon.store.getCase(caseId))!;
    expect(c.channelName).toHaveLength(80);
    const who = { userId: 'U0RESP', teamId: 'T0SANDBOX', channelId: c.channelId! };
    const r = await cordon.services().escalation.escalate(who, 'exfiltration in progress');
    expect(r.already).toBe(false);
    await cordon.worker().inProcess!.idle();
    const after = (await cordon.store.getCase(caseId))!;
    expect(after.bridgeChannelName).toBe(bridgeChannelName(c.channelName!));
    expect(isValidChannelName(after.bridgeChannelName!)).toBe(true);
    expect(after.bridgeChannelName!.endsWith('-bridge')).toBe(true);
    // The contacts, and the responder who escalated: the bridge is where the work happens.
    expect(slack.members(after.bridgeChannelId!).sort()).toEqual(['U0CISO', 'U0ONCALL', 'U0RESP', 'UBOT']);
    expect(slack.messages(after.channelId!).some((m) => (m.text ?? '').includes(`<#${after.bridgeChannelId!}>`))).toBe(true);
    const bridgeMsg = slack.messages(after.bridgeChannelId!)[0]!;
    expect(JSON.stringify(bridgeMsg.blocks)).toContain(`<#${after.channelId!}>`);
    expect(JSON.stringify(bridgeMsg.blocks)).toContain('https://meet.example.com/ir');
    expect(JSON.stringify(bridgeMsg.blocks)).toContain('cordon.acknowledge');
    expect((await cordon.store.listTimeline(caseId)).map((e) => e.kind)).toContain('case.escalated');
    // escalating again changes nothing
    expect((await cordon.services().escalation.escalate(who, undefined)).already).toBe(true);
  });

  it('re-pages every repageEvery until acknowledged; the time to acknowledge is exact; a second ack is a no-op', async () => {
    const caseId = await openCase('Recon:IAMUser/MaliciousIPCaller');
    const c = (await cordon.store.getCase(caseId))!;
    const who = { userId: 'U0RESP', teamId: 'T0SANDBOX', channelId: c.channelId! };
    await cordon.services().escalation.escalate(who, undefined);
    await cordon.worker().inProcess!.idle();
    const bridge = (await cordon.store.getCase(caseId))!.bridgeChannelId!;
    const pages = () => slack.messages(bridge).filter((m) => (m.text ?? '').includes('still unacknowledged')).length;
    clock = start + 4 * 60_000;
    await cordon.services().escalation.tick();
    expect(pages()).toBe(0);
    clock = start + 5 * 60_000;
    await cordon.services().escalation.tick();
    expect(pages()).toBe(1);
    expect(slack.messages(bridge).at(-1)!.text).toContain('<@U0ONCALL> <@U0CISO>');
    clock = start + 10 * 60_000;
    await cordon.services().escalation.tick();
    expect(pages()).toBe(2);
    clock = start + 12 * 60_000 + 30_000;
    const oncall = { userId: 'U0ONCALL', teamId: 'T0SANDBOX', channelId: bridge };
    expect((await cordon.services().escalation.acknowledge(oncall)).already).toBe(false);
    const acked = (await cordon.store.getCase(caseId))!;
    expect(Date.parse(acked.acknowledgedAt!) - Date.parse(acked.escalatedAt!)).toBe(12 * 60_000 + 30_000);
    expect((await cordon.store.listTimeline(caseId)).find((e) => e.kind === 'case.acknowledged')?.text).toBe('Acknowledged 12m 30s after escalation');
    clock = start + 30 * 60_000;
    await cordon.services().escalation.tick();
    expect(pages()).toBe(2);
    expect((await cordon.services().escalation.acknowledge({ ...oncall, userId: 'U0RESP' })).already).toBe(true);
    expect((await cordon.store.getCase(caseId))!.acknowledgedBy).toBe('U0ONCALL');
    expect(JSON.stringify(slack.messages(bridge)[0]!.blocks)).not.toContain('cordon.acknowledge');
  });

  it('escalates Critical cases by routing from the ticker', async () => {
    const s = await cordon.pipeline.ingestDocument(toEventBridgeEvent(makeFindingDetail({ severity: 9.6, type: 'AttackSequence:IAM/CompromisedCredentials', accessKeyId: 'AKIACRITICAL00000001' })), 't');
    await cordon.slack!.publisher.flush();
    await cordon.services().escalation.tick();
    await cordon.worker().inProcess!.idle();
    const c = (await cordon.store.getCase(s.casesOpened[0]!))!;
    expect(c.escalatedBy).toBe('cordon');
    expect(c.bridgeChannelId).toBeDefined();
  });

  it('the first bridge message pages the contacts (users and group), says by when to acknowledge, and the contacts can open the case channel', async () => {
    const caseId = await openCase('Recon:IAMUser/MaliciousIPCaller');
    const c = (await cordon.store.getCase(caseId))!;
    await cordon.services().escalation.escalate({ userId: 'U0RESP', teamId: 'T0SANDBOX', channelId: c.channelId! }, 'keys leaked');
    await cordon.worker().inProcess!.idle();
    const after = (await cordon.store.getCase(caseId))!;
    const [first] = slack.messages(after.bridgeChannelId!);
    // Being added to a channel notifies nobody: the mentions are what pages them, in the
    // notification text as well as in the blocks.
    expect(first!.text).toMatch(/^<@U0ONCALL> <!subteam\^S0LEADS> Escalated: case /);
    expect(JSON.stringify(first!.blocks)).toContain('<@U0ONCALL> <!subteam^S0LEADS> :rotating_light: you are paged for this case by <@U0RESP>');
    const due = Math.floor((Date.parse(after.escalatedAt!) + 15 * 60_000) / 1000);
    expect(JSON.stringify(first!.blocks)).toContain(`Acknowledge by <!date^${due}^{date_short_pretty} {time}|2026-11-22 02:15 UTC> (within 15m of escalation)`);
    // The case channel is private: the contacts are added to it, so its link opens for them.
    expect(slack.members(after.channelId!)).toEqual(expect.arrayContaining(['U0ONCALL', 'U0CISO']));
    expect(JSON.stringify(first!.blocks)).not.toContain('not in it');

    // Someone took a contact out of the case channel: the summary, redrawn on acknowledgement, says so.
    slack.removeMember(after.channelId!, 'U0CISO');
    await cordon.services().escalation.acknowledge({ userId: 'U0ONCALL', teamId: 'T0SANDBOX', channelId: after.bridgeChannelId! });
    const redrawn = JSON.stringify(slack.messages(after.bridgeChannelId!)[0]!.blocks);
    expect(redrawn).toContain(`Case channel: <#${after.channelId!}> (private: <@U0CISO> is not in it; ask in here to be added)`);
    expect(redrawn).not.toContain('you are paged');
  });

  it('says in the bridge when the acknowledgement is overdue (escalation.ackWithin), at the moment it runs out', async () => {
    const yaml = testConfigYaml({
      triageChannel: slack.channels().find((ch) => ch.name === 'security-triage')!.id,
      extra: `access:
  users: { U0RESP: responder }
escalation:
  invite: [U0ONCALL]
  ackWithin: 7m
  repageEvery: 5m`,
    });
    const config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.apiUrl }, () => yaml);
    const other = buildCordon(config, silentLogger, { store: containmentHarness().store, now: () => new Date(clock) });
    const s = await other.pipeline.ingestDocument(toEventBridgeEvent(makeFindingDetail({ accessKeyId: 'AKIAOVERDUE000000001', severity: 5 })), 't');
    await other.slack!.publisher.flush();
    const c = (await other.store.getCase(s.casesOpened[0]!))!;
    await other.services().escalation.escalate({ userId: 'U0RESP', teamId: 'T0SANDBOX', channelId: c.channelId! }, undefined);
    await other.worker().inProcess!.idle();
    const bridge = (await other.store.getCase(c.id))!.bridgeChannelId!;
    const pages = () => slack.messages(bridge).slice(1).map((m) => m.text ?? '');
    clock = start + 5 * 60_000;
    await other.services().escalation.tick();
    expect(pages()).toHaveLength(1);
    expect(pages()[0]).not.toContain('Overdue');
    clock = start + 7 * 60_000;
    await other.services().escalation.tick();
    expect(pages()).toHaveLength(2);
    expect(pages()[1]).toContain('still unacknowledged after 7m');
    expect(pages()[1]).toContain('*Overdue*: it was to be acknowledged within 7m.');
    clock = start + 8 * 60_000;
    await other.services().escalation.tick();
    expect(pages()).toHaveLength(2);
    clock = start + 12 * 60_000;
    await other.services().escalation.tick();
    expect(pages()).toHaveLength(3);
    expect(pages()[2]).toContain('*Overdue*');
    await other.worker().inProcess?.idle();
  });

  it('refuses a viewer', async () => {
    const caseId = await openCase('Recon:IAMUser/MaliciousIPCaller');
    const c = (await cordon.store.getCase(caseId))!;
    await expect(cordon.services().escalation.escalate({ userId: 'U0VIEW', teamId: 'T0SANDBOX', channelId: c.channelId! }, undefined)).rejects.toMatchObject({ code: 'ACCESS.DENIED' });
    expect((await cordon.store.getCase(caseId))!.escalatedAt).toBeUndefined();
  });
});
