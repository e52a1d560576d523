/*
 * Containment benchmark: `npm run bench:contain`. Simulated AWS with 100 ms per call, untrackSeconds 0.
 * Each target set is contained twice over the same simulated AWS: as Cordon does it (steps of a stage
 * and targets in parallel), and as a sequential script would, with Cordon's own calls forced one after
 * another by a lock every AWS call must hold. Both are timed for real, and every call's span is logged.
 */
import { performance } from 'node:perf_hooks';
import type { FinalizeHandler, FinalizeHandlerArguments, FinalizeHandlerOutput, FinalizeRequestMiddleware, MetadataBearer } from '@smithy/types';
import { countOverRuns, median, runBench, type BenchSection } from './bench-kit';
import { CrossAccountClients, type ClientFactory } from '../src/aws/aws-clients';
import { loadConfig } from '../src/config/load-config';
import { buildCordon } from '../src/app/cordon';
import { ContainmentService } from '../src/containment/containment-service';
import { silentLogger } from '../src/log';
import { AwsSandbox, sandboxClientFactory, type SandboxAttachable } from '../sandbox/aws';
import { SlackSandbox } from '../sandbox/slack';
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
function instrument<T extends SandboxAttachable>(client: T, spans: CallSpan[], lock: Lock | undefined): T {
  const middleware: FinalizeRequestMiddleware<object, MetadataBearer> =
    (next: FinalizeHandler<object, MetadataBearer>) =>
    (args: FinalizeHandlerArguments<object>): Promise<FinalizeHandlerOutput<MetadataBearer>> => {
      const call = async () => {
        const span = { start: performance.now(), end: Number.NaN };
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
  return {
    sts: () => instrument(base.sts(), spans, lock),
    ec2: (region, credentials) => instrument(base.ec2(region, credentials), spans, lock),
    iam: (credentials) => instrument(base.iam(credentials), spans, lock),
    lambda: (region, credentials) => instrument(base.lambda(region, credentials), spans, lock),
    guardduty: (region, credentials) => instrument(base.guardduty(region, credentials), spans, lock),
    autoScaling: (region, credentials) => instrument(base.autoScaling(region, credentials), spans, lock),
  };
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

const instances = (n: number) => (sb: AwsSandbox) => {
  const vpc = sb.createVpc({ accountId: PROD, region: REGION });
  return Array.from({ length: n }, () => {
    const id = sb.createInstance({ accountId: PROD, region: REGION, vpcId: vpc.vpcId, subnetId: vpc.subnetId, enis: 2, volumes: 3, instanceProfileRole: 'app' }).instanceId;
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

/** Wall time and round trips for 1, 5 and 20 instances and an IAM user, next to the same calls made one after another. */
export async function containBench(): Promise<BenchSection> {
  const cases: [string, (sb: AwsSandbox) => string[]][] = [
    ['1 EC2 instance (3 volumes, 2 ENIs)', instances(1)],
    ['5 EC2 instances at once', instances(5)],
    ['20 EC2 instances at once', instances(20)],
    ['1 IAM user (2 access keys)', iamUser],
  ];
  const cordon: Run[] = [];
  const sequential: Run[] = [];
  for (const [, setup] of cases) {
    // Cordon's runs one after another, so each has the machine to itself.
    const runs: Run[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await contain(i + 1, setup, 'cordon'));
    cordon.push(summary(runs));
    // The sequential runs wait on simulated latency, not the CPU: run the five side by side, each in its own world.
    sequential.push(summary(await Promise.all(Array.from({ length: RUNS }, (_, i) => contain(i + 1, setup, 'sequential')))));
  }
  const rows = cases.map(([name], i) => {
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
  const slackRuns: SlackRun[] = [];
  for (let i = 0; i < RUNS; i++) slackRuns.push(await slackCallsPerInstance());
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
  return {
    title: `Containment (simulated AWS, ${LATENCY_MS} ms per call, untrackSeconds 0, median of ${RUNS} runs each)`,
    header: ['target', 'Cordon', 'sequential script (the same calls, one at a time)', 'ratio'],
    rows,
    ok: [...cordon, ...sequential].every((m) => m.ok) && within2x && tenX && slackOk,
  };
}

if (require.main === module) runBench(containBench);
