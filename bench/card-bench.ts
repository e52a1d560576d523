/*
 * Finding to card, end to end: `npm run bench:card`. EventBridge events into the `findings`
 * Lambda handler (src/handlers/findings.ts, the shipped front door) with the DynamoDB store on
 * dynalite, until the card that carries the finding is visible in the sandbox Slack. Latency is
 * injected at the transports, not in Cordon: 10 ms before every DynamoDB HTTP request (a
 * LatencyTransport as the DynamoDBClient's requestHandler) and 30 ms before every answer of
 * the sandbox Slack's HTTP server, with Slack's rate limits on. The baseline is a forwarder
 * doing one chat.postMessage per event through a WebClient against the same Slack.
 * Jobs the findings function hands the worker (a new finding's principal check) go to a
 * queue standing for the `worker` Lambda's async invoke: one AWS request, 10 ms as a
 * DynamoDB one, recorded and not run (the worker is another function).
 */
import { LogLevel, WebClient } from '@slack/web-api';
import { loadConfig } from '../src/config/load-config';
import { buildCordon, type Cordon } from '../src/app/cordon';
import { FINDINGS_CLIENT_OPTIONS, FINDINGS_LEASE_WAIT_MS, WORKER_CLIENT_OPTIONS } from '../src/app/intake';
import { handler as findingsHandler } from '../src/handlers/findings';
import { handler as tickerHandler } from '../src/handlers/ticker';
import { setLambdaCordon } from '../src/handlers/runtime';
import { silentLogger } from '../src/log';
import { DynamoDbStore } from '../src/store/dynamodb-store';
import { startLocalDynamoDb, type LocalDynamoDb } from '../sandbox/dynamodb/local-dynamodb';
import { makeFindingDetail, toEventBridgeEvent } from '../sandbox/findings/finding-factory';
import { SlackSandbox } from '../sandbox/slack';
import type { SandboxMessage } from '../sandbox/slack/slack-state';
import type { JobQueue } from '../src/jobs/job-queue';
import { countOverRuns, median, runBench, runSplit, type BenchPart, type BenchSection, type SplitBench } from './bench-kit';

const DYNAMO_MS = 10;
const SLACK_MS = 30;
const RUNS = 5;
/** Findings timed one at a time per run (each alone: Slack's rate-limit windows are reset before each). */
const SINGLES = 6;
const BURST = 1000;
const BURST_RESOURCES = 40;
/** Lambda invocations in flight at once during the burst (EventBridge delivers events concurrently). */
const BURST_CONCURRENCY = 10;
/** The ticker's schedule in serverless.yml: rate(1 minute). */
const TICK_MS = 60_000;
/**
 * Give up on a burst run this long after its first event (events not yet sent by then are
 * not sent; reported as missed): keeps `npm run bench` within its few minutes.
 */
const BURST_LIMIT_MS = 150_000;

const yaml = (triage: string) => `
workspace: { teamId: T0SANDBOX }
accounts: [{ id: "111111111111", name: production, environment: production }]
regions: [us-east-1]
channels: { triage: ${triage}, prefix: ir }
poller: { enabled: false }
`;

/** p-th percentile (nearest rank) of a sample. */
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}

/** A Slack ts (`1700000000.000100`) as epoch milliseconds. */
const tsMs = (ts: string) => Number(ts) * 1000;

/**
 * When each finding became visible in Slack: the earliest version of a message outside the
 * triage channel (a case channel) whose text or blocks name the finding id. A card that
 * counts findings without naming them is found through the store's record of the message
 * that carries the finding (`cardTs`): the first version of that message at or after the
 * finding was sent. Epoch ms; absent when not visible.
 */
