/* `npm run bench`: every benchmark in one run, each next to its baseline; writes docs/performance.md. */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ackBench } from './ack-bench';
import { printTable, sectionMarkdown, type BenchSection, type SplitBench } from './bench-kit';
import { cardSplit } from './card-bench';
import { coldstartBench } from './coldstart-bench';
import { containSplit } from './contain-bench';
import { memoryBench } from './memory-bench';
import { repoRoot } from './repo-root';
import { triageSplit } from './triage-bench';

/** A section measured in one piece, with the machine to itself. */
const alone = (bench: () => Promise<BenchSection>): SplitBench<BenchSection, Record<string, never>> => ({ alone: bench, waiting: {}, section: (s) => s });

/** The alone part of a section that has none. */
const nothing = (): Promise<undefined> => Promise.resolve(undefined);

/**
 * Every section, in the order of the document. Memory is all waiting part: its figure is peak
 * resident memory (bytes, not time), and most of its time is its three processes idling
 * through 7 s of listening and ticks.
 */
const SECTIONS: Record<string, SplitBench> = {
  ack: alone(ackBench),
  triage: triageSplit,
  card: cardSplit,
  contain: containSplit,
  coldstart: alone(coldstartBench),
  memory: { alone: nothing, waiting: { peak: memoryBench }, section: (_, w) => w.peak as BenchSection },
};

/**
 * The waiting parts (`section.part`), in lanes: each lane is a child process running its parts
 * one after another, all lanes at once. Lanes are balanced to end before the card burst's limit
 * (150 s), the longest part; fewer lanes than parts keeps fewer of them running at a time.
 */
const LANES: string[][] = [['card.burst'], ['contain.clicks'], ['triage.economy', 'triage.serverless'], ['contain.sequential', 'memory.peak']];

/** What a lane's child process sends back: each part's result, how long each took, and the lane's own CPU time (to show it mostly waited). */
interface LaneResult {
  results: Record<string, unknown>;
  took: string[];
  cpuMs: number;
}

/** How long each part took, for stderr and the document. */
const took: string[] = [];

async function timed<T>(name: string, run: () => Promise<T>, log: string[] = took): Promise<T> {
  process.stderr.write(`bench: ${name}…\n`);
  const t = performance.now();
  const out = await run();
  const s = ((performance.now() - t) / 1000).toFixed(0);
  log.push(`${name} ${s} s`);
  process.stderr.write(`bench: ${name} took ${s} s\n`);
  return out;
}

const part = (key: string): (() => Promise<unknown>) => {
  const [section, name] = key.split('.') as [string, string];
  const run = SECTIONS[section]?.waiting[name];
  if (!run) throw new Error(`no waiting part ${key}`);
  return run;
};

/**
 * A lane in a child process of its own (this file, run with `--lane <i>`): its own event loop
 * and module state, so its timers and another lane's work never queue behind each other.
 */
function inChild(lane: number): Promise<LaneResult> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--lane', String(lane)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: LaneResult | undefined;
    child.on('message', (m) => (result = m as LaneResult));
    child.on('error', reject);
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`lane ${lane} exited ${code ?? 'on a signal'} without a result`))));
  });
}

/** In the child: run one lane's parts one after another, send their results to the parent. */
async function runLane(lane: number): Promise<number> {
  const cpu = process.cpuUsage();
  const results: Record<string, unknown> = {};
  const laneTook: string[] = [];
  for (const key of LANES[lane] ?? []) results[key] = await timed(key, part(key), laneTook);
  const used = process.cpuUsage(cpu);
  const result: LaneResult = { results, took: laneTook, cpuMs: (used.user + used.system) / 1000 };
  await new Promise<void>((resolve, reject) => process.send?.(result, undefined, {}, (err) => (err ? reject(err) : resolve())));
  return 0;
}

/**
 * Where an aim is not met on this machine, and why: measured (profiles of the SQLite path
 * with --cpu-prof, and the injected latency on the card path), not guessed. Updated by hand
 * when the code or the figures move; the tables above are the run's own.
 */
