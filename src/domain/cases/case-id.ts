const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function yyyymmdd(d: Date): string {
  return d.toISOString().slice(0, 10).replace(/-/g, '');
}

/**
 * Short, sortable case ids: `IR-20261122-7Q3F`. Four Crockford characters give
 * a million ids a day; the store's insert refuses a clash and the caller retries.
 * `random` returns a number in [0, 1) (injected so tests are deterministic).
 */
export function newCaseId(now: Date, random: () => number): string {
  let s = '';
  for (let i = 0; i < 4; i++) s += CROCKFORD[Math.floor(random() * 32)] ?? '0';
  return `IR-${yyyymmdd(now)}-${s}`;
}

/** The `<yyyymmdd>` and `<shortid>` parts of a case id. */
export function caseIdParts(caseId: string): { date: string; short: string } {
  const m = /^IR-(\d{8})-([0-9A-Z]+)$/.exec(caseId);
  return { date: m?.[1] ?? '00000000', short: (m?.[2] ?? caseId).toLowerCase() };
}
