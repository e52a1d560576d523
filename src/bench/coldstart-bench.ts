/* Cold start benchmark: `npm run bench:coldstart`. Bundles each Lambda handler as serverless-esbuild does and times importing the slack one. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { median, printTable, runBench } from './bench-kit';

const ROOT = join(__dirname, '..', '..');
const HANDLERS = ['slack', 'findings', 'worker', 'ticker'];
const RUNS = 7;

async function main(): Promise<number> {
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
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const script = `const t=process.hrtime.bigint();require(${JSON.stringify(join(out, 'slack.js'))});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
      times.push(Number(execFileSync(process.execPath, ['--no-warnings', '-e', script], { encoding: 'utf8' })));
    }
    const importMs = median(times);
    for (const h of HANDLERS) {
      const mb = statSync(join(out, `${h}.js`)).size / 1024 / 1024;
      rows.push([h, `${mb.toFixed(2)} MB`, mb < 5 ? 'under 5 MB: met' : 'under 5 MB: MISSED', h === 'slack' ? `${importMs.toFixed(0)} ms (aim < 400 ms: ${importMs < 400 ? 'met' : 'MISSED'})` : '']);
    }
    printTable(`Cold start (bundled like serverless-esbuild, minified; import time median of ${RUNS} fresh processes)`, ['bundle', 'size', 'size aim', 'import time'], rows);
    return rows.every((r) => !r.join(' ').includes('MISSED')) ? 0 : 1;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

runBench(main);
