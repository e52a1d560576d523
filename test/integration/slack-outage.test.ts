import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SlackSandbox } from '../../sandbox/slack';
import { makeFindingDetail, toEventBridgeEvent } from '../../sandbox/findings/finding-factory';
import { runCli, testConfigYaml, testWorkspace } from '../support/cli-harness';

// Issue 16 points 12 and 13, tried as an operator would: the built `cordon` bin in its own
// process, Slack unreachable (nothing listens on its URL) or refusing the token.

const BIN = join(__dirname, '..', '..', 'bin', 'cordon.js');
const SECRET = 'test-signing-secret-0123456789';

function cordon(args: string[], env: Record<string, string>): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out });
}

function exit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A loopback URL nothing listens on: a sandbox started and closed again, its port free. */
async function deadSlack(): Promise<{ url: string; port: number }> {
  const s = await SlackSandbox.start({});
  const url = s.apiUrl;
  await s.close();
  return { url, port: Number(new URL(url).port) };
}

async function healthz(output: string): Promise<{ status: number; body: { ok: boolean; slack: { status: string; error?: string } } }> {
  const address = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  if (!address) throw new Error('not listening');
  const res = await fetch(`${address}/healthz`);
  return { status: res.status, body: (await res.json()) as { ok: boolean; slack: { status: string; error?: string } } };
}

/** Log lines at error level (pino: 50) that say what happened to Slack. */
function slackErrorLines(output: string): string[] {
  return output.split('\n').filter((l) => l.includes('"level":50') && l.includes('Slack unreachable'));
}

describe('cordon serve when Slack is down or refuses the token', () => {
  it('exits 2 naming SLACK_BOT_TOKEN and the Slack error when Slack answers invalid_auth, with no unhandled rejection', async () => {
    const slack = await SlackSandbox.start({});
    try {
      const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
      // Slack refuses a revoked or mistyped xoxb- token with invalid_auth on every method
      // (https://api.slack.com/methods/auth.test#errors); the sandbox takes any xoxb- token, so the refusal is injected.
      slack.failNext('auth.test', 'invalid_auth', 20);
      const ws = testWorkspace(testConfigYaml({ triageChannel: triage, extra: 'poller: { enabled: false }' }));
      const env = { ...ws.env, SLACK_BOT_TOKEN: 'xoxb-revoked', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' };
      const serve = cordon(['serve'], env);
      expect(await exit(serve)).toBe(2);
      const out = serve.output();
      expect(out).toMatch(/env SLACK_BOT_TOKEN: Slack answered invalid_auth to auth\.test/);
      expect(out).not.toMatch(/unhandled|UnhandledPromiseRejection/i);
      expect(out).not.toMatch(/\n\s+at /);
      // It never started listening with a token Slack refuses.
      expect(out).not.toMatch(/listening on/);

      const check = cordon(['check'], env);
      expect(await exit(check)).toBe(2);
      expect(check.output()).toMatch(/env SLACK_BOT_TOKEN: Slack answered invalid_auth/);
    } finally {
      await slack.close();
    }
  }, 30_000);

  it('HTTP mode: one error line naming the URL at start, /healthz says slack degraded, SIGTERM stops it within 5 s mid-flush, and the stored case is posted on the next start', async () => {
    const dead = await deadSlack();
    // The triage channel of the Slack that comes back: same sandbox, same first channel id.
    const probe = await SlackSandbox.start({});
    const triage = probe.addChannel({ name: 'security-triage', members: ['UBOT'] });
    await probe.close();
    const ws = testWorkspace(testConfigYaml({ triageChannel: triage, extra: 'poller: { enabled: false }' }));
    const env = { ...ws.env, SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: dead.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' };

    // A finding taken in while Slack is away (stored only: no token for this run).
    const file = join(ws.dir, 'events.json');
    writeFileSync(file, JSON.stringify([toEventBridgeEvent(makeFindingDetail({ accessKeyId: 'AKIAOUTAGE0000000001', userName: 'victim' }))]));
    const { SLACK_BOT_TOKEN: _token, ...noSlack } = env;
    expect((await runCli(['ingest', file, '--json'], { ...noSlack, LOG_LEVEL: 'silent' })).code).toBe(0);

    const serve = cordon(['serve'], env);
    try {
      await until(() => /listening on/.test(serve.output()), 'serve to listen');
      const lines = slackErrorLines(serve.output());
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`Slack unreachable at ${dead.url} (ECONNREFUSED)`);
      expect(lines[0]).toContain('Cordon keeps running');
      const health = await healthz(serve.output());
      expect(health.status).toBe(200);
      expect(health.body.slack).toMatchObject({ status: 'degraded', error: 'ECONNREFUSED' });

      // The clock's first flush is now inside WebClient's retries (half an hour of them).
      await new Promise((r) => setTimeout(r, 500));
      const asked = Date.now();
      serve.kill('SIGTERM');
      expect(await exit(serve)).toBe(0);
      expect(Date.now() - asked).toBeLessThan(5000);
      // It was held by the flush: the stop did not wait for it.
      expect(serve.output()).toMatch(/stopped without waiting for work in flight/);
    } finally {
      serve.kill('SIGKILL');
    }

    // Slack is back at the same URL: the case stored while it was away is posted.
    const slack = await SlackSandbox.start({ port: dead.port });
    try {
      expect(slack.addChannel({ name: 'security-triage', members: ['UBOT'] })).toBe(triage);
      const again = cordon(['serve'], env);
      try {
        await until(() => slack.channels().some((c) => c.name.startsWith('ir-')), 'the case channel after Slack came back');
        const ch = slack.channels().find((c) => c.name.startsWith('ir-'))!;
        await until(() => slack.pins(ch.id).length === 1, 'the pinned case card');
        expect((await healthz(again.output())).body.slack.status).toBe('ok');
        expect(slackErrorLines(again.output())).toHaveLength(0);
        again.kill('SIGINT');
        expect(await exit(again)).toBe(0);
      } finally {
        again.kill('SIGKILL');
      }
    } finally {
      await slack.close();
    }
  }, 60_000);

  it('Socket Mode: start does not wait for Slack, and SIGINT stops it within 5 s while the Socket Mode client is still retrying', async () => {
    const dead = await deadSlack();
    const ws = testWorkspace(testConfigYaml({ triageChannel: 'C0TRIAGE00', extra: 'poller: { enabled: false }' }));
    const env = { ...ws.env, SLACK_BOT_TOKEN: 'xoxb-test', SLACK_APP_TOKEN: 'xapp-test', SLACK_API_URL: dead.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' };
    const serve = cordon(['serve'], env);
    try {
      await until(() => /connecting to Slack over Socket Mode/.test(serve.output()), 'serve to start');
      expect(slackErrorLines(serve.output())).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 500));
      const asked = Date.now();
      serve.kill('SIGINT');
      expect(await exit(serve)).toBe(0);
      expect(Date.now() - asked).toBeLessThan(5000);
    } finally {
      serve.kill('SIGKILL');
    }
  }, 30_000);
});
