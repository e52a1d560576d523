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

/**
 * The one case-id pattern: `IR-<yyyymmdd>-<short>`, groups 1 and 2 the date and the short id.
 * {@link newCaseId} makes four characters; up to eight are accepted so ids can grow without
 * stored cases, queued jobs or posted buttons becoming unreadable. Every reader of a case id
 * (commands, buttons, jobs, channel names) checks it with this pattern.
 */
export const CASE_ID_PATTERN = /^IR-(\d{8})-([0-9A-Z]{4,8})$/;

/** Whether `s` is a case id (see {@link CASE_ID_PATTERN}). */
export function isCaseId(s: string): boolean {
  return CASE_ID_PATTERN.test(s);
}

/** The `<yyyymmdd>` and `<shortid>` parts of a case id (for anything else: zeros and the text itself). */
export function caseIdParts(caseId: string): { date: string; short: string } {
  const m = CASE_ID_PATTERN.exec(caseId);
  return { date: m?.[1] ?? '00000000', short: (m?.[2] ?? caseId).toLowerCase() };
}
