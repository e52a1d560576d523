/* Cold start benchmark: `npm run bench:coldstart`. Bundles each Lambda handler with serverless-esbuild's options (esbuild.config.js) and times importing each. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { median, runBench, type BenchSection } from './bench-kit';
import { repoRoot } from './repo-root';
import { readServerlessYaml } from './serverless-yaml';

const ROOT = repoRoot();
const HANDLERS = ['slack', 'findings', 'worker', 'ticker'];
const RUNS = 7;

/** The options serverless-esbuild bundles the functions with; `exclude` is its own (what not to package). */
export function lambdaBuildOptions(): BuildOptions {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const make = require(join(ROOT, 'esbuild.config.js')) as () => BuildOptions & { exclude?: string[] };
  const { exclude: _packagerOnly, ...options } = make();
  return options;
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
    for (const h of HANDLERS) {
      await build({ ...options, entryPoints: [join(ROOT, 'src', 'handlers', `${h}.ts`)], outfile: join(out, `${h}.js`), logLevel: 'silent' });
    }
    const flags = deployedNodeFlags();
    const importMs = (h: string): number => {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const script = `const t=process.hrtime.bigint();require(${JSON.stringify(join(out, `${h}.js`))});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
        times.push(Number(execFileSync(process.execPath, [...flags, '--no-warnings', '-e', script], { encoding: 'utf8' })));
      }
      return median(times);
    };
    // The floor: importing an empty bundle in a fresh process.
    await build({ stdin: { contents: 'module.exports = {};' }, bundle: true, platform: 'node', outfile: join(out, 'empty.js'), logLevel: 'silent' });
    const floor = importMs('empty');
    rows.push(['empty bundle (floor)', '0.00 MB', '', `${floor.toFixed(1)} ms (1.00×)`]);
    let ok = true;
    for (const h of HANDLERS) {
      const mb = statSync(join(out, `${h}.js`)).size / 1024 / 1024;
      const ms = importMs(h);
      // The slack function answers Slack within 3 s; the worker and ticker run jobs and ticks (issue 19 point 5).
      const aimed = h !== 'findings';
      const aim = aimed ? ` (aim < 400 ms: ${ms < 400 ? 'met' : 'MISSED'})` : '';
      if (mb >= 5 || (aimed && ms >= 400)) ok = false;
      rows.push([h, `${mb.toFixed(2)} MB`, mb < 5 ? 'under 5 MB: met' : 'under 5 MB: MISSED', `${ms.toFixed(0)} ms (${(ms / Math.max(floor, 0.1)).toFixed(0)}× the floor)${aim}`]);
    }
    return { title: `Cold start (bundled with serverless-esbuild's options, esbuild.config.js; import time median of ${RUNS} fresh processes, run with ${flags.join(' ') || 'no node flags'} as deployed)`, header: ['bundle', 'size', 'size aim', 'import time'], rows, ok };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (require.main === module) runBench(coldstartBench);
