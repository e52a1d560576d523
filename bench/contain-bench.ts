/*
 * Containment benchmark: `npm run bench:contain`. Simulated AWS with 100 ms per call, untrackSeconds 0.
 * Each target set is contained twice over the same simulated AWS: as Cordon does it (steps of a stage
 * and targets in parallel), and as a sequential script would, with Cordon's own calls forced one after
 * another by a lock every AWS call must hold. Both are timed for real, and every call's span is logged.
 */
import { performance } from 'node:perf_hooks';
import type { FinalizeHandler, FinalizeHandlerArguments, FinalizeHandlerOutput, FinalizeRequestMiddleware, MetadataBearer } from '@smithy/types';
import { countOverRuns, median, runBench, runSplit, type BenchPart, type BenchSection, type SplitBench } from './bench-kit';
import { CrossAccountClients, type ClientFactory } from '../src/aws/aws-clients';
import { loadConfig } from '../src/config/load-config';
import { buildCordon } from '../src/app/cordon';
import { ContainmentService } from '../src/containment/containment-service';
import { silentLogger } from '../src/log';
import { AwsSandbox, sandboxClientFactory, type SandboxAttachable } from '../sandbox/aws';
import { SlackSandbox } from '../sandbox/slack';
import { buttonBody, postSigned, SANDBOX_SIGNING_SECRET } from '../sandbox/slack/signed-requests';
import { startSlack } from '../src/slack/inbound/bolt-app';
import { ActionId } from '../src/slack/ids';
import { SqliteStore } from '../src/store/sqlite-store';

const SECURITY = '999999999999';
const PROD = '111111111111';
const REGION = 'us-east-1';
const LATENCY_MS = 100;
const RUNS = 5;
/** The sandbox interceptor's middleware (it answers in place of the HTTP handler). */
const SANDBOX_MIDDLEWARE = 'cordonAwsSandbox';

/** One AWS call attempt as the bench saw it: from leaving Cordon's SDK client to its answer (performance.now ms). */
interface CallSpan {
  start: number;
  end: number;
  /** The SDK command (`AssumeRoleCommand`…), for reading a critical path. */
  command?: string;
  /** Which session made it (one per action: its member-account credentials); undefined for Cordon's own STS client. */
  session?: number;
}