async function visibleAt(slack: SlackSandbox, triage: string, cordon: Cordon, sentAt: Map<string, number>): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  const versions: { at: number; content: string; msg: SandboxMessage }[] = [];
  const byTs = new Map<string, SandboxMessage>();
  for (const ch of slack.channels()) {
    if (ch.id === triage) continue;
    for (const m of slack.messages(ch.id)) {
      byTs.set(m.ts, m);
      // The first version appeared at ts; each edit's content appeared when it replaced the one before.
      const contents = [...m.history.map((h) => JSON.stringify([h.text, h.blocks])), JSON.stringify([m.text, m.blocks])];
      const times = [tsMs(m.ts), ...m.history.map((h) => tsMs(h.replacedAt))];
      contents.forEach((content, i) => versions.push({ at: times[i] as number, content, msg: m }));
    }
  }
  for (const id of sentAt.keys()) {
    let at = Infinity;
    for (const v of versions) if (v.at < at && v.content.includes(id)) at = v.at;
    if (at === Infinity) {
      const cardTs = (await cordon.store.getFinding(id))?.cardTs;
      const m = cardTs ? byTs.get(cardTs) : undefined;
      const sent = sentAt.get(id) as number;
      if (m) at = [tsMs(m.ts), ...m.history.map((h) => tsMs(h.replacedAt))].find((t) => t >= sent) ?? Infinity;
    }
    if (at !== Infinity) seen.set(id, at);
  }
  return seen;
}

interface World {
  slack: SlackSandbox;
  triage: string;
  cordon: Cordon;
  /**
   * Warm Lambda containers of the findings function, each with its own Cordon (publisher,
   * lease owner, DynamoDB client), as EventBridge's concurrent invocations have; `cordon` is
   * the first. The ticker runs in a container of its own.
   */
  containers: Cordon[];
  ticker: Cordon;
  roundTrips: () => number;
  close(): Promise<void>;
}

/**
 * A fresh sandbox Slack (rate limits on, 30 ms per answer), dynalite table (10 ms per request)
 * and `containers` findings-function containers plus a ticker, wired as the Lambda functions are.
 */
async function world(local: LocalDynamoDb, name: string, containers = 1): Promise<World> {
  const slack = await SlackSandbox.start({ rateLimits: true, latencyMs: SLACK_MS });
  const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
  const config = loadConfig({ CORDON_CONFIG: 'bench.yaml', SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_API_URL: slack.apiUrl, CORDON_STORE: `dynamodb:${name}` }, () => yaml(triage));
  const transports: { log: unknown[] }[] = [];
  const container = async (first: boolean, ticker = false): Promise<Cordon> => {
    const { client, transport } = local.latencyClient(DYNAMO_MS);
    if (first) {
      transport.latencyMs = 0;
      await DynamoDbStore.createTable(client, name);
      transport.latencyMs = DYNAMO_MS;
      transport.log.length = 0;
    }
    transports.push(transport);
    // The findings function's wiring (src/handlers/runtime.ts): its WebClient options, lease
    // wait, this store, and the worker function as its queue (an async Lambda invoke: one AWS request).
    const worker: JobQueue = { enqueue: () => new Promise((r) => setTimeout(r, DYNAMO_MS)) };
    const store = new DynamoDbStore({ client, tableName: name, ownsClient: true });
    // The ticker is the worker bundle's (src/handlers/worker-runtime.ts): its WebClient options.
    if (ticker) return buildCordon(config, silentLogger, { store, webClientOptions: WORKER_CLIENT_OPTIONS, queue: worker, principalChecks: true });
    return buildCordon(config, silentLogger, { store, webClientOptions: FINDINGS_CLIENT_OPTIONS, publisherLeaseWaitMs: FINDINGS_LEASE_WAIT_MS, queue: worker, principalChecks: true });
  };
  const all: Cordon[] = [];
  for (let i = 0; i < containers; i++) all.push(await container(i === 0));
  const ticker = await container(false, true);
  const cordon = all[0] as Cordon;
  setLambdaCordon(cordon);
  return {
    slack,
    triage,
    cordon,
    containers: all,
    ticker,
    roundTrips: () => transports.reduce((n, t) => n + t.log.length, 0),
    close: async () => {
      setLambdaCordon(undefined);
      for (const c of [...all, ticker]) await c.close();
      await slack.close();
    },
  };
}

/**
 * Runs one invocation of `handler` in container `c`: each Lambda handler takes its container's
 * wiring synchronously on entry (runtime.ts's warm cache, set for tests by setLambdaCordon), so
 * setting it just before the call gives this invocation that container, however many others
 * are in flight.
 */
