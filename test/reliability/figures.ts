import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes what a reliability test measured, for docs/reliability.md (`test-results/reliability/<name>.json`). */
export function recordFigures(name: string, figures: Record<string, unknown>): void {
  const dir = join(__dirname, '..', '..', 'test-results', 'reliability');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify({ measuredAt: new Date().toISOString(), ...figures }, null, 2)}\n`);
}
