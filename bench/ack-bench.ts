/* Ack latency benchmark: `npm run bench:ack`. Signed `/ir status` to Cordon's Bolt HTTP receiver vs a bare Bolt app. */
import { median, runBench, type BenchSection } from './bench-kit';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { loadConfig } from '../src/config/load-config';
import { buildCordon } from '../src/app/cordon';
import { silentLogger } from '../src/log';
import { startSlack } from '../src/slack/inbound/bolt-app';
import { slackLogger } from '../src/slack/slack-logger';
import { SlackSandbox } from '../sandbox/slack';
import { SANDBOX_SIGNING_SECRET as SECRET, slackHeaders } from '../sandbox/slack/signed-requests';
import { SqliteStore } from '../src/store/sqlite-store';

const REQUESTS = 200;
const WARMUP = 20;

async function measure(url: string, responseUrl: string, channel: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < REQUESTS + WARMUP; i++) {
    const body = new URLSearchParams({ team_id: 'T0SANDBOX', channel_id: channel, user_id: 'U0BENCH', command: '/ir', text: 'status', response_url: responseUrl, trigger_id: `t${i}` }).toString();
    const t0 = performance.now();
    const res = await fetch(url, { method: 'POST', headers: slackHeaders(body), body });
    await res.text();
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    if (i >= WARMUP) out.push(performance.now() - t0);
  }
  return out;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

/** Ack latency of a signed `/ir status`: Cordon next to a bare Bolt app. */
export async function ackBench(): Promise<BenchSection> {
  const slack = await SlackSandbox.start({});
  const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
  const yaml = `
workspace: { teamId: T0SANDBOX }
accounts: [{ id: "111111111111", name: production, environment: production }]
regions: [us-east-1]
containmentRole: { name: CordonContainment, externalId: bench-external-id }
channels: { triage: ${triage} }
poller: { enabled: false }
`;
  const config = loadConfig({ CORDON_CONFIG: 'bench.yaml', SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1' }, () => yaml);
  const cordon = buildCordon(config, silentLogger, { store: SqliteStore.open(':memory:') });
  const front = await startSlack(config, cordon.services(), silentLogger);

  // The floor: a bare Bolt app that only acks the same command.
  const receiver = new HTTPReceiver({ signingSecret: SECRET, logger: slackLogger(silentLogger) });
  const bare = new App({ token: 'xoxb-bench', receiver, logLevel: LogLevel.ERROR, logger: slackLogger(silentLogger), clientOptions: { slackApiUrl: slack.apiUrl } });
  bare.command('/ir', async ({ ack }) => {
    await ack();
  });
  const server = (await receiver.start({ port: 0, host: '127.0.0.1' }));
  const bareUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;

  const rounds: { cordon: number[]; bare: number[] }[] = [];
  for (let r = 0; r < 5; r++) {
    rounds.push({ bare: await measure(bareUrl, slack.responseUrl(), triage), cordon: await measure(`${front.address as string}/slack/events`, slack.responseUrl(), triage) });
  }
  await cordon.worker().inProcess?.idle();
  await front.stop();
  await receiver.stop();
  await slack.close();
  const c50 = median(rounds.map((x) => pct(x.cordon, 50)));
  const c99 = median(rounds.map((x) => pct(x.cordon, 99)));
  const b50 = median(rounds.map((x) => pct(x.bare, 50)));
  const b99 = median(rounds.map((x) => pct(x.bare, 99)));
  const ok = c99 < 300 && c99 <= 1.5 * b99;
  return {
    title: `Ack latency (${REQUESTS} signed /ir status per run, median of 5 runs)`,
    header: ['app', 'p50', 'p99', 'vs bare Bolt'],
    rows: [
      ['bare Bolt (floor)', `${b50.toFixed(2)} ms`, `${b99.toFixed(2)} ms`, '1.00×'],
      ['Cordon', `${c50.toFixed(2)} ms`, `${c99.toFixed(2)} ms`, `p50 ${(c50 / b50).toFixed(2)}×, p99 ${(c99 / b99).toFixed(2)}× (aim p99 < 300 ms and ≤ 1.5×: ${ok ? 'met' : 'MISSED'})`],
    ],
    ok,
  };
}

if (require.main === module) runBench(ackBench);
