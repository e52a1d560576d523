import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import { buildCordon, type Cordon } from '../../src/app/cordon';
import { formatExactDuration } from '../../src/domain/duration';
import { caseMetrics, type CaseMetrics } from '../../src/domain/reports/metrics';
import { errorMessage } from '../../src/errors';
import { silentLogger } from '../../src/log';
import { AwsSandbox, sandboxClientFactory, type SeededInstance } from '../aws';
import { SlackSandbox } from '../slack';
import { buttonBody, commandBody, postSigned, SANDBOX_SIGNING_SECRET } from '../slack/signed-requests';
import { startSandboxWebView } from '../slack/web-view';
import { ReportService } from '../../src/services/report-service';
import { startSlack, type SlackServer } from '../../src/slack/inbound/bolt-app';
import { ActionId } from '../../src/slack/ids';
import { SqliteStore } from '../../src/store/sqlite-store';
import { attackFindings } from '../../src/demo/attack-scenario';
import { SlackTranscript } from './transcript';

export const DEMO_ACCOUNTS = { production: '111111111111', sandbox: '222222222222', security: '999999999999' } as const;
const REGION = 'us-east-1';
const ROLE = 'CordonContainment';
const EXTERNAL_ID = 'cordon-demo-external-id';

/** The scripted team. */
export const DEMO_TEAM = {
  alice: { id: 'U0ALICE', name: 'alice', role: 'responder (on call)' },
  bob: { id: 'U0BOB', name: 'bob', role: 'commander' },
  carol: { id: 'U0CAROL', name: 'carol', role: 'commander' },
  dave: { id: 'U0DAVE', name: 'dave', role: 'escalation contact' },
} as const;

export const DEMO_STAGES = ['ingest', 'contain-user', 'isolate-instances', 'escalate', 'acknowledge', 'revert', 'resolve', 'report'] as const;
export type DemoStage = (typeof DEMO_STAGES)[number];

/** Everything a stage can see, and what a test may break. */
export interface DemoWorld {
  slack: SlackSandbox;
  aws: AwsSandbox;
  cordon: Cordon;
  userName: string;
  userId: string;
  accessKeyIds: string[];
  instances: SeededInstance[];
  caseId?: string;
  /** Signs the team's Slack requests with this secret instead (a rotated secret breaks a stage). */
  signingSecret?: string;
}

/** Options of {@link runDemo}. */
export interface DemoOptions {
  print: (line: string) => void;
  /** Where the report and the chart are written (default: a new temp folder). */
  outDir?: string;
  /** Keep the sandbox up and serve the read-only web view until `stopSignal`. */
  serve?: { port: number; stopSignal: Promise<void>; onServing?: (url: string) => void };
  /** Called before each stage: tests (and `--break`) inject faults here. */
  beforeStage?: (stage: DemoStage, world: DemoWorld) => void;
}

/** What the demo did, checked. */
export interface DemoResult {
  ok: boolean;
  failedStage?: DemoStage;
  error?: string;
  stages: { stage: DemoStage; ok: boolean; ms: number }[];
  caseId?: string;
  reportFiles: string[];
  numbers?: {
    findings: number;
    cases: number;
    actions: number;
    applied: number;
    reverted: number;
    slackCalls: number;
    awsChanges: number;
    metrics: CaseMetrics;
  };
}

/** A stage that ran but did not leave the state it promised. */
class StageCheckFailed extends Error {}

function expect(cond: unknown, what: string): asserts cond {
  if (!cond) throw new StageCheckFailed(what);
}

/** The faults `cordon demo --break <stage>` injects: what each stage looks like when something refuses. */
export function breakStage(stage: DemoStage, w: DemoWorld): void {
  switch (stage) {
    case 'ingest':
    case 'escalate':
      w.slack.failNext('conversations.create', 'restricted_action', 50);
      return;
    case 'contain-user':
      w.aws.failCall('UpdateAccessKey', { code: 'AccessDenied', message: 'demo: the member role was changed' });
      return;
    case 'isolate-instances':
    case 'revert':
      w.aws.failCall('ModifyNetworkInterfaceAttribute', { code: 'UnauthorizedOperation', message: 'demo: an SCP denies it' });
      return;
    case 'acknowledge':
      // The signing secret was rotated in Slack but not in Cordon: every request is refused.
      w.signingSecret = 'rotated-signing-secret-0000000000';
      return;
    case 'resolve':
      w.slack.failNext('chat.update', 'channel_not_found', 50);
      w.slack.failNext('chat.postMessage', 'channel_not_found', 50);
      return;
    case 'report':
      w.slack.failNext('files.getUploadURLExternal', 'not_allowed_token_type', 10);
      return;
  }
}

