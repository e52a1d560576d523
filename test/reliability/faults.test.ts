import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import { buildCordon } from '../../src/app/cordon';
import { CrossAccountClients } from '../../src/aws/aws-clients';
import { ContainmentService } from '../../src/containment/containment-service';
import type { Action } from '../../src/domain/actions/action';
import { silentLogger } from '../../src/log';
import { OPEN_STEP_STALE_MS } from '../../src/app/clock-tick';
import { AwsSandbox, sandboxClientFactory, THROTTLING_CODES } from '../../sandbox/aws';
import { makeFindingDetail, toEventBridgeEvent } from '../../sandbox/findings/finding-factory';
import { SlackSandbox } from '../../sandbox/slack';
import { SqliteStore } from '../../src/store/sqlite-store';
import type { Store } from '../../src/store/store';
import { containmentHarness, EXTERNAL_ID, PROD, REGION, ROLE, SANDBOX, SECURITY_ACCOUNT, withoutEvidence } from '../support/aws';
import { testConfigYaml } from '../support/cli-harness';
import { recordFigures } from './figures';

/** Slack posts as the sandbox saw them: every top-level message text in the channel. */
function texts(slack: SlackSandbox, channel: string): string[] {
  return slack.messages(channel).filter((m) => !m.thread_ts || m.thread_ts === m.ts).map((m) => m.text ?? '');
}

describe('faults: Slack failing while Cordon posts', () => {
  it.each([
    ['503 Service Unavailable', { httpStatus: 503 }],
    ['504 Gateway Timeout', { httpStatus: 504 }],
    ['internal_error', 'internal_error'],
    ['fatal_error', 'fatal_error'],
  ] as const)('%s on every post: the outbox retries until everything is posted, nothing twice', async (name, fault) => {
    const slack = await SlackSandbox.start({});
    try {
      const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
      const config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.apiUrl }, () => testConfigYaml({ triageChannel: triage }));
      // WebClient gives up quickly here; the outbox (the next flush) is what must not lose or repeat a post.
      const cordon = buildCordon(config, silentLogger, { store: containmentHarness().store, webClientOptions: { retryConfig: { retries: 1, factor: 1, minTimeout: 5, maxTimeout: 5 } } });
      const ids = [1, 2, 3, 4, 5].map((i) => `${i}`.repeat(32));
      await cordon.pipeline.ingestDocument(ids.map((id, i) => toEventBridgeEvent(makeFindingDetail({ id, accessKeyId: 'AKIAFAULTS0000000001', type: `Recon:IAMUser/Probe${i}`, title: `probe ${i}` }))), 't');
      let failures = 0;
      let flushes = 0;
      for (const method of ['conversations.create', 'chat.postMessage', 'pins.add', 'chat.update']) slack.failNext(method, fault, 4);
      for (;;) {
        const r = await cordon.slack!.publisher.flush();
        flushes++;
        failures += r.failures;
        const pending = (await cordon.store.findingsToPublish(100)).length + (await cordon.store.casesToPublish(100)).length + (await cordon.store.unpostedTimeline(100)).length;
        if (!pending) break;
        if (flushes > 30) throw new Error(`still ${pending} to post after 30 flushes`);
      }
      const c = (await cordon.store.listCases())[0]!;
      expect(slack.channels().filter((ch) => ch.name.startsWith('ir-'))).toHaveLength(1);
      const posted = texts(slack, c.channelId!);
      for (let i = 0; i < 5; i++) expect(posted.filter((t) => t.includes(`probe ${i}`) && /finding/i.test(t))).toHaveLength(1);
      const timeline = await cordon.store.listTimeline(c.id);
      for (const e of timeline.filter((x) => !x.silent)) expect(posted.filter((t) => t.includes(e.text.slice(0, 40)))).not.toHaveLength(0);
      expect(new Set(posted).size).toBe(posted.length);
      expect(failures).toBeGreaterThan(0);
      recordFigures(`faults-slack-${name.replace(/\W+/g, '-').toLowerCase()}`, { fault: name, injected: 16, flushes, failuresSeen: failures, posted: posted.length, duplicated: posted.length - new Set(posted).size, lost: 0 });
    } finally {
      await slack.close();
    }
  });

  it('a slow Slack (1.5 s per call) delays posts but never repeats one: Cordon sets no client timeout that could retry a post Slack already made', async () => {
    const slack = await SlackSandbox.start({ latencyMs: 1500 });
    try {
      const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
      const config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.apiUrl }, () => testConfigYaml({ triageChannel: triage }));
      const cordon = buildCordon(config, silentLogger, { store: containmentHarness().store });
      await cordon.pipeline.ingestDocument(toEventBridgeEvent(makeFindingDetail({ accessKeyId: 'AKIASLOW000000000001', title: 'slow probe' })), 't');
      const r = await cordon.slack!.publisher.flush();
      expect(r.failures).toBe(0);
      const c = (await cordon.store.listCases())[0]!;
      const posted = texts(slack, c.channelId!);
      expect(posted.filter((t) => t.includes('slow probe') && /finding/i.test(t))).toHaveLength(1);
      expect(new Set(posted).size).toBe(posted.length);
      recordFigures('faults-slack-slow', { latencyMs: 1500, posted: posted.length, duplicated: 0, lost: 0 });
    } finally {
      await slack.close();
    }
  }, 60_000);
});

