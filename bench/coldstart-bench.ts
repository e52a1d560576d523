/* Cold start benchmark: `npm run bench:coldstart`. Bundles each Lambda handler with serverless-esbuild's options (esbuild.config.js) and times importing each. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { median, runBench, type BenchSection } from './bench-kit';
import { repoRoot } from './repo-root';
import { readServerlessYaml } from './serverless-yaml';

const ROOT = repoRoot();
const HANDLERS = ['slack', 'findings', 'worker', 'ticker'];
const RUNS = 7;

/**
 * The options serverless-esbuild bundles the functions with, as it hands them to esbuild:
 * `exclude` is its own (what not to package) and it turns `outputFileExtension` into
 * `outExtension`. Code splitting is on: build with `outdir`, not `outfile`.
 */
export function lambdaBuildOptions(): BuildOptions {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const make = require(join(ROOT, 'esbuild.config.js')) as () => BuildOptions & { exclude?: string[]; outputFileExtension?: string };
  const { exclude: _packagerOnly, outputFileExtension, ...options } = make();
  return { ...options, ...(outputFileExtension && outputFileExtension !== '.js' ? { outExtension: { '.js': outputFileExtension } } : {}) };
}

/** The output file of an entry point in a metafile (its path as the metafile names it). */
export function entryOutput(meta: Metafile, entry: string): string {
  const found = Object.entries(meta.outputs).find(([, o]) => o.entryPoint?.endsWith(entry));
  if (!found) throw new Error(`no output for ${entry}`);
  return found[0];
}

/**
 * The output files a bundle can load, starting from one: `static` are those loaded with it at
 * every cold start (its static imports, transitively); `all` adds what dynamic imports may load.
 */
export function reachableOutputs(meta: Metafile, from: string): { static: string[]; all: string[] } {
  const walk = (kinds: ReadonlySet<string>): string[] => {
    const seen = new Set<string>([from]);
    const todo = [from];
    for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
      for (const i of meta.outputs[f]?.imports ?? []) {
        if (i.external || !kinds.has(i.kind) || seen.has(i.path)) continue;
        seen.add(i.path);
        todo.push(i.path);
      }
    }
    return [...seen];
  };
  return { static: walk(new Set(['import-statement'])), all: walk(new Set(['import-statement', 'dynamic-import'])) };
}

/** The node flags the functions run with (serverless.yml's NODE_OPTIONS): source maps cost load time too. */
function deployedNodeFlags(): string[] {
  const options = readServerlessYaml<{ provider: { environment?: { NODE_OPTIONS?: string } } }>().provider.environment?.NODE_OPTIONS;
  return options ? options.trim().split(/\s+/) : [];
}

/** Each Lambda bundle's size and the time a fresh process takes to import it. */
export async function coldstartBench(): Promise<BenchSection> {
  const out = mkdtempSync(join(tmpdir(), 'cordon-cold-'));
  try {
    const rows: string[][] = [];
    const options = lambdaBuildOptions();
    const bundles = new Map<string, { file: string; startMb: number; allMb: number }>();
    for (const h of HANDLERS) {
      // One build per function, as serverless-esbuild does (package individually).
      const dir = join(out, h);
      const { metafile } = await build({ ...options, absWorkingDir: ROOT, entryPoints: [join(ROOT, 'src', 'handlers', `${h}.ts`)], outdir: dir, metafile: true, logLevel: 'silent' });
      const entry = entryOutput(metafile, `src/handlers/${h}.ts`);
      const reach = reachableOutputs(metafile, entry);
      const mb = (files: string[]): number => files.reduce((n, f) => n + (metafile.outputs[f]?.bytes ?? 0), 0) / 1024 / 1024;
      bundles.set(h, { file: join(ROOT, entry), startMb: mb(reach.static), allMb: mb(reach.all) });
    }
    const flags = deployedNodeFlags();
    const timeIn = (script: string): number => {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) times.push(Number(execFileSync(process.execPath, [...flags, '--no-warnings', '-e', script], { encoding: 'utf8' })));
      return median(times);
    };
    // As Lambda's runtime loads an .mjs handler: a dynamic import.
    const importMs = (file: string): number =>
      timeIn(`const t=process.hrtime.bigint();import(${JSON.stringify(pathToFileURL(file).href)}).then(()=>process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6)))`);
    // The floor: importing an empty bundle in a fresh process.
    await build({ stdin: { contents: 'export {};' }, bundle: true, format: 'esm', platform: 'node', outfile: join(out, 'empty.mjs'), logLevel: 'silent' });
    const floor = importMs(join(out, 'empty.mjs'));
    rows.push(['empty bundle (floor)', '0.00 MB', '', '', `${floor.toFixed(1)} ms (1.00×)`]);
    // How loaded the machine is: a module every reader can time on their own machine, unbundled.
    const reference = timeIn(`const t=process.hrtime.bigint();require('@aws-sdk/client-ec2');process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`);
    rows.push(["reference: `require('@aws-sdk/client-ec2')` from node_modules, not bundled (shows the machine's load)", '', '', '', `${reference.toFixed(0)} ms`]);
    let ok = true;
    for (const h of HANDLERS) {
      const b = bundles.get(h)!;
      const ms = importMs(b.file);
      // The slack function answers Slack within 3 s; the worker and ticker run jobs and ticks (issue 19 point 5).
      const aimed = h !== 'findings';
      const aim = aimed ? ` (aim < 400 ms: ${ms < 400 ? 'met' : 'MISSED'})` : '';
      if (b.allMb >= 5 || (aimed && ms >= 400)) ok = false;
      rows.push([h, `${b.startMb.toFixed(2)} MB`, `${b.allMb.toFixed(2)} MB`, b.allMb < 5 ? 'under 5 MB: met' : 'under 5 MB: MISSED', `${ms.toFixed(0)} ms (${(ms / Math.max(floor, 0.1)).toFixed(0)}× the floor)${aim}`]);
    }
    return {
      title: `Cold start (bundled with serverless-esbuild's options, esbuild.config.js: ESM, split at each dynamic import; import time median of ${RUNS} fresh processes, run with ${flags.join(' ') || 'no node flags'} as deployed)`,
      header: ['bundle', 'parsed at start (entry + static chunks)', 'with every lazy chunk', 'size aim', 'import time'],
      rows,
      ok,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (require.main === module) runBench(coldstartBench);