/** A FIFO lock: one holder at a time, in the order they asked. */
class Lock {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/**
 * Logs the span of every call attempt of the client; with a lock, the attempt first waits for
 * every other one to be answered. It sits just before the sandbox's answer, after the SDK's retry
 * and signing middleware, so each round trip to (simulated) AWS is one span.
 */
function instrument<T extends SandboxAttachable>(client: T, spans: CallSpan[], lock: Lock | undefined, session?: number): T {
  const middleware: FinalizeRequestMiddleware<object, MetadataBearer> =
    (next: FinalizeHandler<object, MetadataBearer>, context) =>
    (args: FinalizeHandlerArguments<object>): Promise<FinalizeHandlerOutput<MetadataBearer>> => {
      const call = async () => {
        const span: CallSpan = { start: performance.now(), end: Number.NaN, command: context.commandName, ...(session === undefined ? {} : { session }) };
        spans.push(span);
        try {
          return await next(args);
        } finally {
          span.end = performance.now();
        }
      };
      return lock ? lock.run(call) : call();
    };
  client.middlewareStack.addRelativeTo(middleware, { relation: 'before', toMiddleware: SANDBOX_MIDDLEWARE, name: 'cordonBenchCallLog', override: true });
  return client;
}

/** The sandbox's client factory with every client instrumented. */
function instrumentedFactory(base: ClientFactory, spans: CallSpan[], lock: Lock | undefined): ClientFactory {
  // Each member-account session (one per action) has its own credentials provider.
  const sessions = new WeakMap<object, number>();
  let next = 0;
  const session = (credentials: object): number => {
    let id = sessions.get(credentials);
    if (id === undefined) sessions.set(credentials, (id = next++));
    return id;
  };
  return {
    sts: () => instrument(base.sts(), spans, lock),
    ec2: (region, credentials) => instrument(base.ec2(region, credentials), spans, lock, session(credentials)),
    iam: (credentials) => instrument(base.iam(credentials), spans, lock, session(credentials)),
    lambda: (region, credentials) => instrument(base.lambda(region, credentials), spans, lock, session(credentials)),
    guardduty: (region, credentials) => instrument(base.guardduty(region, credentials), spans, lock, session(credentials)),
    autoScaling: (region, credentials) => instrument(base.autoScaling(region, credentials), spans, lock, session(credentials)),
  };
}

/**
 * Round trips on the path of the slowest action: the calls grouped by the session that made
 * them (one per action), the critical path of each, the longest. Across concurrent actions the
 * timing alone would chain one action's call to another's that merely started later.
 * Work actions share (one group per VPC) is made by one of them and counted on its path;
 * Cordon's own calls (AssumeRole) count on every path they precede.
 */
function slowestActionPath(spans: CallSpan[]): number {
  const own = spans.filter((s) => s.session === undefined);
  const bySession = new Map<number, CallSpan[]>();
  for (const s of spans) if (s.session !== undefined) bySession.set(s.session, [...(bySession.get(s.session) ?? []), s]);
  if (!bySession.size) return criticalPath(own);
  return Math.max(...[...bySession.values()].map((mine) => criticalPath([...own, ...mine])));
}

/**
 * Round trips on the critical path: the longest chain of calls in which each call left only after
 * the one before it in the chain had been answered. Calls in flight together are one round trip.
 */
function criticalPath(spans: CallSpan[]): number {
  const byStart = [...spans].sort((a, b) => a.start - b.start);
  const depth: number[] = [];
  let longest = 0;
  byStart.forEach((c, i) => {
    let d = 0;
    for (let j = 0; j < i; j++) {
      const p = byStart[j] as CallSpan;
      if (p.end <= c.start) d = Math.max(d, depth[j] as number);
    }
    depth[i] = d + 1;
    longest = Math.max(longest, d + 1);
  });
  return longest;
}

type Mode = 'cordon' | 'sequential';

function world(seed: number, mode: Mode = 'cordon'): { sb: AwsSandbox; service: ContainmentService; store: SqliteStore; spans: CallSpan[] } {
  const sb = new AwsSandbox({ seed });
  sb.createMemberRole(PROD, 'CordonContainment', { trustedPrincipalArn: `arn:aws:iam::${SECURITY}:role/sandbox-admin`, externalId: 'bench-external-id' });
  const spans: CallSpan[] = [];
  // One lock per world: a sequential run's calls wait for each other, not for another run's.
  const factory = instrumentedFactory(sandboxClientFactory(sb, SECURITY), spans, mode === 'sequential' ? new Lock() : undefined);
  const store = SqliteStore.open(':memory:');
  const service = new ContainmentService(
    store,
    new CrossAccountClients(factory, { roleName: 'CordonContainment', externalId: 'bench-external-id', sessionSeconds: 3600, allowedAccounts: [PROD] }),
    factory,
    silentLogger,
    { settings: { untrackSeconds: 0, snapshots: true } },
  );
  return { sb, service, store, spans };
}

interface Run {
  ms: number;
  calls: number;
  trips: number;
  ok: boolean;
}

/** Contains every target at once; wall time from the request to the last applied step, the AWS calls made and the critical path. */
async function contain(seed: number, setup: (sb: AwsSandbox) => string[], mode: Mode): Promise<Run> {
  const { sb, service, store, spans } = world(seed, mode);
  const targets = setup(sb);
  sb.setLatency(LATENCY_MS);
  sb.clearCalls();
  const t0 = performance.now();
  const results = await Promise.all(
    targets.map(async (target) => {
      const planned = await service.plan({ target, requestedBy: 'bench', dryRun: false });
      return service.apply(planned.id, 'bench');
    }),
  );
  const ms = performance.now() - t0;
  await store.close();
  const calls = sb.calls().length;
  const ok = results.every((r) => r?.status === 'applied') && spans.length === calls && spans.every((s) => s.end >= s.start);
  return { ms, calls, trips: criticalPath(spans), ok };
}

function summary(runs: Run[]): Run {
  return { ms: median(runs.map((r) => r.ms)), calls: median(runs.map((r) => r.calls)), trips: median(runs.map((r) => r.trips)), ok: runs.every((r) => r.ok) };
}

/** `n` instances in one VPC; `roles`: one instance-profile role shared by all (`app`) or one each (`app-<i>`). */
const instances = (n: number, roles: 'shared' | 'own' = 'shared') => (sb: AwsSandbox) => {
  const vpc = sb.createVpc({ accountId: PROD, region: REGION });
  return Array.from({ length: n }, (_, i) => {
    const id = sb.createInstance({ accountId: PROD, region: REGION, vpcId: vpc.vpcId, subnetId: vpc.subnetId, enis: 2, volumes: 3, instanceProfileRole: roles === 'shared' ? 'app' : `app-${i}` }).instanceId;
    return `arn:aws:ec2:${REGION}:${PROD}:instance/${id}`;
  });
};

const iamUser = (sb: AwsSandbox) => {
  sb.createUser(PROD, 'ci-deploy', { attachedPolicyArns: [] });
  sb.createAccessKey(PROD, 'ci-deploy');
  sb.createAccessKey(PROD, 'ci-deploy');
  return [`arn:aws:iam::${PROD}:user/ci-deploy`];
};

/** Issue 16 point 11: a containment costs no more Slack calls than a script posting one line per step. */
const SLACK_RATIO_AIM = 1.0;

/** What one containment cost in Slack, and its plan's length (for the step-logging script baseline). */
interface SlackRun {
  calls: number;
  /** Cordon's calls by kind: the plan message, its thread (the step log, ten steps a reply), edits of it, other posts to the case channel (timeline), anything else. */
  plan: number;
  thread: number;
  edits: number;
  timeline: number;
  other: number;
  steps: number;
  applied: boolean;
}

/** Slack calls one containment costs end to end: the plan message, its step thread, the edits, the timeline. */
async function slackCallsPerInstance(): Promise<SlackRun> {
  const slack = await SlackSandbox.start({});
  try {
    const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT', 'U0BENCH'] });
    slack.addUser({ id: 'U0BENCH', name: 'bench' });
    const { sb } = world(99);
    const target = instances(1)(sb)[0] as string;
    const config = loadConfig(
      { CORDON_CONFIG: 'bench.yaml', SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_API_URL: slack.apiUrl },
      () => `
workspace: { teamId: T0SANDBOX }
accounts: [{ id: "${PROD}", name: production, environment: production }]
regions: [${REGION}]
containmentRole: { name: CordonContainment, externalId: bench-external-id }
channels: { triage: ${triage} }
access: { users: { U0BENCH: responder } }
containment: { untrackSeconds: 0 }
`,
    );
    const cordon = buildCordon(config, silentLogger, { store: SqliteStore.open(':memory:'), clientFactory: sandboxClientFactory(sb, SECURITY), sleep: () => Promise.resolve() });
    // Open the case first: its channel is not the containment's cost.
    const first = await cordon.services().actions.requestContain({ userId: 'U0BENCH', teamId: 'T0SANDBOX', channelId: triage }, { target, dryRun: true });
    await cordon.worker().inProcess?.idle();
    const c = await cordon.store.getCase(first.caseId);
    const before = slack.calls().length;
    await cordon.services().actions.requestContain({ userId: 'U0BENCH', teamId: 'T0SANDBOX', channelId: c?.channelId ?? triage }, { target, dryRun: false });
    await cordon.worker().inProcess?.idle();
    await cordon.slack?.publisher.flush();
    const made = slack.calls().slice(before);
    const posts = made.filter((m) => m.method === 'chat.postMessage');
    const top = posts.filter((m) => m.args.thread_ts === undefined);
    const plan = top.filter((m) => typeof m.args.text === 'string' && m.args.text.startsWith('Contain ')).length;
    const thread = posts.length - top.length;
    const edits = made.filter((m) => m.method === 'chat.update').length;
    const action = (await cordon.store.listActions({ caseId: first.caseId })).find((a) => !a.dryRun);
    return { calls: made.length, plan, thread, edits, timeline: top.length - plan, other: made.length - posts.length - edits, steps: action?.plan.length ?? 0, applied: action?.status === 'applied' };
  } finally {
    await slack.close();
  }
}

/** Issue 19 point 4: round trips on the critical path from the click to applied, beside the untrack wait. */
const AIM_TRIPS = 6;
/** Issue 19 point 4: 20 instances approved together take at most this many times one. */
const AIM_20_VS_1 = 1.2;
/**
 * The click runs start this far apart, all in one process: each one's work (setup, the
 * calls before the untrack wait, and those after it) fits between two starts, so no two
 * runs' work overlaps, while their waits do (the wait is real: untrackSeconds is 60).
 */
const STAGGER_MS = 5000;

/** The click rows, and the untrack wait they ran with (read from the config, for the title). */
interface ClickPart extends BenchPart {
  untrackSeconds: number;
}

/** One Approve click run: from the click to the store recording every action applied. */
interface ClickRun {
  ms: number;
  trips: number;
  calls: number;
  /** The longest gap between two consecutive calls on the path: the untrack wait. */
  waitMs: number;
  /** When the run's work happened (performance.now ms): from its setup to the wait, and from the wait to its teardown's end. */
  work: [number, number][];
  ok: boolean;
}

/**
 * Plans `n` instances under an approval rule (production needs two people), then a second
 * commander clicks Approve on each plan message at once: signed POSTs as Slack sends them,
 * through Bolt's HTTP receiver of `cordon serve`. Time runs from the clicks until the store
 * records every action applied; the round trips are counted at the transport (every call
 * attempt the simulated AWS answers, 100 ms each), from the click on.
 */
export async function clickToContained(n: number, seed: number, roles: 'shared' | 'own' = 'own'): Promise<ClickRun & { untrackSeconds: number }> {
  const setupStart = performance.now();
  const run = await clickRun(n, seed, roles);
  // The teardown (servers stopped, stores closed) is work too.
  return { ...run, work: [[setupStart, run.waitFrom], [run.waitTo, performance.now()]] };
}

async function clickRun(n: number, seed: number, roles: 'shared' | 'own'): Promise<Omit<ClickRun, 'work'> & { untrackSeconds: number; waitFrom: number; waitTo: number }> {
  const slack = await SlackSandbox.start({});
  const sb = new AwsSandbox({ seed });
  sb.createMemberRole(PROD, 'CordonContainment', { trustedPrincipalArn: `arn:aws:iam::${SECURITY}:role/sandbox-admin`, externalId: 'bench-external-id' });
  const spans: CallSpan[] = [];
  const store = SqliteStore.open(':memory:');
  try {
    for (const id of ['U0CMDA', 'U0CMDB']) slack.addUser({ id, name: id.toLowerCase() });
    const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT', 'U0CMDA', 'U0CMDB'] });
    // No `containment:` section: untrackSeconds is its production default.
    const config = loadConfig(
      { CORDON_CONFIG: 'bench.yaml', SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SANDBOX_SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1' },
      () => `
workspace: { teamId: T0SANDBOX }
accounts: [{ id: "${PROD}", name: production, environment: production }]
regions: [${REGION}]
containmentRole: { name: CordonContainment, externalId: bench-external-id }
channels: { triage: ${triage} }
access:
  users: { U0CMDA: commander, U0CMDB: commander }
  approvals:
    - { name: production needs two people, environments: [production] }
`,
    );
    const cordon = buildCordon(config, silentLogger, { store, clientFactory: instrumentedFactory(sandboxClientFactory(sb, SECURITY), spans, undefined) });
    const front = await startSlack(config, cordon.services(), silentLogger);
    try {
      const targets = instances(n, roles)(sb);
      const who = (channelId: string) => ({ userId: 'U0CMDA', teamId: 'T0SANDBOX', channelId });
      // The first request opens the case; the others are made in its channel.
      const first = await cordon.services().actions.requestContain(who(triage), { target: targets[0] as string, dryRun: false });
      await cordon.worker().inProcess?.idle();
      const channel = (await cordon.store.getCase(first.caseId))?.channelId ?? triage;
      await Promise.all(targets.slice(1).map((t) => cordon.services().actions.requestContain(who(channel), { target: t, dryRun: false })));
      await cordon.worker().inProcess?.idle();
      await cordon.slack?.publisher.flush();
      // The Approve buttons as Slack shows them, on the plan messages in the case channel.
      const ids = [
        ...new Set(
          slack
            .messages(channel)
            .flatMap((m) => (m.blocks ?? []).flatMap((b) => ((b as { elements?: { action_id?: string; value?: string }[] }).elements ?? []).filter((e) => e.action_id === ActionId.APPROVE)))
            .map((e) => e.value as string),
        ),
      ];
      sb.setLatency(LATENCY_MS);
      spans.length = 0;
      const events = `${front.address as string}/slack/events`;
      const t0 = performance.now();
      const acks = await Promise.all(ids.map((value) => postSigned(events, buttonBody({ actionId: ActionId.APPROVE, value, user: 'U0CMDB', channel, responseUrl: slack.responseUrl() }))));
      // Until the store records each action applied (or it stopped elsewhere), read every 5 ms.
      const open = new Set(ids);
      let ok = ids.length === n && acks.every((a) => a.status === 200);
      const deadline = t0 + 5 * 60_000;
      while (open.size && performance.now() < deadline) {
        for (const id of [...open]) {
          const status = (await cordon.store.getAction(id))?.status;
          if (status === 'applied') open.delete(id);
          else if (status !== 'approved' && status !== 'running' && status !== 'pending_approval') {
            ok = false;
            open.delete(id);
          }
        }
        if (open.size) await new Promise((r) => setTimeout(r, 5));
      }
      const ms = performance.now() - t0;
      await cordon.worker().inProcess?.idle();
      const done = spans.filter((c) => c.start >= t0);
      const sorted = [...done].sort((a, b) => a.start - b.start);
      // The untrack wait: the longest pause between a call's start and every earlier call's answer.
      let waitMs = 0;
      let waitFrom = t0;
      let waitTo = t0;
      sorted.forEach((c, i) => {
        const before = i === 0 ? t0 : Math.max(...sorted.slice(0, i).map((p) => p.end));
        if (i > 0 && c.start - before > waitMs) [waitMs, waitFrom, waitTo] = [c.start - before, before, c.start];
      });
      if (process.env.CORDON_BENCH_TRACE) {
        for (const c of sorted) process.stderr.write(`${(c.start - t0).toFixed(0).padStart(6)} ${(c.end - t0).toFixed(0).padStart(6)} ${c.command ?? '?'}\n`);
        for (const id of ids) {
          const a = await cordon.store.getAction(id);
          process.stderr.write(`action ${id} ${a?.status ?? 'gone'} ${JSON.stringify(a?.steps.filter((x) => x.status !== 'applied').map((x) => [x.stepId, x.status, x.error]))}\n`);
        }
      }
      return { ms, trips: slowestActionPath(done), calls: done.length, waitMs, waitFrom, waitTo, ok: ok && open.size === 0, untrackSeconds: config.containment.untrackSeconds };
    } finally {
      await front.stop();
      await cordon.close();
    }
  } finally {
    await slack.close();
  }
}

/** Click to contained for 1 and 20 instances, RUNS of each, started STAGGER_MS apart in one process: the part of the section that mostly waits (the untrack wait). */
async function clickBench(): Promise<ClickPart> {
  const plan = Array.from({ length: RUNS }, (_, i) => [1, 20].map((n) => ({ n, seed: 100 + i }))).flat();
  const runs = await Promise.all(plan.map(async ({ n, seed }, k) => {
    await new Promise((r) => setTimeout(r, k * STAGGER_MS));
    return { n, run: await clickToContained(n, seed) };
  }));
  const of = (n: number) => {
    const rs = runs.filter((r) => r.n === n).map((r) => r.run);
    return { ms: median(rs.map((r) => r.ms)), trips: countOverRuns(rs.map((r) => r.trips)), calls: median(rs.map((r) => r.calls)), waitMs: median(rs.map((r) => r.waitMs)), ok: rs.every((r) => r.ok) };
  };
  const one = of(1);
  const twenty = of(20);
  const untrackSeconds = runs[0]?.run.untrackSeconds ?? Number.NaN;
  const tripsOk = (t: number) => t <= AIM_TRIPS;
  const row = (name: string, r: ReturnType<typeof of>) => [
    name,
    `${(r.ms / 1000).toFixed(2)} s: ${(r.ms - untrackSeconds * 1000).toFixed(0)} ms beyond the ${untrackSeconds} s untrack wait (longest pause between calls ${(r.waitMs / 1000).toFixed(2)} s)`,
    `${r.trips.value} round trips on the critical path (${r.trips.note}), ${r.calls} calls`,
    `≤ ${AIM_TRIPS} round trips plus the untrack wait: ${tripsOk(r.trips.value) ? 'met' : 'MISSED'}`,
  ];
  // The stagger's claim, checked: no run's work (setup to the wait, the wait to its teardown's end) overlapped another's.
  const windows = runs.flatMap((r, k) => r.run.work.map(([from, to]) => ({ k, from, to })));
  const overlaps = windows.filter((a, i) => windows.some((b, j) => j > i && a.k !== b.k && a.from < b.to && b.from < a.to)).length;
  const longestWork = Math.max(...windows.map((w) => w.to - w.from));
  if (overlaps) process.stderr.write(`bench: contain: ${overlaps} click runs' work overlapped another's (flagged in the table)\n`);
  const ratio = twenty.ms / one.ms;
  const rows = [
    row('Approve click → applied, 1 EC2 instance', one),
    row('Approve click → applied, 20 EC2 instances (20 actions, approved by 20 clicks at once)', twenty),
    [
      '20 instances vs 1, click to applied',
      `${ratio.toFixed(3)}× (beyond the wait: ${((twenty.ms - untrackSeconds * 1000) / (one.ms - untrackSeconds * 1000)).toFixed(2)}×)`,
      overlaps
        ? `FLAGGED: the work of ${overlaps} click runs overlapped another run's (the stagger, ${STAGGER_MS / 1000} s, is too short here)`
        : `no click run's work overlapped another's (checked: the longest stretch of work, setup to the wait or the wait to teardown, took ${(longestWork / 1000).toFixed(2)} s; runs start ${STAGGER_MS / 1000} s apart)`,
      `≤ ${AIM_20_VS_1}×: ${ratio <= AIM_20_VS_1 ? 'met' : 'MISSED'}`,
    ],
  ];
  const ok = one.ok && twenty.ok && tripsOk(one.trips.value) && tripsOk(twenty.trips.value) && one.trips.same && twenty.trips.same && ratio <= AIM_20_VS_1;
  return { rows, ok, untrackSeconds };
}

const CASES: [string, (sb: AwsSandbox) => string[]][] = [
  ['1 EC2 instance (3 volumes, 2 ENIs)', instances(1)],
  ['5 EC2 instances at once', instances(5)],
  ['20 EC2 instances at once', instances(20)],
  ['1 IAM user (2 access keys)', iamUser],
];

/** Cordon's runs for each case, one after another so each has the machine to itself, and the Slack calls per contained instance. */
async function containDirect(): Promise<{ cordon: Run[]; slackRuns: SlackRun[] }> {
  const cordon: Run[] = [];
  for (const [, setup] of CASES) {
    const runs: Run[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await contain(i + 1, setup, 'cordon'));
    cordon.push(summary(runs));
  }
  const slackRuns: SlackRun[] = [];
  for (let i = 0; i < RUNS; i++) slackRuns.push(await slackCallsPerInstance());
  return { cordon, slackRuns };
}

/** The sequential script for each case: its time is simulated latency, one call at a time, not CPU, so the five runs go side by side, each in its own world. */
async function containSequential(): Promise<Run[]> {
  const sequential: Run[] = [];
  for (const [, setup] of CASES) sequential.push(summary(await Promise.all(Array.from({ length: RUNS }, (_, i) => contain(i + 1, setup, 'sequential')))));
  return sequential;
}

/** The rows of the containment service called directly, Cordon against the sequential script, and Slack calls per contained instance. */
function directRows({ cordon, slackRuns }: { cordon: Run[]; slackRuns: SlackRun[] }, sequential: Run[]): BenchPart {
  const rows = CASES.map(([name], i) => {
    const c = cordon[i] as Run;
    const s = sequential[i] as Run;
    const same = c.calls === s.calls ? '' : ` (Cordon made ${c.calls})`;
    return [
      name,
      `${Math.round(c.ms)} ms (${c.trips} round trips on the critical path, ${c.calls} calls)`,
      `${Math.round(s.ms)} ms (${s.trips} round trips, ${s.calls} calls${same})`,
      `${(s.ms / c.ms).toFixed(1)}× faster`,
    ];
  });
  const one = cordon[0] as Run;
  const twenty = cordon[2] as Run;
  const twentySeq = sequential[2] as Run;
  const within2x = twenty.ms < 2 * one.ms;
  const tenX = twentySeq.ms >= 10 * twenty.ms;
  rows.push(['20 instances vs 1', `${(twenty.ms / one.ms).toFixed(2)}×`, `${(twentySeq.ms / (sequential[0] as Run).ms).toFixed(2)}×`, `aim < 2×: ${within2x ? 'met' : 'MISSED'}; ≥ 10× faster than sequential: ${tenX ? 'met' : 'MISSED'}`]);
  // Slack economy per instance, against a step-logging script that posts one message per step
  // plus one, and nothing else (it never edits). Counts are deterministic: the same in every run, or flagged.
  const slackCalls = countOverRuns(slackRuns.map((r) => r.calls));
  const scriptPosts = countOverRuns(slackRuns.map((r) => r.steps + 1));
  const steps = median(slackRuns.map((r) => r.steps));
  const kinds = slackRuns[0];
  const breakdown = kinds
    ? `${kinds.plan} plan message, ${kinds.thread} step-log replies in its thread, ${kinds.edits} edits of the plan message as its status changes, ${kinds.timeline} timeline posts${kinds.other ? `, ${kinds.other} other calls` : ''}`
    : '';
  const slackWithin = slackCalls.value <= SLACK_RATIO_AIM * scriptPosts.value;
  const slackOk = slackRuns.every((r) => r.applied && r.steps > 0) && slackWithin;
  rows.push([
    'Slack calls per contained instance',
    `${slackCalls.value} (${breakdown}; ${slackCalls.note})`,
    `${scriptPosts.value} (a step-logging script: one post per step of the ${steps}-step plan plus one, no edits, no timeline${scriptPosts.same ? '' : `; ${scriptPosts.note}`})`,
    `${(slackCalls.value / scriptPosts.value).toFixed(2)}× the script's calls (aim ≤ ${SLACK_RATIO_AIM.toFixed(1)}×: ${slackWithin ? 'met' : 'MISSED'})`,
  ]);
  if (!slackCalls.same || !scriptPosts.same) process.stderr.write('bench: contain: the Slack call count differed between runs (flagged in the table)\n');
  return { rows, ok: [...cordon, ...sequential].every((m) => m.ok) && within2x && tenX && slackOk };
}

/**
 * Containment in parts, for `npm run bench` to schedule apart: Cordon's runs and the Slack
 * calls alone; beside other waiting parts, the sequential script (simulated latency, one call
 * at a time) and the click rows (the untrack wait).
 */
export const containSplit: SplitBench<{ cordon: Run[]; slackRuns: SlackRun[] }, { sequential: Run[]; clicks: ClickPart }> = {
  alone: containDirect,
  waiting: { sequential: containSequential, clicks: clickBench },
  section: (direct, { sequential, clicks }) => {
    const rows = directRows(direct, sequential);
    return {
      title: `Containment (simulated AWS, ${LATENCY_MS} ms per call; median of ${RUNS} runs each. Rows above the click rows: the containment service called directly, untrackSeconds 0. Click rows: untrackSeconds ${clicks.untrackSeconds} (its production default), from signed Approve clicks through Bolt's HTTP receiver to the store recording each action applied; the ${RUNS * 2} click runs start ${STAGGER_MS / 1000} s apart so their work never overlaps while their untrack waits do)`,
      header: ['target', 'Cordon', 'sequential script (the same calls, one at a time)', 'ratio'],
      rows: [...rows.rows, ...clicks.rows],
      ok: rows.ok && clicks.ok,
    };
  },
};

/** Wall time and round trips for 1, 5 and 20 instances and an IAM user, next to the same calls made one after another; Slack calls per contained instance; click to contained. */
export function containBench(): Promise<BenchSection> {
  return runSplit(containSplit);
}

if (require.main === module) runBench(containBench);
