/* Memory benchmark: `npm run bench:memory`. Peak RSS of `cordon serve` holding 1,000 open cases, next to an empty one and to a bare Bolt HTTP app with pino (the baseline, issue 19 point 6). */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load-config';
import { buildCordon } from '../src/app/cordon';
import { silentLogger } from '../src/log';
import { makeFindingDetail, toEventBridgeEvent } from '../sandbox/findings/finding-factory';
import { SlackSandbox } from '../sandbox/slack';
import { SqliteStore } from '../src/store/sqlite-store';
import { median, runBench, type BenchSection } from './bench-kit';
import { repoRoot } from './repo-root';

const CASES = 1000;
const RUNS = 5;
const SETTLE_MS = 7000;
const BIN = join(repoRoot(), 'bin', 'cordon.js');
/** The baseline, built beside this file (dist/bench). */
const BARE = join(__dirname, 'bare-bolt-app.js');
/** Issue 19 point 6: `cordon serve` with 1,000 open cases at most this many times the bare app's peak RSS. */
const AIM_RATIO = 1.6;

const yaml = (triage: string) => `
workspace: { teamId: T0SANDBOX }
accounts: [{ id: "111111111111", name: production, environment: production }]
regions: [us-east-1]
containmentRole: { name: CordonContainment, externalId: bench-external-id }
channels: { triage: ${triage}, prefix: ir }
poller: { enabled: false }
`;

/** Peak resident set (VmHWM) of a `cordon serve` over `db` (or of the bare Bolt app), after it has listened and ticked for a while. */
async function peakRssMb(dir: string, db: { sqlite: string } | 'bare', slackUrl: string): Promise<number> {
  const env = {
    PATH: process.env.PATH ?? '',
    CORDON_CONFIG: join(dir, 'cordon.config.yaml'),
    CORDON_STORE: db === 'bare' ? '' : `sqlite:${db.sqlite}`,
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: 'bench-signing-secret-0123456789',
    SLACK_API_URL: slackUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const child = spawn(process.execPath, db === 'bare' ? [BARE] : [BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  try {
    // Let it start, run several ticks (each loads the open cases) and serve.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    if (child.exitCode !== null) throw new Error(`cordon serve exited ${child.exitCode}: ${output.slice(0, 500)}`);
    const status = readFileSync(`/proc/${child.pid ?? 0}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
    return kb / 1024;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

/** A difference with its sign (peak RSS can come out lower with the cases than without: noise). */
function signed(x: number, digits: number): string {
  const v = x.toFixed(digits);
  return Number(v) > 0 ? `+${v}` : Number(v) === 0 ? `±${(0).toFixed(digits)}` : v;
}

/** Peak RSS of `cordon serve` with 1,000 open, published cases, against the same process with none. */
export async function memoryBench(): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-mem-'));
  const slack = await SlackSandbox.start({});
  try {
    const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
    writeFileSync(join(dir, 'cordon.config.yaml'), yaml(triage));
    // 1,000 open cases, each with its channel, card and finding already in Slack.
    const full = join(dir, 'full.db');
    const config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_API_URL: slack.apiUrl }, () => yaml(triage));
    const cordon = buildCordon(config, silentLogger, { store: SqliteStore.open(full) });
    await cordon.pipeline.ingestDocument(
      Array.from({ length: CASES }, (_, i) => toEventBridgeEvent(makeFindingDetail({ id: `${i.toString(16).padStart(8, '0')}${'e'.repeat(24)}`, severity: 5, accessKeyId: `AKIAMEM${String(i).padStart(13, '0')}`, userName: `mem-${i}` }))),
      'bench',
    );
    for (let i = 0; i < 50; i++) {
      const r = await cordon.slack!.publisher.flush();
      if (!r.channelsCreated && !r.cardsPosted && !r.eventsPosted && !r.cardsEdited) break;
    }
    const open = (await cordon.store.listCases({ status: ['open'] })).length;
    await cordon.close();
    const empty = join(dir, 'empty.db');
    (await SqliteStore.open(empty).close());

    const bare: number[] = [];
    const floor: number[] = [];
    const loaded: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      copyFileSync(full, join(dir, `run${i}.db`));
      // Side by side, in the same run: each process's own peak is what is measured, and the wait is mostly ticks.
      const [b, f, l] = await Promise.all([peakRssMb(dir, 'bare', slack.apiUrl), peakRssMb(dir, { sqlite: empty }, slack.apiUrl), peakRssMb(dir, { sqlite: join(dir, `run${i}.db`) }, slack.apiUrl)]);
      bare.push(b);
      floor.push(f);
      loaded.push(l);
    }
    const b = median(bare);
    const f = median(floor);
    const l = median(loaded);
    const met = l / b <= AIM_RATIO;
    return {
      title: `Memory (peak RSS, VmHWM, after ${SETTLE_MS / 1000} s of listening and ticks; median of ${RUNS} runs, the three processes side by side in each)`,
      header: ['process', 'peak RSS', 'vs the bare Bolt app', 'aim'],
      rows: [
        ['bare Bolt HTTP app with pino (baseline: bench/bare-bolt-app.ts)', `${b.toFixed(0)} MB`, '1.00×', ''],
        ['cordon serve, empty store', `${f.toFixed(0)} MB`, `${(f / b).toFixed(2)}×`, ''],
        [
          `cordon serve holding ${open} open cases`,
          `${l.toFixed(0)} MB`,
          `${(l / b).toFixed(2)}× (${signed(l - f, 0)} MB over the empty store, ${signed(((l - f) * 1024) / open, 1)} KB per case)`,
          `≤ ${AIM_RATIO}× the bare app: ${met ? 'met' : 'MISSED'}`,
        ],
      ],
      ok: open === CASES && Number.isFinite(l) && met,
    };
  } finally {
    await slack.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) runBench(memoryBench);