describe('faults: AWS throttling and 5xx mid-action', () => {
  it('30% throttling plus two 500s on the isolation step: the action applies, every change is made once, revert is exact', async () => {
    const h = containmentHarness({ maxAttempts: 10 });
    const inst = h.sb.createInstance({ accountId: PROD, region: REGION, enis: 2, volumes: 3 });
    const before = h.sb.snapshotState(PROD);
    h.sb.setThrottleRate(0.3, { seed: 11 });
    h.sb.failCall('ModifyNetworkInterfaceAttribute', { code: 'InternalError', httpStatus: 500, times: 2 });
    const planned = await h.service.plan({ target: `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`, requestedBy: 'U0ALICE', dryRun: false });
    const applied = (await h.service.apply(planned.id, 'U0ALICE')) as Action;
    expect(applied.status).toBe('applied');
    const throttled = h.sb.calls().filter((c) => Object.values(THROTTLING_CODES).includes(c.outcome)).length;
    const failed = h.sb.calls({ outcome: 'InternalError' }).length;
    // One successful mutation per step that changes something: nothing applied twice.
    const snapshots = h.sb.mutations({ accountId: PROD, command: 'CreateSnapshot' });
    expect(snapshots).toHaveLength(3);
    expect(h.sb.mutations({ accountId: PROD, command: 'ModifyNetworkInterfaceAttribute' })).toHaveLength(2);
    h.sb.setThrottleRate(0);
    const reverted = (await h.service.revert(planned.id, 'U0BOSS')) as Action;
    expect(reverted.status).toBe('reverted');
    expect(withoutEvidence(h.sb.snapshotState(PROD))).toEqual(withoutEvidence(before));
    expect(throttled + failed).toBeGreaterThan(2);
    recordFigures('faults-aws-throttle-5xx', { throttleRate: 0.3, throttled, serverErrors: failed, stepsApplied: applied.steps.filter((s) => s.status === 'applied').length, duplicatedChanges: 0, revertExact: true });
  });
});

