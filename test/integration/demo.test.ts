import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { breakStage, DEMO_STAGES, runDemo } from '../../sandbox/demo/demo-runner';
import { runCli } from '../support/cli-harness';

describe('npm run demo', () => {
  it('replays the attack end to end, checks every stage and writes the report', async () => {
    const lines: string[] = [];
    const out = mkdtempSync(join(tmpdir(), 'cordon-demo-test-'));
    const t0 = Date.now();
    const r = await runDemo({ print: (l) => lines.push(l), outDir: out });
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(r.stages.map((s) => [s.stage, s.ok])).toEqual(DEMO_STAGES.map((s) => [s, true]));
    expect(r.numbers).toMatchObject({ findings: 7, cases: 1, actions: 4, applied: 4, reverted: 1 });
    // Acknowledge, like contain and resolve, is measured from detection (issue 18 point 7).
    expect(r.numbers!.metrics).toMatchObject({ timeToAcknowledgeMs: 22.5 * 60_000, timeToContainMs: 14 * 60_000, timeToResolveMs: 62 * 60_000 });
    expect(r.reportFiles.map((f) => f.slice(out.length + 1)).sort()).toEqual([`${r.caseId}-phases.png`, `${r.caseId}-report.md`]);
    expect(readFileSync(join(out, `${r.caseId}-report.md`), 'utf8')).toContain('| Time to contain | 14m 00s (840 s) |');
    const text = lines.join('\n');
    // The transcript shows channels, threads and the numbers.
    expect(text).toMatch(/#ir-\d{8}-[0-9a-z]{4}-stealth-iamuser-cloudtrailloggingdisabled-bridge/);
    expect(text).toContain('↳ ✓ Deactivate access key');
    expect(text).toContain('time to acknowledge 22m 30s · to contain 14m 00s · to resolve 1h 02m 00s');
  });

  it.each(DEMO_STAGES.map((s, i) => [s, i + 1] as const))('says so and fails when stage "%s" breaks', async (stage, n) => {
    const lines: string[] = [];
    const r = await runDemo({ print: (l) => lines.push(l), beforeStage: (s, w) => s === stage && breakStage(s, w) });
    expect(r.ok).toBe(false);
    expect(r.failedStage).toBe(stage);
    expect(r.stages.filter((s) => s.ok).map((s) => s.stage)).toEqual(DEMO_STAGES.slice(0, n - 1));
    expect(lines.join('\n')).toContain(`✗ stage ${n} "${stage}" failed: `);
  });

  it('cordon demo exits 0, 1 when a stage breaks, 2 for a stage that does not exist', async () => {
    const out = mkdtempSync(join(tmpdir(), 'cordon-demo-cli-'));
    const ok = await runCli(['demo', '--out', out, '--json'], {});
    expect(ok.code).toBe(0);
    const doc = JSON.parse(ok.out) as { ok: boolean; caseId: string; reportFiles: string[] };
    expect(doc.ok).toBe(true);
    expect(doc.reportFiles.every((f) => existsSync(f))).toBe(true);

    const broken = await runCli(['demo', '--break', 'revert'], {});
    expect(broken.code).toBe(1);
    expect(broken.err).toContain('cordon: demo failed at stage "revert": expected the isolation of build-3 is reverted (revert_failed)');

    const bad = await runCli(['demo', '--break', 'lunch'], {});
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('"lunch" is not a demo stage; one of ingest, contain-user');
  });
});
