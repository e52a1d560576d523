import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Real-shaped GuardDuty fixtures kept in the repository (see test/fixtures/README.md for their source and licence). */
export const FIXTURE_DIR = join(__dirname, '..', 'fixtures', 'guardduty');

export function loadFixtures(): { name: string; detail: Record<string, unknown> }[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((name) => ({ name, detail: JSON.parse(readFileSync(join(FIXTURE_DIR, name), 'utf8')) as Record<string, unknown> }));
}

/** Deep-converts keys to PascalCase, as GetFindings returns them. */
export function pascalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pascalize);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k[0]!.toUpperCase() + k.slice(1), pascalize(x)]));
  }
  return v;
}
