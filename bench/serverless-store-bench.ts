/*
 * The serverless store path (issue 19 point 2), for triage-bench.ts: DynamoDB round trips per
 * finding and throughput with 10 ms per request, Cordon's store against the store as it was
 * (bench/legacy-dynamodb-store.ts), both on dynalite through the same slowed transport
 * (sandbox/dynamodb/latency-transport.ts), each run on fresh tables.
 */
import { performance } from 'node:perf_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { silentLogger } from '../src/log';
import type { Triage } from '../src/domain/triage/triage';
import { FindingPipeline } from '../src/services/finding-pipeline';
import { DynamoDbStore } from '../src/store/dynamodb-store';
import type { Store } from '../src/store/store';
import { makeFindingDetail, toEventBridgeEvent } from '../sandbox/findings/finding-factory';
import { countOverRuns, median } from './bench-kit';
import { LegacyDynamoDbStore } from './legacy-dynamodb-store';
import { startLocalDynamoDb, type LocalDynamoDb } from '../sandbox/dynamodb/local-dynamodb';
import type { LatencyTransport } from '../sandbox/dynamodb/latency-transport';

/** Latency added to every DynamoDB request. */
export const DYNAMO_LATENCY_MS = 10;
/** The throughput batch: findings over resources (the triage rows' mix of bands, 5 findings a resource). */
const BATCH_FINDINGS = 100;
const BATCH_RESOURCES = 20;

type Variant = 'cordon' | 'baseline';

function openStore(variant: Variant, client: DynamoDBClient, tableName: string): Store {
  return variant === 'cordon' ? new DynamoDbStore({ client, tableName, ownsClient: true }) : new LegacyDynamoDbStore({ client, tableName, ownsClient: true });
}

async function withStore<T>(local: LocalDynamoDb, variant: Variant, table: string, body: (store: Store, transport: LatencyTransport) => Promise<T>): Promise<T> {
  const { client, transport } = local.latencyClient(DYNAMO_LATENCY_MS);
  await DynamoDbStore.createTable(client, table);
  const store = openStore(variant, client, table);
  try {
    return await body(store, transport);
  } finally {
    await store.close();
  }
}

/** Round trips, counted at the transport, for each step of one finding's life, as the findings Lambda ingests it (one event per invocation). */
export interface RoundTrips {
  /** The first event a fresh container sees (it also reads the suppression rules). */
  firstOfContainer: number;
  opening: number;
  joining: number;
  resend: number;
  /** The operations of each step, for the table. */
  ops: { opening: string[]; joining: string[]; resend: string[] };
}

async function roundTrips(local: LocalDynamoDb, variant: Variant, table: string, triage: () => Triage): Promise<RoundTrips> {
  return withStore(local, variant, table, async (store, transport) => {
    const pipeline = new FindingPipeline(store, triage(), silentLogger, { correlationWindowMs: 86_400_000 });
    const step = async (detail: Record<string, unknown>): Promise<string[]> => {
      const mark = transport.log.length;
      await pipeline.ingestDocument(toEventBridgeEvent(detail), 'eventbridge');
      return transport.operationsSince(mark);
    };
    const first = await step(makeFindingDetail({ id: 'f'.padEnd(32, '0'), severity: 5, instanceId: 'i-0000000000000000f' }));
    const opening = makeFindingDetail({ id: 'a'.padEnd(32, '0'), severity: 5, instanceId: 'i-0000000000000000a' });
    const ops = {
      opening: await step(opening),
      joining: await step(makeFindingDetail({ id: 'b'.padEnd(32, '0'), severity: 5, instanceId: 'i-0000000000000000a' })),
      resend: await step(opening),
    };
    return { firstOfContainer: first.length, opening: ops.opening.length, joining: ops.joining.length, resend: ops.resend.length, ops };
  });
}

/** Findings/s with one ingest of a whole batch, and with one event per ingest (the findings Lambda, one container). */
async function throughput(local: LocalDynamoDb, variant: Variant, table: string, triage: () => Triage, generate: (n: number, resources: number, prefix: string) => Record<string, unknown>[]): Promise<{ batch: number; perEvent: number }> {
  const batch = await withStore(local, variant, `${table}-batch`, async (store) => {
    const pipeline = new FindingPipeline(store, triage(), silentLogger, { correlationWindowMs: 86_400_000 });
    const events = generate(BATCH_FINDINGS, BATCH_RESOURCES, `${variant.slice(0, 1)}b`);
    const t = performance.now();
    await pipeline.ingestDocument(events, 'bench');
    return BATCH_FINDINGS / ((performance.now() - t) / 1000);
  });
  // One event per invocation: a fifth of the batch is enough for a rate at 10 ms a request.
  const perEvent = await withStore(local, variant, `${table}-event`, async (store) => {
    const pipeline = new FindingPipeline(store, triage(), silentLogger, { correlationWindowMs: 86_400_000 });
    const events = generate(BATCH_FINDINGS / 5, BATCH_RESOURCES / 5, `${variant.slice(0, 1)}e`);
    const t = performance.now();
    for (const e of events) await pipeline.ingestDocument(e, 'eventbridge');
    return events.length / ((performance.now() - t) / 1000);
  });
  return { batch, perEvent };
}