function invokeIn<T>(c: Cordon, handler: () => Promise<T>): Promise<T> {
  setLambdaCordon(c);
  return handler();
}

const finding = (run: string, i: number, resource: number) =>
  toEventBridgeEvent(
    makeFindingDetail({
      id: `${run}${i.toString(16).padStart(6, '0')}`.padEnd(32, 'f'),
      severity: 5,
      accessKeyId: `AKIACARD${String(resource).padStart(12, '0')}`,
      userName: `card-user-${resource}`,
      type: `Recon:IAMUser/CardProbe${i % 7}`,
    }),
  ) as { detail: { id: string } };

/** One finding at a time, each on a resource of its own (so it opens its case): ms from the event to its card. */
async function singles(local: LocalDynamoDb, run: number): Promise<{ ms: number[]; roundTrips: number[]; slackCalls: number[]; throttled: number[]; coldMs: number }> {
  const w = await world(local, `card-single-${run}`);
  try {
    const ms: number[] = [];
    const roundTrips: number[] = [];
    const slackCalls: number[] = [];
    const throttled: number[] = [];
    // The container's first event opens its connections (DynamoDB, Slack) and warms its code:
    // timed apart, as the serverless store rows time their first event, and not in the p50/p99.
    let coldMs = Infinity;
    for (let i = -1; i < SINGLES; i++) {
      w.slack.setRateLimits(true); // alone: as after a quiet minute
      const event = finding(`s${run}`, i + 1, run * 100 + i + 1);
      const before = w.roundTrips();
      const calls = w.slack.calls().length;
      const sent = Date.now();
      await findingsHandler(event);
      roundTrips.push(w.roundTrips() - before);
      const made = w.slack.calls().slice(calls);
      slackCalls.push(made.length);
      throttled.push(made.filter((c) => c.httpStatus === 429).length);
      const at = (await visibleAt(w.slack, w.triage, w.cordon, new Map([[event.detail.id, sent]]))).get(event.detail.id);
      if (i < 0) {
        coldMs = at === undefined ? Infinity : at - sent;
        roundTrips.pop();
        slackCalls.pop();
        throttled.pop();
        continue;
      }
      ms.push(at === undefined ? Infinity : at - sent);
    }
    return { ms, roundTrips, slackCalls, throttled, coldMs };
  } finally {
    await w.close();
  }
}

/** The forwarder: one chat.postMessage per event, through a default WebClient, against the same Slack. */
async function forwardSingles(run: number): Promise<number[]> {
  const slack = await SlackSandbox.start({ rateLimits: true, latencyMs: SLACK_MS });
  try {
    const channel = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
    const client = new WebClient('xoxb-bench', { slackApiUrl: slack.apiUrl, logLevel: LogLevel.ERROR });
    const ms: number[] = [];
    // A first post opens the client's connection: not timed, as Cordon's first event is timed apart.
    for (let i = -1; i < SINGLES; i++) {
      slack.setRateLimits(true);
      const event = finding(`f${run}`, i + 1, i + 1);
      const sent = Date.now();
      const r = await client.chat.postMessage({ channel, text: `GuardDuty finding ${event.detail.id}` });
      if (i >= 0) ms.push(tsMs(r.ts as string) - sent);
    }
    return ms;
  } finally {
    await slack.close();
  }
}

/** Runs `tasks` with at most `n` in flight. */
async function pool(n: number, tasks: (() => Promise<unknown>)[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < tasks.length) await (tasks[next++] as () => Promise<unknown>)();
    }),
  );
}

interface BurstRun {
  /** ms from the burst's first event to each card, for the cards that became visible. */
  ms: number[];
  visible: number;
  /** Events handed to the findings handler before the time limit; ms the run took. */
  sent: number;
  elapsedMs: number;
  lastCardMs: number;
  /** The forwarder's posts made by the time Cordon's last card was visible, and when its last post landed (Infinity if not by then). */
  forwarderPosted: number;
  forwarderLastMs: number;
  forwarderFirstPostsMs: number[];
}