const LIMITS = [
  '## Where an aim is out of reach here, and why',
  '',
  "- **SQLite triage at 0.7× the parse-only floor.** The floor is the zod parse alone, about 26-32 µs a finding here. The row \"the least any SQLite store can do\" measures the bound in the same run: the same findings parsed, decided and each written as one row of its JSON (the store's pragmas and batch size), and nothing else. That alone comes to about 0.66-0.72× the floor (0.66× on a loaded machine), so no store that also opens and joins cases, writes their timeline and indexes each finding for the publisher can reach 0.7× on one thread here. Cordon's path, by a CPU profile of `ingestDocument` into a file store (`node --cpu-prof`, 10,000 findings): parse about 32 µs, triage and placement decisions about 8, SQLite row inserts about 17 (a finding, its events and its key rows, in two to four indexes each), the commits' writes about 12, each stored finding's JSON about 10, the batch's reads about 10, plus garbage collection: about 97 µs in all. Statements per new finding fell from 7.7 to 1.03 (each batch of 50 reads what it needs in 3 statements and writes its rows as multi-row INSERTs) and WAL checkpoints moved to a worker thread, which lifts the rate past 10,000/s on a quiet machine (0.31-0.33× the floor). A writer on a second thread (placements sent as data, the join step moved into the domain layer, the conflict fallback redesigned) splits about 97 µs over 2 cores: at best about 48 µs a finding, 0.66× before any hand-off between the threads. The aim needs more cores than this machine has, or a store that keeps less per finding than a responder needs. The row's figures move with the machine's load: the floor and the rates are measured in the same run, so the ratios are the steadier figures. That holds for the ≥ 10,000/s aim too: at 0.32-0.34× the floor it is met when the floor is above about 30,000/s (the previous stop's run: floor 32,813/s, 10,749/s), and missed on a run where the host is slower (this one's floor; the cold-start rows moved with it).",
  "- **DynamoDB throughput at 10× the old store.** Run alone on a quiet machine the row reads 12.4× (this stop); in the bench it runs in a lane beside the other waiting parts, where company lowers only Cordon's ratio (see \"How the run is scheduled\"), and it has read 9.7-12.0× there. It read 15.4× before this stop: each new finding whose principal check is pending now writes one more item in its placement transaction (`IDX#finding-check-pending`), so the clock can find a check whose request was lost; without it such a card said \"checking…\" forever. Round trips are unchanged (2 and 3).",
  "- **Finding to card, one finding at 3× the forwarder.** Cordon's critical path is one BatchGetItem, then the placement's TransactWriteItems beside conversations.create, then the case card beside the finding card: 10 + 30 + 30 = 70 ms of injected latency against the forwarder's 30, so 3× leaves about 30 ms for the emulated transaction, the SDKs and the sandbox. It is met, with little to spare; a loaded machine can tip it. A fresh container's first event (new connections) is timed apart and reported in the row.",
  '- **The burst.** conversations.create is Tier 2 (20 a minute): channels 21-40 cannot exist before the ticker\'s first minute, and chat.update (Tier 3, 50 a minute) bounds how fast cards posted early can show later findings. Every card is visible long before the forwarder\'s last post (one channel at about one post a second: about 1,000 s), but the run is capped at 150 s plus the ticker run in progress, to keep `npm run bench` under 5 minutes.',
  '',
];

