/* Containment benchmark: `npm run bench:contain`. Simulated AWS with 100 ms per call, untrackSeconds 0. */
import { performance } from 'node:perf_hooks';
import { median, runBench, type BenchSection } from './bench-kit';
import { CrossAccountClients } from '../aws/aws-clients';
import { loadConfig } from '../config/load-config';
import { wire } from '../container';
import { ContainmentService } from '../containment/containment-service';
import { silentLogger } from '../log';
import { AwsSandbox, sandboxClientFactory } from '../sandbox/aws';
import { SlackSandbox } from '../sandbox/slack';
import { SqliteStore } from '../store/sqlite-store';

const SECURITY = '999999999999';
const PROD = '111111111111';
const REGION = 'us-east-1';
const LATENCY_MS = 100;
const RUNS = 5;

function world(seed: number): { sb: AwsSandbox; service: ContainmentService; store: SqliteStore } {
  const sb = new AwsSandbox({ seed });
  sb.createMemberRole(PROD, 'CordonContainment', { trustedPrincipalArn: `arn:aws:iam::${SECURITY}:role/sandbox-admin`, externalId: 'bench' });
  const factory = sandboxClientFactory(sb, SECURITY);
  const store = SqliteStore.open(':memory:');
  const service = new ContainmentService(
    store,
    new CrossAccountClients(factory, { roleName: 'CordonContainment', externalId: 'bench', sessionSeconds: 3600, allowedAccounts: [PROD] }),
    factory,
    silentLogger,
    { settings: { untrackSeconds: 0, snapshots: true }, environments: { [PROD]: 'production' } },
  );
  return { sb, service, store };
}

/** Contains every target at once; wall time from the request to the last applied step, and the AWS calls made. */
async function contain(seed: number, setup: (sb: AwsSandbox) => string[]): Promise<{ ms: number; calls: number; ok: boolean }> {
  const { sb, service, store } = world(seed);
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
  return { ms, calls: sb.calls().length, ok: results.every((r) => r?.status === 'applied') };
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

/** Slack calls one containment costs end to end: the plan message, its step thread, the edits, the timeline. */
async function slackCallsPerInstance(): Promise<number> {
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
containmentRole: { name: CordonContainment, externalId: bench }
channels: { triage: ${triage} }
access: { users: { U0BENCH: responder } }
containment: { untrackSeconds: 0 }
`,
    );
    const cordon = wire(config, silentLogger, { store: SqliteStore.open(':memory:'), clientFactory: sandboxClientFactory(sb, SECURITY), sleep: () => Promise.resolve() });
    // Open the case first: its channel is not the containment's cost.
    const first = await cordon.control().actions.requestContain({ userId: 'U0BENCH', teamId: 'T0SANDBOX', channelId: triage }, { target, dryRun: true });
    await cordon.control().inProcess?.idle();
    const c = await cordon.store.getCase(first.caseId);
    const before = slack.calls().length;
    await cordon.control().actions.requestContain({ userId: 'U0BENCH', teamId: 'T0SANDBOX', channelId: c?.channelId ?? triage }, { target, dryRun: false });
    await cordon.control().inProcess?.idle();
    await cordon.slack?.publisher.flush();
    return slack.calls().length - before;
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
  const med: Record<string, { ms: number; calls: number; ok: boolean }> = {};
  for (const [name, setup] of cases) {
    const runs: { ms: number; calls: number; ok: boolean }[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await contain(i + 1, setup));
    med[name] = { ms: median(runs.map((r) => r.ms)), calls: runs[0]?.calls ?? 0, ok: runs.every((r) => r.ok) };
  }
  const one = med[cases[0]![0]]!;
  const twenty = med[cases[2]![0]]!;
  const rows = cases.map(([name]) => {
    const m = med[name]!;
    // A script that waits for each call pays the latency once per call.
    const sequential = m.calls * LATENCY_MS;
    const trips = Math.round(m.ms / LATENCY_MS);
    return [name, `${Math.round(m.ms)} ms (${trips} round trips on the critical path, ${m.calls} calls)`, `${sequential} ms`, `${(sequential / m.ms).toFixed(1)}× faster`];
  });
  const within2x = twenty.ms < 2 * one.ms;
  const tenX = twenty.calls * LATENCY_MS >= 10 * twenty.ms;
  rows.push(['20 instances vs 1', `${(twenty.ms / one.ms).toFixed(2)}×`, '', `aim < 2×: ${within2x ? 'met' : 'MISSED'}; ≥ 10× faster than sequential: ${tenX ? 'met' : 'MISSED'}`]);
  rows.push(['Slack calls per contained instance', String(await slackCallsPerInstance()), '', 'plan message, one thread line per step, status edits, timeline']);
  return {
    title: `Containment (simulated AWS, ${LATENCY_MS} ms per call, untrackSeconds 0, median of ${RUNS} runs)`,
    header: ['target', 'Cordon', 'sequential script (calls × 100 ms)', 'ratio'],
    rows,
    ok: Object.values(med).every((m) => m.ok) && within2x && tenX,
  };
}

if (require.main === module) runBench(containBench);
