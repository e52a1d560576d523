import { execFile } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { pathToFileURL } from 'node:url';
import { entryOutput, lambdaBuildOptions, reachableOutputs } from '../../bench/coldstart-bench';
import { SlackSandbox } from '../../sandbox/slack';
import { SqliteStore } from '../../src/store/sqlite-store';
import { testConfigYaml } from '../support/cli-harness';
import { commandBody, SIGNING_SECRET, slackHeaders } from '../support/slack-requests';

const ROOT = join(__dirname, '..', '..');
const SANDBOX = '222222222222';

/** The AWS side and the receivers the slack function never runs: none of it may be in its bundle. */
const NOT_IN_SLACK = ['@aws-sdk/client-ec2', '@aws-sdk/client-iam', '@aws-sdk/client-guardduty', 'src/containment/playbooks/', 'src/containment/containment-service', 'src/services/guardduty-filters', 'node_modules/undici/', 'node_modules/iconv-lite/', 'node_modules/express/'];

interface Invocation {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Stands in for the Lambda API: records each Invoke and accepts it as an async invocation does. */
async function lambdaApi(): Promise<{ url: string; invocations: Invocation[]; close(): Promise<void> }> {
  const invocations: Invocation[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      invocations.push({ url: req.url ?? '', headers: req.headers, body });
      res.writeHead(202, { 'content-type': 'application/json' }).end('');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, invocations, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('the slack Lambda bundle, built with the deployed esbuild options', () => {
  // Inside the repository, so the one external module (better-sqlite3, for this test's store) resolves.
  mkdirSync(join(ROOT, '.esbuild'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, '.esbuild', 'bundle-test-'));
  let meta: Metafile;
  let bundle: string;

  beforeAll(async () => {
    const out = await build({ ...lambdaBuildOptions(), absWorkingDir: ROOT, entryPoints: [join(ROOT, 'src', 'handlers', 'slack.ts')], outdir: dir, metafile: true, logLevel: 'silent' });
    meta = out.metafile;
    bundle = join(ROOT, entryOutput(meta, 'src/handlers/slack.ts'));
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds none of the AWS side nor the receivers it never constructs', () => {
    const inputs = Object.keys(meta.inputs);
    expect(inputs.some((f) => f.includes('src/handlers/slack.ts'))).toBe(true);
    for (const part of NOT_IN_SLACK) expect(inputs.filter((f) => f.includes(part))).toEqual([]);
    expect(inputs.filter((f) => f.startsWith('cordon-left-out:')).sort()).toEqual(['cordon-left-out:@slack/socket-mode', 'cordon-left-out:express', 'cordon-left-out:raw-body']);
  });

  it('holds no simulator or bench (sandbox/, bench/)', () => {
    expect(Object.keys(meta.inputs).filter((f) => /^(sandbox|bench)\//.test(f))).toEqual([]);
  });

  it('answers a signed /ir contain in a fresh process and hands the plan to the worker function, making no AWS call of its own', async () => {
    const slack = await SlackSandbox.start({});
    const lambda = await lambdaApi();
    try {
      slack.addUser({ id: 'U0RESP', name: 'resp' });
      const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT', 'U0RESP'] });
      writeFileSync(join(dir, 'cordon.config.yaml'), testConfigYaml({ triageChannel: triage, invite: ['U0RESP'], extra: 'access:\n  users: { U0RESP: responder }' }));
      const target = `arn:aws:ec2:us-east-1:${SANDBOX}:instance/i-0123456789abcdef0`;
      const body = commandBody({ text: `contain ${target}`, user: 'U0RESP', channel: triage, responseUrl: slack.responseUrl() });
      const event = { version: '2.0', routeKey: 'POST /slack/events', rawPath: '/slack/events', rawQueryString: '', headers: slackHeaders(body), body, isBase64Encoded: false, requestContext: { http: { method: 'POST', path: '/slack/events' } } };
      // As Lambda loads an ES module handler.
      const script = `import(${JSON.stringify(pathToFileURL(bundle).href)}).then((m) => m.handler(JSON.parse(process.env.EVENT), {})).then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`;
      const env = {
        PATH: process.env.PATH ?? '',
        EVENT: JSON.stringify(event),
        CORDON_CONFIG: join(dir, 'cordon.config.yaml'),
        CORDON_STORE: `sqlite:${join(dir, 'cordon.db')}`,
        CORDON_WORKER_FUNCTION: 'cordon-test-worker',
        SLACK_BOT_TOKEN: 'xoxb-test',
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        LOG_LEVEL: 'silent',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        // Every AWS service but Lambda points at a closed port: a call to one would fail the request.
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        AWS_ENDPOINT_URL_LAMBDA: lambda.url,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      };
      const run = await promisify(execFile)(process.execPath, ['--enable-source-maps', '-e', script], { env, timeout: 20_000 });
      expect(JSON.parse(run.stdout)).toMatchObject({ statusCode: 200 });

      const store = SqliteStore.open(join(dir, 'cordon.db'));
      let caseId: string;
      try {
        const cases = await store.listCases({});
        expect(cases).toHaveLength(1);
        caseId = cases[0]!.id;
        const jobs = lambda.invocations.map((i) => {
          expect(i.url).toBe('/2015-03-31/functions/cordon-test-worker/invocations');
          expect(i.headers['x-amz-invocation-type']).toBe('Event');
          return (JSON.parse(i.body) as { cordonJob: { type: string; request?: { target: string; caseId: string } } }).cordonJob;
        });
        expect(jobs.filter((j) => j.type === 'plan')).toEqual([expect.objectContaining({ request: expect.objectContaining({ target, requestedBy: 'U0RESP', caseId }) as unknown })]);
        expect(await store.listActions({})).toEqual([]);
      } finally {
        await store.close();
      }
      expect(slack.ephemerals().map((e) => e.text)).toEqual([expect.stringContaining(`Planning containment of \`${target}\` in case ${caseId}`) as unknown]);
    } finally {
      await lambda.close();
      await slack.close();
    }
  }, 60_000);
});


describe('the worker and ticker Lambda bundles, built with the deployed esbuild options', () => {
  /** What only a job that needs it may load: each is parsed at no cold start. */
  const LAZY = ['src/containment/playbooks/ec2-instance.ts', 'src/containment/playbooks/iam-user.ts', 'src/containment/playbooks/iam-role.ts', 'src/containment/playbooks/lambda-function.ts', 'src/containment/playbooks/access-key.ts'];
  // Not Lambda's: its client is at start in every function, for the job queue's Invoke (src/jobs/lambda-queue.ts).
  const LAZY_CLIENTS = ['@aws-sdk/client-ec2/', '@aws-sdk/client-iam/', '@aws-sdk/client-guardduty/', '@aws-sdk/client-auto-scaling/', '@aws-sdk/client-sts/'];

  it.each(['worker', 'ticker'])('the %s bundle starts without any playbook or member-account SDK client, and can load each', async (fn) => {
    const { metafile } = await build({ ...lambdaBuildOptions(), absWorkingDir: ROOT, entryPoints: [join(ROOT, 'src', 'handlers', `${fn}.ts`)], outdir: join(ROOT, '.esbuild', `split-${fn}`), write: false, metafile: true, logLevel: 'silent' });
    const reach = reachableOutputs(metafile, entryOutput(metafile, `src/handlers/${fn}.ts`));
    const inputsOf = (outputs: string[]) => outputs.flatMap((o) => Object.entries(metafile.outputs[o]!.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([f]) => f));
    const atStart = inputsOf(reach.static);
    expect(atStart.some((f) => f.includes('src/handlers/'))).toBe(true);
    for (const part of [...LAZY, ...LAZY_CLIENTS]) expect(atStart.filter((f) => f.includes(part))).toEqual([]);
    const loadable = inputsOf(reach.all);
    for (const part of [...LAZY, ...LAZY_CLIENTS]) expect(loadable.some((f) => f.includes(part))).toBe(true);
  }, 60_000);
});