/**
 * The burst: 1,000 distinct findings over 40 resources into the findings handler, the ticker
 * running on its schedule, next to the forwarder posting the same events to its own sandbox
 * Slack (same latency and limits). Stops when every card is visible; the forwarder is stopped
 * then too if it has not finished (its last post is later still).
 */
async function burst(local: LocalDynamoDb): Promise<BurstRun> {
  const w = await world(local, 'card-burst', BURST_CONCURRENCY);
  const fslack = await SlackSandbox.start({ rateLimits: true, latencyMs: SLACK_MS });
  const fchannel = fslack.addChannel({ name: 'security-triage', members: ['UBOT'] });
  const fclient = new WebClient('xoxb-bench', { slackApiUrl: fslack.apiUrl, logLevel: LogLevel.ERROR });
  const events = Array.from({ length: BURST }, (_, i) => finding('b', i, i % BURST_RESOURCES));
  const sentAt = new Map<string, number>();
  let stop = false;
  try {
    const t0 = Date.now();
    const fposts: number[] = [];
    const forwarder = pool(
      BURST_CONCURRENCY,
      events.map((e) => async () => {
        if (stop) return;
        try {
          const r = await fclient.chat.postMessage({ channel: fchannel, text: `GuardDuty finding ${e.detail.id}` });
          fposts.push(tsMs(r.ts as string) - t0);
        } catch {
          // Stopped mid-retry when the sandbox closes.
        }
      }),
    );
    // Each of the BURST_CONCURRENCY invocations in flight runs in a container of its own.
    let nextEvent = 0;
    const intake = Promise.all(
      w.containers.map(async (c) => {
        for (let e = events[nextEvent++]; e; e = events[nextEvent++]) {
          if (Date.now() - t0 > BURST_LIMIT_MS) return;
          sentAt.set(e.detail.id, Date.now());
          const event = e;
          await invokeIn(c, () => findingsHandler(event));
        }
      }),
    );
    // The ticker (worker bundle's handler) on its schedule, from the burst's start.
    let visible = new Map<string, number>();
    let nextTick = t0 + TICK_MS;
    await intake;
    for (;;) {
      visible = await visibleAt(w.slack, w.triage, w.cordon, sentAt);
      if (visible.size === BURST || Date.now() - t0 > BURST_LIMIT_MS) break;
      const wait = nextTick - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, 1000)));
      if (Date.now() >= nextTick) {
        nextTick += TICK_MS;
        await invokeIn(w.ticker, () => tickerHandler({}));
      }
    }
    const ms = [...visible].map(([, at]) => at - t0);
    const lastCardMs = visible.size === BURST ? Math.max(...ms) : Infinity;
    stop = true;
    const done = fposts.length === BURST;
    await Promise.race([forwarder, new Promise((r) => setTimeout(r, 100))]);
    return { ms, sent: sentAt.size, elapsedMs: Date.now() - t0, visible: visible.size, lastCardMs, forwarderPosted: fposts.length, forwarderLastMs: done ? Math.max(...fposts) : Infinity, forwarderFirstPostsMs: fposts };
  } finally {
    stop = true;
    await w.close();
    await fslack.close();
  }
}

