import { Worker } from 'node:worker_threads';
import { slackHeaders } from './signed-requests';

/** One slash command, delivered `atMs` after the round starts. */
export interface TimedCommand {
  atMs: number;
  body: string;
}

/** What Slack saw of one delivery: the HTTP status and how long the ack took (ms). */
export interface CommandAck {
  status: number;
  ms: number;
}

/*
 * Runs in its own thread: Slack delivers slash commands from its own machines
 * (https://api.slack.com/interactivity/slash-commands#app_command_handling: an HTTP POST
 * per invocation, which must be answered within 3 seconds). Sending from the process under
 * test would put the sender's timers, connects and response parsing on Cordon's event loop,
 * so the ack time would measure the sender as much as Cordon. Plain JS (eval'd): it runs
 * the same under jest and from dist.
 */
const SENDER = `
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const start = performance.now();
Promise.all(workerData.commands.map(async (c) => {
  await new Promise((r) => setTimeout(r, Math.max(0, start + c.atMs - performance.now())));
  const t0 = performance.now();
  try {
    // A fresh connection each time, as Slack's deliveries come (and as postSigned does).
    const res = await fetch(workerData.url, { method: 'POST', headers: { ...c.headers, connection: 'close' }, body: c.body });
    await res.text();
    return { status: res.status, ms: performance.now() - t0 };
  } catch (err) {
    return { status: 0, ms: performance.now() - t0, error: String(err) };
  }
})).then((acks) => parentPort.postMessage(acks), (err) => parentPort.postMessage({ error: String(err) }));
`;

/**
 * Delivers signed slash commands to `url` from a separate thread, each at its `atMs`, as
 * Slack does (a new connection each); resolves with each ack in the order given. Signed
 * here, before the round starts.
 */
export async function sendCommands(url: string, commands: TimedCommand[]): Promise<CommandAck[]> {
  const payload = commands.map((c) => ({ atMs: c.atMs, body: c.body, headers: slackHeaders(c.body) }));
  const worker = new Worker(SENDER, { eval: true, workerData: { url, commands: payload } });
  try {
    const out = await new Promise<unknown>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (!Array.isArray(out)) throw new Error(`command sender failed: ${JSON.stringify(out)}`);
    return out as CommandAck[];
  } finally {
    await worker.terminate();
  }
}