async function main(): Promise<number> {
  const t0 = performance.now();
  // 1. Everything whose figures are CPU time or millisecond latencies, one after another, each with the machine to itself.
  const aloneResults = new Map<string, unknown>();
  for (const [name, split] of Object.entries(SECTIONS)) {
    if (split.alone !== nothing) aloneResults.set(name, await timed(Object.keys(split.waiting).length ? `${name} (alone)` : name, () => split.alone()));
  }
  // 2. The parts that spend their time on simulated latency or real timers, together, one child process per lane.
  const lanes = await timed('waiting parts, in lanes together', () => Promise.all(LANES.map((_, i) => inChild(i))));
  const waited = Object.fromEntries(lanes.flatMap((l) => Object.entries(l.results)));
  const laneNotes = lanes.map((l, i) => `${(LANES[i] ?? []).join(' then ')}: ${l.took.map((t) => t.split(' ').slice(-2).join(' ')).join(' + ')}, ${(l.cpuMs / 1000).toFixed(0)} s of CPU`);
  process.stderr.write(`bench: lanes: ${laneNotes.join('; ')}\n`);
  const sections = Object.entries(SECTIONS).map(([name, split]) => {
    const w = Object.fromEntries(Object.keys(split.waiting).map((k) => [k, waited[`${name}.${k}`]]));
    return split.section(aloneResults.get(name), w);
  });
  for (const s of sections) printTable(s.title, s.header, s.rows);
  const minutes = (performance.now() - t0) / 60_000;
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const doc = [
    '# Performance',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.`,
    `The whole run took ${minutes.toFixed(1)} minutes (${took.join(', ')}; the lanes: ${laneNotes.join('; ')}; see "How the run is scheduled" below). Every row is the median of at least 5 runs and shows its ratio to the baseline measured in the same run.`,
    'Slack is the sandbox Slack and AWS the simulated one, on loopback; the containment rows add 100 ms to every AWS call to stand in for the network.',
    '',
    `Aims: ${sections.every((s) => s.ok) ? 'all met' : `MISSED in: ${sections.filter((s) => !s.ok).map((s) => s.title.split(' (')[0]).join(', ')}`}.`,
    '',
    ...sections.map(sectionMarkdown),
    ...LIMITS,
    '## How to read it',
    '',
    '- **How the run is scheduled**: first, one after another, each with the machine to itself, everything whose figure is CPU time or a latency of milliseconds: ack latency, the parse/triage/SQLite throughput, the single findings to card, Cordon\'s containment runs and the Slack calls per contained instance, cold start. Then the parts that spend their time waiting on simulated latency or real timers run together, in four child processes (lanes; each has its own event loop, so one part\'s work never queues behind another\'s timers), the parts of a lane one after another: the card burst (Slack\'s rate limits and the ticker\'s minute; bounded at 150 s, the longest part); the click rows (each run waits out the real 60 s untrack); the triage rows\' Slack economy (each run waits out the 10 s card-edit debounce) then the serverless store path (10 ms per DynamoDB request); the sequential containment script (100 ms per AWS call, one call at a time) then memory (three processes idling through 7 s of listening and ticks). What they report is not moved by the company: call and round-trip counts come from logs, and are checked identical across runs; the burst\'s seconds are set by Slack\'s rate limits and the click rows\' by the untrack wait (their round trips are read from call spans, and the runs are checked not to overlap each other\'s work); the sequential script\'s time is its calls\' 100 ms each plus its own work, a few percent of it, which company can raise by a few percent more (so its "× faster" column can read a few percent high); the DynamoDB throughput rows run Cordon\'s store and the old one in the same lane, run after run, under the same conditions, and Cordon\'s batch spends more of its time on CPU than the old store\'s, so company can only lower its ratio; peak memory is bytes, not time. Two figures there are CPU time and can read higher than alone, and have no aim: the re-send burst\'s "ingested in" time in the Triage table, and the click rows\' milliseconds beyond the untrack wait. The lanes\' own CPU time is in the first lines above: they mostly wait.',
    '- **Ack latency**: time from sending a signed `/ir status` to the HTTP answer, Cordon against a bare Bolt app that only acks (the floor Slack and Bolt set). The burst rows send 100 commands (`status`, `timeline`), 5 ms apart, from a worker thread (as Slack sends from elsewhere), once idle and once while 5,000 findings (re-sends of 12 and 1,000 Lows, batches of 250) are ingested into SQLite and the publisher flushes to the in-process sandbox Slack (rate limits off, so a run does not wait out Retry-After); each row is the median over 5 runs of each run\'s p99, the burst compared with the idle round of the same run.',
    '- **Triage**: findings per second for parsing alone (the floor), parsing and triage, and the whole path into SQLite; Slack calls to bring a workspace up to date with 2,000 findings over 40 resources (the same 50 findings per resource as the throughput rows); a burst of re-sends. The Slack rows compare with the usual GuardDuty→Slack forwarder, which posts one chat.postMessage per finding event it receives, re-sends included: its count is the number of events in the input, computed rather than measured, since it makes exactly one call per event. Slack call counts are deterministic: each is measured in every one of the 5 runs, and the row says whether it was identical in all of them.',
    "- **Finding to card**: ms from handing one EventBridge event to the `findings` Lambda handler (`src/handlers/findings.ts`, the shipped code: DynamoDB store, its WebClient options) to the moment the sandbox Slack stored the first version of a case-channel message that names the finding (or, for a card that counts findings without naming them, the first version of the message the store records as carrying it at or after the event). Latency is injected at the transports, not in Cordon: every DynamoDB HTTP request waits 10 ms in a `LatencyTransport` (`sandbox/dynamodb/latency-transport.ts`, the same transport as the serverless store rows) set as the DynamoDBClient's `requestHandler`, below signing and retries (a TransactWriteItems, which dynalite lacks, is one delayed round trip, as on DynamoDB, answered at the transport as the serverless store rows describe); the sandbox Slack's HTTP server waits 30 ms before every answer and enforces Slack's rate limits (tiers; chat.postMessage per channel a token bucket, one a second sustained with a burst of 3, as Slack documents short bursts without their size; 429 + Retry-After). Round trips come from the transport's log, Slack calls from the sandbox's call log. The forwarder baseline posts one chat.postMessage per event with a default WebClient to its own sandbox Slack under the same latency and limits. The findings function's worker queue (a new finding's principal check) stands for an async Lambda invoke: 10 ms, recorded, not run. dynalite runs in a child process, so its CPU (standing in for DynamoDB's servers) is not Cordon's. Each single finding is on a resource of its own, so it opens a case, with the rate-limit windows reset before it (alone). Its critical path is one BatchGetItem, then the placement's TransactWriteItems and conversations.create side by side (the store tells the claim's `onCreating` hook before it sends the write, and the publisher asks for the channel then), then the case card and the finding card side by side: two DynamoDB requests and two Slack calls in a row at best, 70 ms of injected latency against the forwarder's 30, so the 3× aim leaves about 30 ms for everything else. The burst sends 1,000 distinct findings over 40 resources (7 types, so 280 grouped cards in 40 channels) through the handler, 10 invocations at once, each in a container of its own (its own Cordon: publisher, lease owner, DynamoDB client, as concurrent Lambda invocations have), with the ticker (the worker bundle's wiring, in its own container) every minute, beside the forwarder posting the same events into one channel; it stops when every card is visible or 150 s after its first event (events not sent by then count as not visible). Where the burst's time goes: conversations.create is Tier 2 (20 a minute), so channels 21-40 wait for the ticker's second minute; chat.update is Tier 3 (50 a minute), so a card posted with its first finding and edited for later ones (at most once per 10 s, case cards included) shares that budget; the findings function tries the publisher lease once and leaves what it cannot post to the ticker, so the burst's cards mostly arrive with the ticker at the first minute, all findings placed by then.",
    '- **The serverless store path** (Triage rows starting with DynamoDB): the DynamoDB store on dynalite, run in a child process so its CPU (standing in for DynamoDB\'s servers) is not the client\'s. The store\'s DynamoDBClient is the real SDK client; its `requestHandler` (a `LatencyTransport`, `sandbox/dynamodb/latency-transport.ts`) logs every HTTP request it sends and holds it 10 ms before sending it, so round trips are read from that log, not computed, and Cordon\'s code is the code shipped. dynalite has no TransactWriteItems: the transport below it (`DynaliteTransport`, `sandbox/dynamodb/dynalite-transport.ts`) answers it as one request, writing its items on dynalite and undoing them if a condition fails, refusing one that touches an item another has in flight (TransactionConflict), as DynamoDB does. Round trips per finding are for one event per ingest, as the findings Lambda gets them, after a first event has warmed the container (the row gives that first one too); the baseline is the store as it was before issue 19, kept as bench/legacy-dynamodb-store.ts, on the same tables and transport. Throughput is one ingest of a batch (the poller\'s and `cordon ingest`\'s path), where Cordon places findings sharing no correlation key side by side and a chain of related ones in one transaction; the one-event row has no aim, since Lambda scales it with concurrent invocations.',
    "- **Containment**: wall time from the request to the last applied step. Cordon runs independent steps of a stage together and all targets at once. The sequential script is the same containment run again (same playbook, targets and simulated AWS), with every AWS call Cordon makes waiting on one lock until the call before it has been answered: the exact same calls, strictly one after another, timed for real. Round trips on the critical path are counted from the log of every call's start and answer: the longest chain of calls in which each left only after the one before it had been answered (calls in flight together count once); times 100 ms, it is the floor for that run. Cordon's five runs per row run one after another; the five sequential runs per row run side by side, each in its own sandbox and store, and beside the other waiting parts, since their time is simulated latency, not CPU (a 20-instance sequential run alone takes about 30 s). The click runs start 5 s apart in one process: each run's work (setup to the untrack wait, and the wait to its teardown) is timed and checked not to overlap another run's; the row comparing 20 instances with 1 says so, or flags the runs whose work overlapped. Slack calls per contained instance compare with a step-logging script that posts one message per step of the plan plus one, and nothing else; Cordon's count includes its edits of the plan message and any timeline posts.",
    "- **Cold start**: each Lambda bundle built with the options serverless-esbuild uses (`esbuild.config.js`: minified, ESM builds first so unused SDK commands and zod locales drop out, Bolt's Socket Mode, Express and raw-body left out), and how long a fresh Node process takes to load it with serverless.yml's `NODE_OPTIONS`, against an empty bundle. `slack` and `findings` are the intake and carry no AWS side (playbooks, EC2, IAM, GuardDuty clients); `worker` and `ticker` do.",
    '- **Memory**: the open cases live in the store, not in the process; the peak resident set hardly grows with them.',
    '',
  ].join('\n');
  writeFileSync(join(repoRoot(), 'docs', 'performance.md'), doc);
  process.stderr.write(`bench: wrote docs/performance.md (${minutes.toFixed(1)} min)\n`);
  return sections.every((s) => s.ok) ? 0 : 1;
}

// Exit once the table is written (or, in a child, the part sent): a keep-alive socket some client
// left to an already stopped sandbox server can otherwise hold the process open long after the run ended.
(process.argv[2] === '--lane' ? runLane(Number(process.argv[3])) : main()).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${String(err)}\n`);
    process.exit(1);
  },
);
