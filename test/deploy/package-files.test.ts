import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';

// What `npm pack` would put in the tarball (package.json `files`), from the built dist (pretest builds it).
const ROOT = join(__dirname, '..', '..');

interface PackResult {
  files: { path: string }[];
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

/** The package a require specifier names (`@scope/name/sub` -> `@scope/name`), or undefined for a relative path or a Node builtin. */
function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!)) return undefined;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Every `require("…")` in a built file (tsc turns imports, dynamic ones too, into require calls). */
const requiresIn = (file: string): string[] => [...readFileSync(join(ROOT, file), 'utf8').matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);

describe('npm pack', () => {
  let files: string[];

  beforeAll(async () => {
    // --ignore-scripts: `prepare` would rebuild (and first delete) dist under the other suites.
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir() };
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '--offline'], { cwd: ROOT, env, timeout: 60_000 });
    files = (JSON.parse(stdout) as PackResult[])[0]!.files.map((f) => f.path);
  }, 90_000);

  it('holds the product: the built CLI, bin, the manifests and serverless.yml with the esbuild options it reads', () => {
    expect(files).toEqual(expect.arrayContaining(['dist/src/cli/main.js', 'bin/cordon.js', 'serverless.yml', 'esbuild.config.js', 'package.json', 'README.md', 'cordon.config.example.yaml', 'LICENSE', 'CHANGELOG.md', 'SECURITY.md', 'docs/architecture.md']));
    expect(files.filter((f) => f.startsWith('manifests/slack/'))).not.toEqual([]);
    expect(files.filter((f) => f.startsWith('manifests/aws/'))).not.toEqual([]);
    // serverless.yml names its handlers by source path (src/handlers/*.ts); serverless-esbuild bundles those.
    expect(files).toEqual(expect.arrayContaining(['src/handlers/slack.ts', 'src/handlers/findings.ts', 'src/handlers/worker.ts', 'src/handlers/ticker.ts']));
  });

  it('holds no tests, no benches and not the dev-only local DynamoDB', () => {
    expect(files.filter((f) => /^(test|bench|dist\/bench|dist\/test|sandbox|dist\/sandbox\/dynamodb|dist\/sandbox\/findings)\//.test(f))).toEqual([]);
    expect(files.filter((f) => /\.test\.(ts|js)(\.map)?$/.test(f))).toEqual([]);
  });

  it('holds every module a packed file requires by relative path (what cordon demo loads from dist/sandbox included)', () => {
    const packed = new Set(files);
    const missing: string[] = [];
    for (const file of files.filter((f) => f.startsWith('dist/') && f.endsWith('.js'))) {
      for (const spec of requiresIn(file).filter((s) => s.startsWith('.'))) {
        const target = posix.normalize(posix.join(posix.dirname(file), spec));
        if (![target, `${target}.js`, `${target}/index.js`].some((t) => packed.has(t))) missing.push(`${file} -> ${spec}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('needs no dev dependency at run time: every package a packed dist file requires is a dependency', () => {
    const offending = (list: string[]) =>
      list.flatMap((file) =>
        requiresIn(file)
          .map(packageOf)
          .filter((p): p is string => p !== undefined && !(p in pkg.dependencies))
          .map((p) => `${file} -> ${p}${p in pkg.devDependencies ? ' (a devDependency)' : ''}`),
      );
    expect(offending(files.filter((f) => f.startsWith('dist/') && f.endsWith('.js')))).toEqual([]);
    // The scan sees such a require where one is: the local DynamoDB (left out above) needs dynalite.
    expect(offending(['dist/sandbox/dynamodb/local-dynamodb.js'])).toEqual(['dist/sandbox/dynamodb/local-dynamodb.js -> dynalite (a devDependency)']);
  });
});
