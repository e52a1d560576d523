import { safeText } from '../../domain/text/mrkdwn';

/**
 * A time shown to people, in each reader's own time zone: Slack's date token
 * `<!date^EPOCH^FORMAT|FALLBACK>` (https://api.slack.com/reference/surfaces/formatting#date-formatting).
 * Clients that cannot render it (notifications, older apps, the `text` of a message read
 * by a screen reader or an email digest) show the fallback, which is UTC and says so.
 * An unparsable input (a finding's time is the attacker's string) is shown escaped, as text.
 */
export function slackDate(iso: string, format = '{date_short_pretty} {time}'): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return safeText(iso, 40);
  return `<!date^${Math.floor(ms / 1000)}^${format}|${utcFallback(ms)}>`;
}

/** `2026-11-22 02:00 UTC`: what `slackDate` falls back to. */
export function utcFallback(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