/** One finding alone, RUNS runs, against the forwarder: the part of the section that needs the machine to itself. */
export async function cardSingles(): Promise<BenchPart> {
  const local = await startLocalDynamoDb({ childProcess: true });
  try {
    const cordonP50: number[] = [];
    const cordonP99: number[] = [];
    const fwdP50: number[] = [];
    const fwdP99: number[] = [];
    const trips: number[] = [];
    const calls: number[] = [];
    const refused: number[] = [];
    let notVisible = 0;
    const cold: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const c = await singles(local, run);
      const f = await forwardSingles(run);
      cordonP50.push(pct(c.ms, 50));
      cordonP99.push(pct(c.ms, 99));
      fwdP50.push(pct(f, 50));
      fwdP99.push(pct(f, 99));
      trips.push(median(c.roundTrips));
      calls.push(median(c.slackCalls));
      refused.push(median(c.throttled));
      notVisible += c.ms.filter((x) => x === Infinity).length;
      cold.push(c.coldMs);
    }
    const c99 = median(cordonP99);
    const f99 = median(fwdP99);
    const singleOk = c99 <= 3 * f99;
    const rt = countOverRuns(trips);
    const sc = countOverRuns(calls);
    const ms = (x: number) => (x === Infinity ? 'not visible when the handler returned' : `${x.toFixed(0)} ms`);
    const rows: string[][] = [
      ['one finding alone: forwarder (baseline)', `${median(fwdP50).toFixed(0)} ms`, `${f99.toFixed(0)} ms`, '1.00× (1 chat.postMessage)'],
      [
        'one finding alone: Cordon (opens its case: channel, card)',
        ms(median(cordonP50)),
        ms(c99),
        `p99 ${c99 === Infinity ? '∞' : (c99 / f99).toFixed(2)}× (aim ≤ 3×: ${singleOk ? 'met' : 'MISSED'}); per finding (medians): ${rt.value} DynamoDB round trips (transport log, ${rt.note}), ${sc.value} Slack calls of which ${median(refused)} refused with 429; ${notVisible} of ${RUNS * SINGLES} cards not yet visible when the invocation ended; a fresh container's first event (new connections, timed apart, not in p50/p99): ${median(cold) === Infinity ? 'not visible' : `${median(cold).toFixed(0)} ms`} (median)`,
      ],
    ];
    return { rows, ok: singleOk };
  } finally {
    await local.close();
  }
}

/** The 1,000-finding burst against the forwarder: the part of the section that mostly waits (on Slack's rate limits). */
export async function cardBurst(): Promise<BenchPart> {
  const local = await startLocalDynamoDb({ childProcess: true });
  try {
    const b = await burst(local);
    const burstOk = b.visible === BURST && b.lastCardMs < b.forwarderLastMs;
    const fwd = b.forwarderLastMs === Infinity ? `not done: ${b.forwarderPosted} of ${BURST} posted by then` : `${(b.forwarderLastMs / 1000).toFixed(1)} s`;
    const cordonLast = b.visible === BURST ? `every card visible, the last at ${(b.lastCardMs / 1000).toFixed(1)} s` : `${b.visible} of ${BURST} cards visible (${b.sent} events sent) when the run stopped at ${(b.elapsedMs / 1000).toFixed(0)} s`;
    const row = [
      `burst of ${BURST} findings over ${BURST_RESOURCES} resources (1 run, ${BURST_CONCURRENCY} invocations at once, ticker every ${TICK_MS / 1000} s)`,
      `${b.visible ? (pct(b.ms, 50) / 1000).toFixed(1) : '—'} s`,
      `${b.visible ? (pct(b.ms, 99) / 1000).toFixed(1) : '—'} s`,
      `${cordonLast}; forwarder's last post: ${fwd} (aim: every card sooner: ${burstOk ? 'met' : 'MISSED'})`,
    ];
    return { rows: [row], ok: burstOk };
  } finally {
    await local.close();
  }
}

/** The section's table from its two parts. */
function cardSection(singlesPart: BenchPart, { burst: burstPart }: { burst: BenchPart }): BenchSection {
  return {
    title: `Finding to card (findings handler, DynamoDB on dynalite at ${DYNAMO_MS} ms per request, sandbox Slack at ${SLACK_MS} ms per call with rate limits on; singles: ${SINGLES} per run, median of ${RUNS} runs)`,
    header: ['path', 'p50', 'p99', 'vs forwarder'],
    rows: [...singlesPart.rows, ...burstPart.rows],
    ok: singlesPart.ok && burstPart.ok,
  };
}

/** Finding to card in two parts, for `npm run bench` to schedule apart: the singles alone, the burst beside other waiting parts. */
export const cardSplit: SplitBench<BenchPart, { burst: BenchPart }> = { alone: cardSingles, waiting: { burst: cardBurst }, section: cardSection };

/** Finding to card: one finding alone and a 1,000-finding burst, against the forwarder. */
export function cardBench(): Promise<BenchSection> {
  return runSplit(cardSplit);
}

if (require.main === module) runBench(() => cardBench());