/** A store whose `method` throws from its `failOn`-th call: a full disk, a lost connection. */
function failingStore(inner: Store, method: keyof Store, failOn: number): Store {
  let calls = 0;
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== method || typeof value !== 'function') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      return (...args: unknown[]) => {
        calls++;
        if (calls >= failOn) return Promise.reject(new Error('SQLITE_FULL: database or disk is full'));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

describe('faults: the store failing a write', () => {
  it.each([
    ['recording the plan', 'insertAction', 1],
    ['recording that the first step starts', 'updateAction', 2],
  ] as const)('when %s fails, the request fails clearly and AWS was not touched', async (_what, method, failOn) => {
    const h = containmentHarness();
    const inst = h.sb.createInstance({ accountId: SANDBOX, region: REGION });
    const store = failingStore(h.store, method, failOn);
    const accounts = new CrossAccountClients(h.factory, { roleName: ROLE, externalId: EXTERNAL_ID, sessionSeconds: 3600, allowedAccounts: [PROD, SANDBOX] });
    const svc = new ContainmentService(store, accounts, h.factory, silentLogger, { settings: { untrackSeconds: 0, snapshots: true }, sleep: () => Promise.resolve() });
    const target = `arn:aws:ec2:${REGION}:${SANDBOX}:instance/${inst.instanceId}`;
    let error: unknown;
    try {
      const planned = await svc.plan({ target, requestedBy: 'U0ALICE', dryRun: false });
      await svc.apply(planned.id, 'U0ALICE');
    } catch (err) {
      error = err;
    }
    expect(String(error)).toContain('SQLITE_FULL');
    expect(h.sb.mutations()).toEqual([]);
    recordFigures(`faults-store-${method}`, { failing: method, awsChanges: 0 });
  });
});

const DIST = join(__dirname, '..', '..', 'dist');

/**
 * What every crash child starts with: Cordon from dist, the simulated AWS read back from
 * `worldFile`, clients into the production account. argv: worldFile, dbFile, actionId, then
 * the child's own.
 */
const CHILD_PRELUDE = `
const fs = require('fs');
const [worldFile, dbFile, actionId, killAfter] = process.argv.slice(1);
const { AwsSandbox, sandboxClientFactory } = require(${JSON.stringify(`${DIST}/sandbox/aws`)});
const { SqliteStore } = require(${JSON.stringify(`${DIST}/src/store/sqlite-store`)});
const { CrossAccountClients } = require(${JSON.stringify(`${DIST}/src/aws/aws-clients`)});
const { ContainmentService } = require(${JSON.stringify(`${DIST}/src/containment/containment-service`)});
const { silentLogger } = require(${JSON.stringify(`${DIST}/src/log`)});
const sb = new AwsSandbox({ seed: 101 });
sb.importWorld(fs.readFileSync(worldFile, 'utf8'));
const factory = sandboxClientFactory(sb, ${JSON.stringify(SECURITY_ACCOUNT)});
const accounts = new CrossAccountClients(factory, { roleName: ${JSON.stringify(ROLE)}, externalId: ${JSON.stringify(EXTERNAL_ID)}, sessionSeconds: 3600, allowedAccounts: [${JSON.stringify(PROD)}] });
`;

/**
 * The parent's side of a crash test: a simulated AWS with the member role and one
 * instance, and its action planned in a SQLite file the child will open.
 */
async function planInSharedStore(prefix: string, opts: { enis: number; volumes: number; untrackSeconds: number }) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const dbFile = join(dir, 'cordon.db');
  const worldFile = join(dir, 'aws.json');
  const sb = new AwsSandbox({ seed: 7 });
  sb.createMemberRole(PROD, ROLE, { trustedPrincipalArn: `arn:aws:iam::${SECURITY_ACCOUNT}:role/sandbox-admin`, externalId: EXTERNAL_ID });
  const inst = sb.createInstance({ accountId: PROD, region: REGION, enis: opts.enis, volumes: opts.volumes });
  const before = sb.snapshotState(PROD);
  const store = SqliteStore.open(dbFile);
  const factory = sandboxClientFactory(sb, SECURITY_ACCOUNT);
  const accounts = new CrossAccountClients(factory, { roleName: ROLE, externalId: EXTERNAL_ID, sessionSeconds: 3600, allowedAccounts: [PROD] });
  const svc = new ContainmentService(store, accounts, factory, silentLogger, { settings: { untrackSeconds: opts.untrackSeconds, snapshots: true }, sleep: () => Promise.resolve() });
  const planned = await svc.plan({ target: `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`, requestedBy: 'U0ALICE', dryRun: false });
  await store.close();
  writeFileSync(worldFile, sb.exportWorld());
  return { dbFile, worldFile, inst, before, planned };
}

/** The child: applies an action from the shared SQLite file and dies by SIGKILL right after its `killAfter`-th step. */
const CHILD = `${CHILD_PRELUDE}
const svc = new ContainmentService(SqliteStore.open(dbFile), accounts, factory, silentLogger, { settings: { untrackSeconds: 0, snapshots: true }, sleep: () => Promise.resolve() });
let applied = 0;
svc.apply(actionId, 'U0ALICE', { onStep: (_a, _s, rec) => {
  if (rec.status === 'applied' && ++applied === Number(killAfter)) {
    fs.writeFileSync(worldFile, sb.exportWorld());
    process.kill(process.pid, 'SIGKILL');
  }
} });
`;

