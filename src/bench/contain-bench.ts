/* Containment benchmark: `npm run bench:contain`. Simulated AWS with 100 ms per call, untrackSeconds 0. */
import { performance } from 'node:perf_hooks';
import { median, printTable, runBench } from './bench-kit';
import { CrossAccountClients } from '../aws/aws-clients';
import { ContainmentService } from '../containment/containment-service';
import { silentLogger } from '../log';
import { AwsSandbox, sandboxClientFactory } from '../sandbox/aws';
import { SqliteStore } from '../store/sqlite-store';

const SECURITY = '999999999999';
const PROD = '111111111111';
const REGION = 'us-east-1';
const LATENCY_MS = 100;
const RUNS = 5;


/** Contains `n` instances (3 volumes, 2 ENIs each) at once; wall time and the calls made. */
async function run(n: number): Promise<{ ms: number; calls: number; ok: boolean }> {
  const sb = new AwsSandbox({ seed: n });
  sb.createMemberRole(PROD, 'CordonContainment', { trustedPrincipalArn: `arn:aws:iam::${SECURITY}:role/sandbox-admin`, externalId: 'bench' });
  const vpc = sb.createVpc({ accountId: PROD, region: REGION });
  const ids = Array.from({ length: n }, () => sb.createInstance({ accountId: PROD, region: REGION, vpcId: vpc.vpcId, subnetId: vpc.subnetId, enis: 2, volumes: 3, instanceProfileRole: 'app' }).instanceId);
  const factory = sandboxClientFactory(sb, SECURITY);
  const store = SqliteStore.open(':memory:');
  const service = new ContainmentService(
    store,
    new CrossAccountClients(factory, { roleName: 'CordonContainment', externalId: 'bench', sessionSeconds: 3600, allowedAccounts: [PROD] }),
    factory,
    silentLogger,
    { settings: { untrackSeconds: 0, snapshots: true }, environments: { [PROD]: 'production' } },
  );
  sb.setLatency(LATENCY_MS);
  sb.clearCalls();
  const t0 = performance.now();
  const results = await Promise.all(
    ids.map(async (id) => {
      const planned = await service.plan({ target: `arn:aws:ec2:${REGION}:${PROD}:instance/${id}`, requestedBy: 'bench', dryRun: false });
      return service.apply(planned.id, 'bench');
    }),
  );
  const ms = performance.now() - t0;
  await store.close();
  return { ms, calls: sb.calls().length, ok: results.every((r) => r?.status === 'applied') };
}

/** What a one-call-after-another script does: the same calls, each waiting for the last. */
function sequentialMs(calls: number): number {
  return calls * LATENCY_MS;
}

async function main(): Promise<number> {
  const one: number[] = [];
  const twenty: number[] = [];
  let calls1 = 0;
  let calls20 = 0;
  let ok = true;
  for (let i = 0; i < RUNS; i++) {
    const a = await run(1);
    const b = await run(20);
    one.push(a.ms);
    twenty.push(b.ms);
    calls1 = a.calls;
    calls20 = b.calls;
    ok &&= a.ok && b.ok;
  }
  const m1 = median(one);
  const m20 = median(twenty);
  const roundTrips = Math.round(m1 / LATENCY_MS);
  const rows: [string, string, string][] = [
    ['1 instance (3 volumes, 2 ENIs)', `${Math.round(m1)} ms, ${roundTrips} round trips on the critical path, ${calls1} calls`, `sequential script: ${sequentialMs(calls1)} ms (${(sequentialMs(calls1) / m1).toFixed(1)}× slower); aim ≤ 8 round trips: ${roundTrips <= 8 ? 'met' : 'MISSED'}`],
    ['20 instances at once', `${Math.round(m20)} ms, ${calls20} calls`, `${(m20 / m1).toFixed(2)}× one instance (aim < 2×: ${m20 < 2 * m1 ? 'met' : 'MISSED'}); sequential script: ${sequentialMs(calls20)} ms (${(sequentialMs(calls20) / m20).toFixed(1)}× slower)`],
  ];
  printTable(`Containment benchmark (simulated AWS, ${LATENCY_MS} ms per call, untrackSeconds 0, median of ${RUNS} runs)`, ['measure', 'value', 'vs baseline'], rows);
  return ok && roundTrips <= 8 && m20 < 2 * m1 ? 0 : 1;
}

runBench(main);
