import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DEMO_STAGES } from '../../sandbox/demo/demo-runner';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'cordon.js');
const LIMIT_MS = 60_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stdout: string;
  stderr: string;
}

/**
 * `node bin/cordon.js …` (the build `npm test` makes first) as a newcomer runs it: from the
 * checkout, with no AWS or Slack settings at all. HOME and TMPDIR are a fresh directory, so
 * whatever the demo writes lands there.
 */
function cordon(args: string[], home: string): Promise<Run> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: home, TMPDIR: home, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: LIMIT_MS,
    killSignal: 'SIGKILL',
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, ms: Date.now() - t0, stdout, stderr }));
  });
}

interface DemoDoc {
  ok: boolean;
  failedStage?: string;
  error?: string;
  stages: { stage: string; ok: boolean }[];
  caseId?: string;
  reportFiles: string[];
}

/** With --json, stdout is one JSON document and nothing else (the transcript goes to stderr). */
function document(run: Run): DemoDoc {
  const lines = run.stdout.split('\n').filter((l) => l.trim() !== '');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as DemoDoc;
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').pop() ?? '';
}

describe('cordon demo, the built bin in its own process', () => {
  let home: string;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'cordon-demo-bin-'));
  });

  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it(
    'demo --json exits 0 within 60 s, every stage passed, and the report is written',
    async () => {
      const run = await cordon(['demo', '--json'], home);
      expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
      expect(run.ms).toBeLessThan(LIMIT_MS);
      const doc = document(run);
      expect(doc.ok).toBe(true);
      expect(doc.failedStage).toBeUndefined();
      expect(doc.error).toBeUndefined();
      expect(doc.stages).toEqual(DEMO_STAGES.map((stage) => ({ stage, ok: true, ms: expect.any(Number) as number })));
      expect(doc.caseId).toMatch(/^IR-\d{8}-[0-9A-Z]{4,8}$/);
      // The report is where the demo says, inside the fresh TMPDIR.
      expect(doc.reportFiles.map((f) => f.startsWith(home) && existsSync(f))).toEqual([true, true]);
      expect(doc.reportFiles.map((f) => basename(f)).sort()).toEqual([`${doc.caseId!}-phases.png`, `${doc.caseId!}-report.md`]);
      // The transcript (stderr) ran through all stages and ends with where the report is.
      DEMO_STAGES.forEach((_s, i) => expect(run.stderr).toContain(`── ${i + 1}/${DEMO_STAGES.length} `));
      expect(run.stderr).not.toContain('✗ stage');
      expect(lastLine(run.stderr)).toBe(`  report: ${doc.reportFiles[0]!} and ${doc.reportFiles[1]!}`);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    },
    LIMIT_MS + 10_000,
  );

  it(
    'demo --json --break isolate-instances exits 1 and names that stage',
    async () => {
      const run = await cordon(['demo', '--json', '--break', 'isolate-instances'], home);
      expect({ code: run.code, signal: run.signal }).toEqual({ code: 1, signal: null });
      expect(run.ms).toBeLessThan(LIMIT_MS);
      const doc = document(run);
      expect(doc.ok).toBe(false);
      expect(doc.failedStage).toBe('isolate-instances');
      expect(doc.error).toMatch(/isolations applied/);
      expect(doc.stages.map((s) => [s.stage, s.ok])).toEqual([
        ['ingest', true],
        ['contain-user', true],
        ['isolate-instances', false],
      ]);
      expect(doc.reportFiles).toEqual([]);
      expect(lastLine(run.stderr)).toBe(`✗ stage 3 "isolate-instances" failed: ${doc.error!}`);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      // Whatever it wrote stays in its own directory.
      expect(readdirSync(home).every((f) => f.startsWith('cordon-demo-'))).toBe(true);
    },
    LIMIT_MS + 10_000,
  );
});
