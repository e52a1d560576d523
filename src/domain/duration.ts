const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** The accepted duration form, for error messages. */
export const DURATION_FORM = 'a number followed by s, m, h, d or w (e.g. 90s, 30m, 24h, 7d)';

/** Parses `30m`, `24h`, `7d` into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  if (!m?.[1] || !m[2]) return undefined;
  const ms = Number(m[1]) * (UNIT_MS[m[2]] ?? 0);
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : undefined;
}

/** Short human form of a duration: `1h 5m`, `42s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  let s = Math.round(ms / 1000);
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  const parts: string[] = [];
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (s && parts.length < 2) parts.push(`${s}s`);
  return parts.slice(0, 2).join(' ');
}

/** `1h 02m 05s`, `4m 00s`, `12s`: exact to the second, readable at a glance. */
export function formatExactDuration(ms: number): string {
  const neg = ms < 0;
  let s = Math.round(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  const out = d ? `${d}d ${pad(h)}h ${pad(m)}m ${pad(s)}s` : h ? `${h}h ${pad(m)}m ${pad(s)}s` : m ? `${m}m ${pad(s)}s` : `${s}s`;
  return neg ? `-${out}` : out;
}
