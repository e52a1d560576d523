/* Cold start benchmark: `npm run bench:coldstart`. Bundles each Lambda handler as serverless-esbuild does and times importing the slack one. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { median, runBench, type BenchSection } from './bench-kit';

const ROOT = join(__dirname, '..', '..');
const HANDLERS = ['slack', 'findings', 'worker', 'ticker'];
const RUNS = 7;

/** Each Lambda bundle's size and the time a fresh process takes to import it. */
export async function coldstartBench(): Promise<BenchSection> {
  const out = mkdtempSync(join(tmpdir(), 'cordon-cold-'));
  try {
    const rows: string[][] = [];
    for (const h of HANDLERS) {
      await build({
        entryPoints: [join(ROOT, 'src', 'handlers', `${h}.ts`)],
        bundle: true,
        minify: true,
        platform: 'node',
        target: 'node20',
        outfile: join(out, `${h}.js`),
        external: ['better-sqlite3'],
        logLevel: 'silent',
      });
    }
    const importMs = (h: string): number => {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const script = `const t=process.hrtime.bigint();require(${JSON.stringify(join(out, `${h}.js`))});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
        times.push(Number(execFileSync(process.execPath, ['--no-warnings', '-e', script], { encoding: 'utf8' })));
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
      const aim = h === 'slack' ? ` (aim < 400 ms: ${ms < 400 ? 'met' : 'MISSED'})` : '';
      if (mb >= 5 || (h === 'slack' && ms >= 400)) ok = false;
      rows.push([h, `${mb.toFixed(2)} MB`, mb < 5 ? 'under 5 MB: met' : 'under 5 MB: MISSED', `${ms.toFixed(0)} ms (${(ms / Math.max(floor, 0.1)).toFixed(0)}× the floor)${aim}`]);
    }
    return { title: `Cold start (bundled like serverless-esbuild, minified; import time median of ${RUNS} fresh processes)`, header: ['bundle', 'size', 'size aim', 'import time'], rows, ok };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (require.main === module) runBench(coldstartBench);
