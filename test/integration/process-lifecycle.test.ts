import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SlackSandbox } from '../../sandbox/slack';
import { makeFindingDetail, toEventBridgeEvent } from '../../sandbox/findings/finding-factory';
import { SqliteStore } from '../../src/store/sqlite-store';
import { testConfigYaml, testWorkspace } from '../support/cli-harness';

const BIN = join(__dirname, '..', '..', 'bin', 'cordon.js');

/** Runs the built `cordon` bin (npm test builds it first) as its own process. */
function cordon(args: string[], env: Record<string, string>, nodeArgs: string[] = []): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out });
}

function exit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the cordon process', () => {
  it('npm start without Slack tokens exits 2 naming the missing variables, without a stack trace', async () => {
    const ws = testWorkspace(testConfigYaml({ triageChannel: 'C0TRIAGE' }));
    const child = cordon(['serve'], ws.env);
    expect(await exit(child)).toBe(2);
    expect(child.output()).toMatch(/missing environment variable SLACK_BOT_TOKEN/);
    expect(child.output()).toMatch(/SLACK_SIGNING_SECRET \(HTTP mode\) or SLACK_APP_TOKEN/);
    expect(child.output()).not.toMatch(/\n\s+at /);
  });

  it('names a bad config key and exits 2', async () => {
    const ws = testWorkspace(testConfigYaml({ triageChannel: 'not-a-channel-id' }));
    const child = cordon(['check'], ws.env);
    expect(await exit(child)).toBe(2);
    expect(child.output()).toMatch(/channels\.triage: a Slack channel id looks like C0123ABCD/);
  });

  it('survives SIGKILL: cases and links persist, and the same file again creates nothing', async () => {
    const slack = await SlackSandbox.start({});
    try {
      const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
      const ws = testWorkspace(testConfigYaml({ triageChannel: triage, extra: 'poller: { enabled: false }' }));
      const env = { ...ws.env, SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'test-signing-secret-0123456789', SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' };
      const file = join(ws.dir, 'events.json');
      writeFileSync(file, JSON.stringify([1, 2, 3].map((i) => toEventBridgeEvent(makeFindingDetail({ accessKeyId: 'AKIAKILL000000000001', userName: 'victim', type: `Recon:IAMUser/Probe${i}` })))));

      const serve = cordon(['serve'], env);
      await until(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(serve.output()), 'serve to listen');
      const ingest = cordon(['ingest', file, '--json'], env);
      expect(await exit(ingest)).toBe(0);
      const channels = slack.channels().filter((c) => c.name.startsWith('ir-'));
      expect(channels).toHaveLength(1);
      serve.kill('SIGKILL');
      await exit(serve);

      const store = SqliteStore.open(String(ws.env.CORDON_STORE).slice('sqlite:'.length));
      const [c] = await store.listCases();
      expect(c?.channelId).toBe(channels[0]!.id);
      expect(await store.listFindings({ caseId: c!.id })).toHaveLength(3);
      await store.close();

      const posts = slack.calls('chat.postMessage').length;
      const again = cordon(['ingest', file, '--json'], env);
      expect(await exit(again)).toBe(0);
      expect(JSON.parse(again.output().split('\n').find((l) => l.startsWith('{')) ?? '{}')).toMatchObject({ newFindings: 0, unchanged: 3, casesOpened: [] });
      const restarted = cordon(['serve'], env);
      await until(() => /listening on/.test(restarted.output()), 'the restart to listen');
      restarted.kill('SIGTERM');
      expect(await exit(restarted)).toBe(0);
      expect(slack.calls('chat.postMessage')).toHaveLength(posts);
      expect(slack.channels().filter((x) => x.name.startsWith('ir-'))).toHaveLength(1);
    } finally {
      await slack.close();
    }
  }, 60_000);

  it('serve, once listening and ticking, has loaded no simulator, no playbook and no AWS SDK client (issue 19 point 6)', async () => {
    const slack = await SlackSandbox.start({});
    try {
      const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
      const ws = testWorkspace(testConfigYaml({ triageChannel: triage, extra: 'poller: { enabled: false }' }));
      const env = { ...ws.env, SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'test-signing-secret-0123456789', SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' };
      // Writes the modules the process has loaded when asked (SIGUSR2).
      const preload = join(ws.dir, 'modules-on-signal.js');
      const list = join(ws.dir, 'modules.json');
      writeFileSync(preload, `process.on('SIGUSR2', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(Object.keys(require.cache))));`);
      const serve = cordon(['serve'], env, ['--require', preload]);
      await until(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(serve.output()), 'serve to listen');
      // A clock tick or two (every 3 s) runs too.
      await new Promise((r) => setTimeout(r, 3500));
      serve.kill('SIGUSR2');
      await until(() => existsSync(list), 'the module list');
      serve.kill('SIGTERM');
      expect(await exit(serve)).toBe(0);
      const loaded = (JSON.parse(readFileSync(list, 'utf8')) as string[]).map((f) => f.replace(/\\/g, '/'));
      expect(loaded.some((f) => f.endsWith('dist/src/cli/main.js'))).toBe(true);
      expect(loaded.filter((f) => /\/dist\/sandbox\/|\/containment\/playbooks\/(?!index)|node_modules\/@aws-sdk\/client-/.test(f))).toEqual([]);
    } finally {
      await slack.close();
    }
  }, 30_000);
});