const DEMO_CONFIG = (triage: string) => `
workspace: { teamId: T0SANDBOX }
accounts:
  - { id: "${DEMO_ACCOUNTS.production}", name: production, environment: production }
  - { id: "${DEMO_ACCOUNTS.sandbox}", name: sandbox, environment: sandbox }
regions: [${REGION}]
containmentRole: { name: ${ROLE}, externalId: ${EXTERNAL_ID} }
triage:
  knownCidrs:
    - { cidr: 192.0.2.0/24, name: office VPN }
  cardEditInterval: 1s
channels:
  triage: ${triage}
  prefix: ir
  invite: [${DEMO_TEAM.alice.id}, ${DEMO_TEAM.bob.id}, ${DEMO_TEAM.carol.id}]
access:
  users: { ${DEMO_TEAM.alice.id}: responder, ${DEMO_TEAM.dave.id}: responder, ${DEMO_TEAM.bob.id}: commander, ${DEMO_TEAM.carol.id}: commander }
  approvals:
    - { name: production identities need two people, environments: [production], kinds: [iam-user, iam-role, access-key] }
escalation:
  invite: [${DEMO_TEAM.dave.id}]
  bridgeUrl: https://meet.example.com/cordon-demo
  repageEvery: 5m
containment: { untrackSeconds: 0 }
`;

/**
 * `npm run demo`: the game-day attack end to end on the embedded defaults (a temp
 * SQLite store, the sandbox Slack, the simulated AWS), driven by a scripted team
 * through signed Slack requests, with a live transcript. Every stage checks the state
 * it should leave; the first that does not stops the demo and is named.
 */