describe('faults: the process killed between two steps of an action', () => {
  it('after restart the action is interrupted, its applied steps known, and revert restores the recorded state', async () => {
    // Parent: seed AWS and plan the action in the shared store.
    const { dbFile, worldFile, before, planned } = await planInSharedStore('cordon-crash-', { enis: 2, volumes: 2, untrackSeconds: 0 });

    const killAfter = 3;
    const child = spawn(process.execPath, ['-e', CHILD, worldFile, dbFile, planned.id, String(killAfter)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    let output = '';
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
    expect([signal, output]).toEqual(['SIGKILL', '']);

    // Restart: a new process (here, new objects) over the same store and the AWS the child left.
    const sb2 = new AwsSandbox({ seed: 202 });
    sb2.importWorld(readFileSync(worldFile, 'utf8'));
    const store2 = SqliteStore.open(dbFile);
    const factory2 = sandboxClientFactory(sb2, SECURITY_ACCOUNT);
    const accounts2 = new CrossAccountClients(factory2, { roleName: ROLE, externalId: EXTERNAL_ID, sessionSeconds: 3600, allowedAccounts: [PROD] });
    const svc2 = new ContainmentService(store2, accounts2, factory2, silentLogger, { settings: { untrackSeconds: 0, snapshots: true }, sleep: () => Promise.resolve() });
    expect((await store2.getAction(planned.id))?.status).toBe('running');
    expect(await svc2.sweepInterrupted(0)).toEqual([planned.id]);
    const interrupted = (await store2.getAction(planned.id))!;
    expect(interrupted.status).toBe('interrupted');
    const applied = interrupted.steps.filter((s) => s.status === 'applied');
    expect(applied.length).toBeGreaterThanOrEqual(killAfter);
    expect(interrupted.steps.filter((s) => s.status === 'pending').length).toBeGreaterThan(0);
    expect(interrupted.steps.every((s) => ['applied', 'pending', 'unknown'].includes(s.status))).toBe(true);

    const reverted = (await svc2.revert(planned.id, 'U0BOSS'))!;
    expect(reverted.status).toBe('reverted');
    expect(withoutEvidence(sb2.snapshotState(PROD))).toEqual(withoutEvidence(before));
    await store2.close();
    recordFigures('faults-sigkill-mid-action', {
      steps: interrupted.steps.length,
      appliedBeforeKill: applied.length,
      unknown: interrupted.steps.filter((s) => s.status === 'unknown').length,
      pending: interrupted.steps.filter((s) => s.status === 'pending').length,
      afterRestart: interrupted.status,
      revert: reverted.status,
      revertExact: true,
    });
  }, 60_000);
});

/** The child: applies an EC2 action with an untrack wait and dies by SIGKILL while the interfaces sit in the untrack group. */
const HOP_CHILD = `${CHILD_PRELUDE}
// The untrack wait is the only long sleep: the process dies in it, as a Lambda timeout or a kill would leave it.
const sleep = (ms) => {
  if (ms < 1000) return Promise.resolve();
  fs.writeFileSync(worldFile, sb.exportWorld());
  process.kill(process.pid, 'SIGKILL');
  return new Promise(() => undefined);
};
const svc = new ContainmentService(SqliteStore.open(dbFile), accounts, factory, silentLogger, { settings: { untrackSeconds: 60, snapshots: true }, sleep });
svc.apply(actionId, 'U0ALICE');
`;

describe('faults: the process killed while interfaces sit in the allow-all untrack group', () => {
  it('the next process on the store isolates them within one job lease, from the record alone', async () => {
    const { dbFile, worldFile, inst, before, planned } = await planInSharedStore('cordon-hop-', { enis: 2, volumes: 1, untrackSeconds: 60 });

    const child = spawn(process.execPath, ['-e', HOP_CHILD, worldFile, dbFile, planned.id], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    let output = '';
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
    expect([signal, output]).toEqual(['SIGKILL', '']);

    // What the child left: every interface open to the world, the action still "running".
    const sb2 = new AwsSandbox({ seed: 202 });
    sb2.importWorld(readFileSync(worldFile, 'utf8'));
    const purposeOf = (gid: string) => sb2.snapshotState(PROD).regions[REGION]!.ec2.securityGroups[gid]?.tags.find((t) => t.Key === 'cordon:purpose')?.Value;
    const enisNow = () => inst.networkInterfaceIds.map((id) => sb2.snapshotState(PROD).regions[REGION]!.ec2.networkInterfaces[id]!.groupIds);
    expect(enisNow().map((g) => g.map(purposeOf))).toEqual([['untrack'], ['untrack']]);
    const store2 = SqliteStore.open(dbFile);
    expect((await store2.getAction(planned.id))?.status).toBe('running');

    // The next process, 20 s later (past three missed heartbeats, inside the 30 s job lease).
    const later = Date.now() + 20_000;
    const factory2 = sandboxClientFactory(sb2, SECURITY_ACCOUNT);
    const accounts2 = new CrossAccountClients(factory2, { roleName: ROLE, externalId: EXTERNAL_ID, sessionSeconds: 3600, allowedAccounts: [PROD] });
    const svc2 = new ContainmentService(store2, accounts2, factory2, silentLogger, { settings: { untrackSeconds: 60, snapshots: true }, sleep: () => Promise.resolve(), now: () => new Date(later) });
    expect(await svc2.recoverOpenSteps(OPEN_STEP_STALE_MS)).toEqual([planned.id]);
    expect(OPEN_STEP_STALE_MS).toBeLessThan(30_000);
    expect(enisNow().map((g) => g.map(purposeOf))).toEqual([['isolation'], ['isolation']]);
    const recovered = (await store2.getAction(planned.id))!;
    const network = recovered.steps.find((s) => s.stepId === 'network')!;
    expect(network.status).toBe('applied');
    expect(network.result?.changes).toEqual([expect.stringContaining('untrack wait was cut short')]);
    // What the record says each interface had is what it had: revert puts exactly that back.
    expect((network.result!.enis as { id: string; prior: string[] }[]).map((e) => e.prior)).toEqual(inst.networkInterfaceIds.map((id) => before.regions[REGION]!.ec2.networkInterfaces[id]!.groupIds));
    expect(['applied', 'partially_applied']).toContain(recovered.status);
    // A second tick finds nothing left to do.
    expect(await svc2.recoverOpenSteps(OPEN_STEP_STALE_MS)).toEqual([]);
    expect((await svc2.revert(planned.id, 'U0BOSS'))!.status).toBe('reverted');
    expect(withoutEvidence(sb2.snapshotState(PROD))).toEqual(withoutEvidence(before));
    await store2.close();
    recordFigures('faults-sigkill-in-hop', { enis: 2, leftInUntrack: 2, afterNextTick: 'isolated', revertExact: true });
  }, 60_000);
});

describe('faults: every AWS call of an EC2 containment failing in turn', () => {
  const TARGET_OPTS = { accountId: PROD, region: REGION, enis: 2, ipv6: true, volumes: 1, instanceProfileRole: 'web-role' };

  async function planned(h: ReturnType<typeof containmentHarness>) {
    const inst = h.sb.createInstance(TARGET_OPTS);
    const before = h.sb.snapshotState(PROD);
    const action = await h.service.plan({ target: `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`, requestedBy: 'U0ALICE', dryRun: false });
    h.sb.clearCalls();
    return { inst, before, action };
  }

  /** Asserts that the record says exactly what holds in AWS, and that no interface is left in the untrack group. */
  function assertRecordHolds(h: ReturnType<typeof containmentHarness>, inst: { instanceId: string; networkInterfaceIds: string[]; securityGroupIds: string[][]; volumeIds: string[] }, a: Action, where: string): void {
    const state = h.sb.snapshotState(PROD);
    const ec2 = state.regions[REGION]!.ec2;
    const purpose = (gid: string) => ec2.securityGroups[gid]?.tags.find((t) => t.Key === 'cordon:purpose')?.Value;
    const rec = (id: string) => a.steps.find((s) => s.stepId === id);
    const enis = inst.networkInterfaceIds.map((id) => ec2.networkInterfaces[id]!.groupIds);
    expect([where, enis.flatMap((g) => g.map(purpose)).filter((p) => p === 'untrack')]).toEqual([where, []]);
    const network = rec('network')!;
    if (network.status === 'applied') {
      expect([where, a.status]).toEqual([where, a.steps.every((s) => s.status === 'applied') ? 'applied' : 'partially_applied']);
      expect([where, enis.map((g) => g.map(purpose))]).toEqual([where, [['isolation'], ['isolation']]]);
    } else {
      expect([where, a.status]).toEqual([where, 'not_contained']);
      const recorded = (network.result?.enis as { id: string; state: string; prior: string[]; isolationGroupId: string }[] | undefined) ?? [];
      inst.networkInterfaceIds.forEach((id, i) => {
        const r = recorded.find((e) => e.id === id);
        expect([where, id, enis[i]]).toEqual([where, id, r?.state === 'isolated' ? [r.isolationGroupId] : inst.securityGroupIds[i]]);
      });
    }
    const i = ec2.instances[inst.instanceId]!;
    expect([where, 'termination-protection', rec('termination-protection')!.status === 'applied']).toEqual([where, 'termination-protection', i.disableApiTermination]);
    expect([where, 'tag', rec('tag')!.status === 'applied']).toEqual([where, 'tag', i.tags.some((t) => t.Key === 'cordon:action' && t.Value === a.id)]);
    expect([where, 'role-deny', rec('role-deny:web-role')!.status === 'applied']).toEqual([where, 'role-deny', !!state.iam.roles['web-role']!.inlinePolicies[`cordon-instance-${inst.instanceId}`]]);
    expect([where, 'snapshot', rec(`snapshot:${inst.volumeIds[0]!}`)!.status === 'applied']).toEqual([where, 'snapshot', Object.values(ec2.snapshots).some((s) => s.volumeId === inst.volumeIds[0])]);
  }

  it('throttling, then a hard error, at each call: never an interface left in the untrack group, and the record says what holds', async () => {
    // The calls a clean run makes, in order; each is then failed on its own in a fresh world.
    const clean = containmentHarness({ untrackSeconds: 30 });
    const c = await planned(clean);
    expect((await clean.service.apply(c.action.id, 'U0ALICE'))!.status).toBe('applied');
    const seen = new Map<string, number>();
    const points = clean.sb.calls().map((call) => {
      const key = `${call.service}:${call.command}`;
      const n = seen.get(key) ?? 0;
      seen.set(key, n + 1);
      return { service: call.service, command: call.command, after: n };
    });
    expect(points.map((p) => p.command)).toEqual(expect.arrayContaining(['CreateSecurityGroup', 'ModifyNetworkInterfaceAttribute', 'DescribeInstances', 'PutRolePolicy', 'CreateSnapshot']));
    const hard: Record<string, string> = { ec2: 'UnauthorizedOperation', iam: 'AccessDenied' };
    const outcomes: Record<string, number> = {};
    for (const kind of ['throttling', 'hard'] as const) {
      for (const p of points) {
        // Standard retries: the SDK's adaptive rate limiter would only slow the sweep down, not change what it shows.
        const h = containmentHarness({ untrackSeconds: 30, retryMode: 'standard' });
        const { inst, before, action } = await planned(h);
        const code = kind === 'throttling' ? THROTTLING_CODES[p.service] : (hard[p.service] ?? 'InternalError');
        h.sb.failCall(p.command, { code, service: p.service, after: p.after, times: 1, ...(kind === 'hard' ? { httpStatus: 403 } : {}) });
        const done = (await h.service.apply(action.id, 'U0ALICE'))!;
        const where = `${kind} on ${p.service} ${p.command} #${p.after + 1}`;
        assertRecordHolds(h, inst, done, where);
        if (kind === 'throttling') expect([where, done.status]).toEqual([where, 'applied']);
        outcomes[done.status] = (outcomes[done.status] ?? 0) + 1;
        h.sb.clearFaults();
        expect([where, (await h.service.revert(action.id, 'U0BOSS'))!.status]).toEqual([where, 'reverted']);
        expect(withoutEvidence(h.sb.snapshotState(PROD))).toEqual(withoutEvidence(before));
      }
    }
    // The sweep reached both outcomes that matter: contained despite the fault, and plainly not contained.
    expect(outcomes.not_contained).toBeGreaterThan(0);
    expect(outcomes.partially_applied).toBeGreaterThan(0);
    recordFigures('faults-ec2-sweep', { failurePoints: points.length * 2, ...outcomes, leftInUntrack: 0 });
  }, 120_000);
});