/** The rows of the serverless store path; `ok` false when an aim is missed. */
export async function serverlessStoreRows(runs: number, triage: () => Triage, generate: (n: number, resources: number, prefix: string) => Record<string, unknown>[]): Promise<{ rows: [string, string, string][]; ok: boolean }> {
  // dynalite in a child process: its CPU stands in for DynamoDB's servers, not the client's.
  const local = await startLocalDynamoDb({ childProcess: true });
  try {
    const trips: Record<Variant, RoundTrips[]> = { cordon: [], baseline: [] };
    const rates: Record<Variant, { batch: number; perEvent: number }[]> = { cordon: [], baseline: [] };
    for (let run = 0; run < runs; run++) {
      for (const variant of ['baseline', 'cordon'] as const) {
        trips[variant].push(await roundTrips(local, variant, `trips-${variant}-${run}`, triage));
        rates[variant].push(await throughput(local, variant, `rate-${variant}-${run}`, triage, generate));
      }
    }
    const count = (v: Variant, k: 'firstOfContainer' | 'opening' | 'joining' | 'resend') => countOverRuns(trips[v].map((t) => t[k]));
    const c = { opening: count('cordon', 'opening'), joining: count('cordon', 'joining'), resend: count('cordon', 'resend'), first: count('cordon', 'firstOfContainer') };
    const b = { opening: count('baseline', 'opening'), joining: count('baseline', 'joining'), resend: count('baseline', 'resend'), first: count('baseline', 'firstOfContainer') };
    const perNew = Math.max(c.opening.value, c.joining.value);
    const baseNew = Math.max(b.opening.value, b.joining.value);
    const same = [...Object.values(c), ...Object.values(b)].every((x) => x.same);
    const ops = (xs: string[]) => xs.join(', ');
    const sample = trips.cordon[0] as RoundTrips;
    const baseSample = trips.baseline[0] as RoundTrips;
    const batch = median(rates.cordon.map((r) => r.batch));
    const baseBatch = median(rates.baseline.map((r) => r.batch));
    const perEvent = median(rates.cordon.map((r) => r.perEvent));
    const basePerEvent = median(rates.baseline.map((r) => r.perEvent));
    const gain = batch / baseBatch;
    const rows: [string, string, string][] = [
      [
        'DynamoDB round trips per new finding (findings Lambda, one event)',
        `${perNew}: opening a case ${c.opening.value} (${ops(sample.ops.opening)}), joining one ${c.joining.value} (${ops(sample.ops.joining)}); ${same ? `identical in all ${runs} runs` : 'NOT identical across runs'}; counted at the client's transport. The first event of a fresh container takes ${c.first.value} (baseline ${b.first.value}): it also reads the suppression rules, which later events re-read only when their version item moved`,
        `${(perNew / baseNew).toFixed(2)}× the baseline's ${baseNew}: opening ${b.opening.value} (${ops(baseSample.ops.opening)}), joining ${b.joining.value} (aim ≤ 3: ${perNew <= 3 ? 'met' : 'MISSED'})`,
      ],
      [
        'DynamoDB round trips per unchanged re-send',
        `${c.resend.value} (${ops(sample.ops.resend)})`,
        `the baseline's ${b.resend.value} (${ops(baseSample.ops.resend)}) (aim ≤ 1: ${c.resend.value <= 1 ? 'met' : 'MISSED'})`,
      ],
      [
        `DynamoDB throughput at ${DYNAMO_LATENCY_MS} ms per request (one ingest of ${BATCH_FINDINGS} findings over ${BATCH_RESOURCES} resources)`,
        `${batch.toFixed(0)} findings/s`,
        `${gain.toFixed(1)}× the baseline's ${baseBatch.toFixed(1)} findings/s (aim ≥ 10×: ${gain >= 10 ? 'met' : 'MISSED'})`,
      ],
      [
        `DynamoDB, one event per ingest (the findings Lambda, one container) at ${DYNAMO_LATENCY_MS} ms`,
        `${perEvent.toFixed(1)} findings/s per concurrent invocation`,
        `${(perEvent / basePerEvent).toFixed(1)}× the baseline's ${basePerEvent.toFixed(1)} findings/s (no aim: Lambda scales this with concurrency)`,
      ],
    ];
    if (!same) process.stderr.write('bench: triage: a DynamoDB round-trip count differed between runs (flagged in the table)\n');
    return { rows, ok: perNew <= 3 && c.resend.value <= 1 && gain >= 10 && same };
  } finally {
    await local.close();
  }
}