export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const print = opts.print;
  const out = resolve(opts.outDir ?? mkdtempSync(join(tmpdir(), 'cordon-demo-')));
  mkdirSync(out, { recursive: true });
  const result: DemoResult = { ok: false, stages: [], reportFiles: [] };
  const slack = await SlackSandbox.start({});
  let front: SlackServer | undefined;
  let cordon: Cordon | undefined;
  try {
    for (const u of Object.values(DEMO_TEAM)) slack.addUser({ id: u.id, name: u.name });
    const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT', ...Object.values(DEMO_TEAM).map((u) => u.id)] });

    // The world the attacker found: a CI user with a key, and the instances it will launch.
    const aws = new AwsSandbox({ seed: 42 });
    for (const account of [DEMO_ACCOUNTS.production, DEMO_ACCOUNTS.sandbox]) {
      aws.createMemberRole(account, ROLE, { trustedPrincipalArn: `arn:aws:iam::${DEMO_ACCOUNTS.security}:role/sandbox-admin`, externalId: EXTERNAL_ID });
    }
    const userName = 'ci-deploy';
    const { userId } = aws.createUser(DEMO_ACCOUNTS.production, userName, { tags: { Team: 'platform' } });
    const accessKeyIds = [aws.createAccessKey(DEMO_ACCOUNTS.production, userName).accessKeyId, aws.createAccessKey(DEMO_ACCOUNTS.production, userName).accessKeyId];
    const vpc = aws.createVpc({ accountId: DEMO_ACCOUNTS.production, region: REGION });
    const openSsh = aws.createSecurityGroup({
      accountId: DEMO_ACCOUNTS.production,
      region: REGION,
      vpcId: vpc.vpcId,
      name: 'launch-wizard-1',
      ingress: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    });
    const instances = [1, 2, 3].map((i) =>
      aws.createInstance({ accountId: DEMO_ACCOUNTS.production, region: REGION, vpcId: vpc.vpcId, groupIds: [[openSsh]], volumes: 2, instanceType: 'c5.4xlarge', tags: { Name: `build-${i}` } }),
    );

    const dbPath = join(out, 'cordon-demo.db');
    const store = SqliteStore.open(dbPath);
    let clock = Date.parse('2026-11-25T02:00:00.000Z');
    const config = loadConfig(
      { CORDON_CONFIG: 'cordon-demo.yaml', CORDON_STORE: `sqlite:${dbPath}`, SLACK_BOT_TOKEN: 'xoxb-demo', SLACK_SIGNING_SECRET: SANDBOX_SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1' },
      () => DEMO_CONFIG(triage),
    );
    cordon = buildCordon(config, silentLogger, { store, clientFactory: sandboxClientFactory(aws, DEMO_ACCOUNTS.security), now: () => new Date(clock), sleep: () => Promise.resolve(), principalChecks: true });
    const c = cordon;
    front = await startSlack(config, c.services(), silentLogger);
    const events = `${front.address as string}/slack/events`;
    const world: DemoWorld = { slack, aws, cordon: c, userName, userId, accessKeyIds, instances };
    const transcript = new SlackTranscript(slack, print);

    const settle = async (): Promise<void> => {
      // Bolt answers first and finishes the listener after; then the queue runs the jobs.
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 30));
        await c.worker().inProcess?.idle();
      }
      await c.slack?.publisher.flush();
    };
    const signing = () => (world.signingSecret ? { secret: world.signingSecret } : {});
    const say = async (who: keyof typeof DEMO_TEAM, text: string, channel: string): Promise<void> => {
      print(`  > @${DEMO_TEAM[who].name}: /ir ${text}`);
      const res = await postSigned(events, commandBody({ text, user: DEMO_TEAM[who].id, channel, responseUrl: slack.responseUrl({ channel, user: DEMO_TEAM[who].id }) }), signing());
      if (res.status !== 200) throw new Error(`Slack command answered HTTP ${res.status}`);
      await settle();
    };
    const click = async (who: keyof typeof DEMO_TEAM, actionId: string, value: string, channel: string, label: string): Promise<void> => {
      print(`  > @${DEMO_TEAM[who].name} clicks ${label}`);
      const res = await postSigned(events, buttonBody({ actionId, value, user: DEMO_TEAM[who].id, channel, responseUrl: slack.responseUrl({ channel, user: DEMO_TEAM[who].id }) }), signing());
      if (res.status !== 200) throw new Error(`Slack interaction answered HTTP ${res.status}`);
      await settle();
    };
    const lastEphemeral = (who: keyof typeof DEMO_TEAM): string => slack.ephemerals().filter((e) => e.user === DEMO_TEAM[who].id).at(-1)?.text ?? '';
    const theCase = async () => {
      const found = world.caseId ? await c.store.getCase(world.caseId) : undefined;
      expect(found, 'the case exists');
      return found;
    };
    const at = (min: number): void => {
      clock = Date.parse('2026-11-25T02:00:00.000Z') + min * 60_000;
    };

    const stages: Record<DemoStage, { title: string; startsAt: number; run: () => Promise<void> }> = {
      ingest: {
        startsAt: 0,
        title: 'GuardDuty reports the attack: 7 findings in 9 minutes',
        run: async () => {
          const findings = attackFindings(
            { accountId: DEMO_ACCOUNTS.production, region: REGION, userName, principalId: userId, accessKeyId: accessKeyIds[0] as string, newAccessKeyId: accessKeyIds[1] as string, instanceIds: instances.map((i) => i.instanceId), bucket: 'acme-prod-customer-exports', attackerIp: '198.51.100.23', startAt: new Date(clock) },
            { newId: () => randomBytes(16).toString('hex') },
          );
          const summary = await c.pipeline.ingestDocument(findings, 'eventbridge');
          at(9);
          await c.slack?.publisher.flush();
          print(`  ${summary.received} findings: ${summary.cased} to cases, ${summary.casesOpened.length} case opened (${summary.casesOpened.join(', ')})`);
          expect(summary.received === 7 && summary.cased === 7, `all 7 findings cased (got ${summary.cased} of ${summary.received})`);
          expect(summary.casesOpened.length === 1, `one case (got ${summary.casesOpened.length})`);
          world.caseId = summary.casesOpened[0];
          const k = await theCase();
          expect(k.channelId, 'the case channel was created');
          expect(k.band === 'critical', `the case is Critical (it is ${k.band})`);
          expect(slack.messages(k.channelId).length >= 8, 'the case card and 7 finding cards were posted');
        },
      },
      'contain-user': {
        startsAt: 11,
        title: 'Bob contains the CI user; production identities need Carol’s approval',
        run: async () => {
          const k = await theCase();
          await say('bob', `contain arn:aws:iam::${DEMO_ACCOUNTS.production}:user/${userName} stolen CI key`, k.channelId as string);
          const pending = (await c.store.listActions({ caseId: k.id })).find((a) => a.kind === 'iam-user');
          expect(pending?.status === 'pending_approval', `the plan waits for approval (it is ${pending?.status ?? 'missing'}); ${lastEphemeral('bob')}`);
          at(13);
          await click('bob', ActionId.APPROVE, pending.id, k.channelId as string, 'Approve on his own request');
          expect(/approve your own/i.test(lastEphemeral('bob')) || /SELF_APPROVAL/.test(lastEphemeral('bob')), 'Bob may not approve his own request');
          print(`    (refused: ${lastEphemeral('bob').replace(':warning: ', '').replace(/\s+/g, ' ').slice(0, 100)})`);
          at(14);
          await click('carol', ActionId.APPROVE, pending.id, k.channelId as string, 'Approve');
          const done = await c.store.getAction(pending.id);
          expect(done?.status === 'applied', `the user is contained (action ${done?.status ?? 'missing'}: ${done?.steps.find((s) => s.error)?.error ?? ''})`);
          const keys = aws.snapshotState(DEMO_ACCOUNTS.production).iam.users[userName]?.accessKeys ?? [];
          expect(keys.length === 2 && keys.every((key) => key.status === 'Inactive'), 'both access keys are inactive');
        },
      },
      'isolate-instances': {
        startsAt: 15,
        title: 'Alice isolates the three instances (security group swap, tracked connections cut, EBS snapshots)',
        run: async () => {
          const k = await theCase();
          for (const inst of instances) await say('alice', `contain arn:aws:ec2:${REGION}:${DEMO_ACCOUNTS.production}:instance/${inst.instanceId}`, k.channelId as string);
          const ec2 = (await c.store.listActions({ caseId: k.id })).filter((a) => a.kind === 'ec2-instance');
          expect(ec2.length === 3 && ec2.every((a) => a.status === 'applied'), `three isolations applied (${ec2.map((a) => a.status).join(', ') || 'none'})`);
          const state = aws.snapshotState(DEMO_ACCOUNTS.production).regions[REGION]?.ec2;
          for (const inst of instances) {
            const groups = inst.networkInterfaceIds.flatMap((id) => state?.networkInterfaces[id]?.groupIds ?? []);
            expect(!groups.includes(openSsh), `${inst.instanceId} no longer has SSH open to the world`);
          }
          expect(slack.replies(k.channelId as string, ec2[0]?.messageTs as string).flatMap((r) => (r.text ?? '').split('\n')).length > 1, 'the step log is threaded under the action');
        },
      },
      escalate: {
        startsAt: 16,
        title: 'The case is Critical: Cordon opens the bridge and pages Dave',
        run: async () => {
          await c.services().escalation.tick();
          await settle();
          const k = await theCase();
          expect(k.bridgeChannelId, 'the bridge channel exists');
          expect(slack.members(k.bridgeChannelId).includes(DEMO_TEAM.dave.id), 'Dave was invited to the bridge');
          at(21);
          await c.services().escalation.tick();
          await settle();
          expect(slack.messages(k.bridgeChannelId).some((m) => (m.text ?? '').includes('still unacknowledged')), 'Dave was paged again after 5 minutes');
        },
      },
      acknowledge: {
        startsAt: 22.5,
        title: 'Dave acknowledges from the bridge',
        run: async () => {
          const k = await theCase();
          await click('dave', ActionId.ACKNOWLEDGE, k.id, k.bridgeChannelId as string, 'Acknowledge');
          const after = await theCase();
          expect(after.acknowledgedBy === DEMO_TEAM.dave.id, `Dave owns the case (acknowledged by ${after.acknowledgedBy ?? 'nobody'})`);
        },
      },
      revert: {
        startsAt: 40,
        title: 'build-3 was a legitimate build box: Bob reverts; Cordon keeps it isolated until he accepts SSH open to the world',
        run: async () => {
          const k = await theCase();
          const inst = instances[2] as SeededInstance;
          const last = (await c.store.listActions({ caseId: k.id })).find((a) => a.target.id === inst.instanceId);
          expect(last, 'there is an isolation of build-3 to revert');
          await say('bob', `revert ${last.id}`, k.channelId as string);
          const held = await c.store.getAction(last.id);
          const network = held?.steps.find((st) => st.stepId === 'network');
          expect(
            held?.status === 'revert_failed' && (network?.revertError ?? '').startsWith('Kept isolated'),
            `Revert keeps build-3 isolated: its own group lets the internet reach SSH (${held?.status ?? 'missing'}: ${network?.revertError ?? network?.status ?? ''})`,
          );
          await say('bob', `revert ${last.id} --restore-open`, k.channelId as string);
          const after = await c.store.getAction(last.id);
          expect(after?.status === 'reverted', `the isolation of build-3 is reverted (${after?.status ?? 'missing'})`);
          const state = aws.snapshotState(DEMO_ACCOUNTS.production).regions[REGION]?.ec2;
          expect(inst.networkInterfaceIds.every((id) => state?.networkInterfaces[id]?.groupIds.includes(openSsh)), 'build-3 has its original security group back');
        },
      },
      resolve: {
        startsAt: 62,
        title: 'Bob resolves the case',
        run: async () => {
          const k = await theCase();
          await say('bob', 'resolve CI key revoked and rotated, attacker instances isolated for forensics, bucket access reviewed', k.channelId as string);
          const after = await theCase();
          expect(after.status === 'resolved', `the case is resolved (${after.status}): ${lastEphemeral('bob')}`);
          expect(slack.messages(k.channelId as string).some((m) => (m.text ?? '').includes('checklist') || JSON.stringify(m.blocks ?? []).includes('Containment verified')), 'the resolution checklist was posted');
        },
      },
      report: {
        startsAt: 63,
        title: 'Alice asks for the report',
        run: async () => {
          const k = await theCase();
          const before = slack.files().length;
          await say('alice', 'report', k.channelId as string);
          const uploaded = slack.files().slice(before).filter((f) => f.completed && f.channel === k.channelId);
          expect(uploaded.length === 2, `the report and the chart reached the case channel (${uploaded.length} of 2 files): ${lastEphemeral('alice')}`);
          const report = await new ReportService(c.store, { now: () => new Date(clock), accountNames: { [DEMO_ACCOUNTS.production]: 'production', [DEMO_ACCOUNTS.sandbox]: 'sandbox' } }).build(k.id);
          for (const [name, bytes] of [
            [report.markdownFile, Buffer.from(report.markdown, 'utf8')],
            [report.pngFile, report.png],
          ] as const) {
            writeFileSync(join(out, name), bytes);
            result.reportFiles.push(join(out, name));
          }
        },
      },
    };

    print('Cordon demo: a stolen CI key, replayed against a sandbox Slack and a simulated AWS (no network, no credentials).');
    print(`Team: ${Object.values(DEMO_TEAM).map((u) => `@${u.name} (${u.role})`).join(', ')}.`);
    for (const [i, stage] of DEMO_STAGES.entries()) {
      print('');
      at(stages[stage].startsAt);
      print(`── ${i + 1}/${DEMO_STAGES.length} ${stages[stage].title}  [${new Date(clock).toISOString().slice(11, 19)} UTC]`);
      opts.beforeStage?.(stage, world);
      const t0 = performance.now();
      try {
        await stages[stage].run();
        aws.clearFaults();
        slack.clearFaults();
        delete world.signingSecret;
        transcript.flush();
        result.stages.push({ stage, ok: true, ms: Math.round(performance.now() - t0) });
      } catch (err) {
        transcript.flush();
        result.stages.push({ stage, ok: false, ms: Math.round(performance.now() - t0) });
        result.failedStage = stage;
        result.error = err instanceof StageCheckFailed ? `expected ${err.message}` : errorMessage(err);
        print('');
        print(`✗ stage ${i + 1} "${stage}" failed: ${result.error}`);
        return result;
      }
    }

    const k = await theCase();
    const actions = await c.store.listActions({ caseId: k.id });
    const metrics = caseMetrics(k, actions);
    result.caseId = k.id;
    result.numbers = {
      findings: (await c.store.listFindings({ caseId: k.id })).length,
      cases: (await c.store.listCases()).length,
      actions: actions.length,
      applied: actions.filter((a) => a.appliedAt).length,
      reverted: actions.filter((a) => a.revertedAt).length,
      slackCalls: slack.calls().length,
      awsChanges: aws.mutations().length,
      metrics,
    };
    const d = (ms: number | undefined): string => (ms === undefined ? 'not reached' : formatExactDuration(ms));
    print('');
    print('── What happened');
    print(`  ${result.numbers.findings} findings became 1 case (${k.id}); ${result.numbers.actions} actions: ${result.numbers.applied} applied, ${result.numbers.reverted} reverted`);
    print(`  time to acknowledge ${d(metrics.timeToAcknowledgeMs)} · to contain ${d(metrics.timeToContainMs)} · to resolve ${d(metrics.timeToResolveMs)} (scripted clock)`);
    print(`  ${result.numbers.slackCalls} Slack API calls, ${result.numbers.awsChanges} AWS changes, all checked against the resulting state`);
    print(`  report: ${result.reportFiles.join(' and ')}`);
    result.ok = true;

    if (opts.serve) {
      const view = await startSandboxWebView(slack, { port: opts.serve.port });
      print('');
      print(`The sandbox Slack is at ${view.url} (read-only). Ctrl-C stops it.`);
      opts.serve.onServing?.(view.url);
      await opts.serve.stopSignal;
      await view.close();
    }
    return result;
  } finally {
    await cordon?.worker().inProcess?.idle();
    await front?.stop();
    await cordon?.close();
    await slack.close();
  }
}
