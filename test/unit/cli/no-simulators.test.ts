import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

// Reads the built output (dist/), which `npm test` builds first (pretest).
const ROOT = join(__dirname, '..', '..', '..');

/** The module bin/cordon.js requires, read from bin/cordon.js itself so the test follows it if it moves. */
function cliEntry(): string {
  const bin = readFileSync(join(ROOT, 'bin', 'cordon.js'), 'utf8');
  const m = /require\('(\.\.\/dist\/[^']+)'\)/.exec(bin);
  if (!m?.[1]) throw new Error('bin/cordon.js requires no ../dist/ module');
  return join(ROOT, 'bin', m[1]);
}

/** Every module (relative to the repository) a fresh Node process has loaded after requiring `file`. */
function loadedBy(file: string): string[] {
  if (!existsSync(file)) throw new Error(`${relative(ROOT, file)} is not built: run npm run build`);
  const script = `require(${JSON.stringify(file)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const out = execFileSync(process.execPath, ['-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return (JSON.parse(out) as string[]).map((p) => relative(ROOT, p).split(sep).join('/'));
}

/** The simulators and benches, built or as source: the product must not load them. */
const simulatorModules = (loaded: string[]): string[] => loaded.filter((p) => /^(dist\/)?(sandbox|bench)\//.test(p));

describe('the product loads no simulator', () => {
  it('requiring the CLI entry bin/cordon.js loads (serve, check, every command but demo) brings in no sandbox/ or bench/ module', () => {
    const entry = cliEntry();
    const loaded = loadedBy(entry);
    expect(loaded).toContain(relative(ROOT, entry).split(sep).join('/'));
    expect(simulatorModules(loaded)).toEqual([]);
  });

  it.each(['slack', 'findings', 'worker', 'ticker'])('the %s Lambda handler loads no sandbox/ or bench/ module', (handler) => {
    expect(simulatorModules(loadedBy(join(ROOT, 'dist', 'src', 'handlers', `${handler}.js`)))).toEqual([]);
  });

  it('would see them if they were loaded: the demo runner, which cordon demo imports lazily, does load the simulators', () => {
    const loaded = simulatorModules(loadedBy(join(ROOT, 'dist', 'sandbox', 'demo', 'demo-runner.js')));
    expect(loaded).toEqual(expect.arrayContaining(['dist/sandbox/demo/demo-runner.js', 'dist/sandbox/aws/index.js', 'dist/sandbox/slack/index.js']));
  });
});
