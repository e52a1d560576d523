import { ErrorCode as SlackErrorCode, WebClient, type WebAPICallError } from '@slack/web-api';
import { ConfigError } from '../../config/load-config';
import type { Logger } from '../../log';
import { slackLogger } from '../slack-logger';

/** Where the Web API lives when `SLACK_API_URL` does not say otherwise. */
const SLACK_API_DEFAULT = 'https://slack.com/api/';

/**
 * Slack errors that mean the bot token itself is no good: restarting or waiting will
 * not help, a person must fix `SLACK_BOT_TOKEN`. From the error lists of
 * https://api.slack.com/methods/auth.test and https://api.slack.com/authentication/token-types.
 */
const TOKEN_ERRORS = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive', 'not_allowed_token_type', 'no_permission', 'org_login_required', 'ekm_access_denied', 'team_access_not_granted']);

/** What one `auth.test` said about Slack and the token. */
export type SlackProbe =
  | { status: 'ok'; teamId?: string; botUserId?: string; botId?: string }
  /** Slack refused the token (`error` is Slack's code). */
  | { status: 'refused'; error: string }
  /** Slack did not answer usefully: network, timeout, 5xx, rate limit, another Slack error. */
  | { status: 'unreachable'; error: string };

/** One probe's budget: no retries, so an outage is known within `timeoutMs`. */
const PROBE_TIMEOUT_MS = 3000;

/** fetch's own message is "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND…) is down its `cause` chain. */
function rootCause(err: unknown): string {
  let said = 'request failed';
  let at: unknown = err;
  for (let depth = 0; depth < 5 && at instanceof Error; depth++) {
    const code = (at as Error & { code?: unknown }).code;
    said = typeof code === 'string' ? code : at.message;
    at = at.cause;
  }
  return said;
}

function describe(err: unknown): { refused: boolean; error: string } {
  const e = err as Partial<WebAPICallError> & { data?: { error?: string }; original?: unknown; statusCode?: number };
  if (e.code === SlackErrorCode.PlatformError) {
    const code = e.data?.error ?? 'unknown_error';
    return { refused: TOKEN_ERRORS.has(code), error: code };
  }
  if (e.code === SlackErrorCode.HTTPError) return { refused: false, error: `HTTP ${e.statusCode ?? '?'}` };
  if (e.code === SlackErrorCode.RateLimitedError) return { refused: false, error: 'ratelimited' };
  if (e.code === SlackErrorCode.RequestError) return { refused: false, error: rootCause(e.original) };
  return { refused: false, error: err instanceof Error ? err.message : String(err) };
}

/**
 * Whether Slack answers, and whether it takes the bot token. `cordon serve` asks once
 * at start and then on its clock, `cordon check` once; `/healthz` shows the last
 * answer. The client here never retries (the outbox and the listeners have their own
 * clients): an outage must be seen in seconds, not after WebClient's half hour of retries.
 */
export class SlackHealth {
  readonly apiUrl: string;
  private readonly client: WebClient;
  private readonly now: () => Date;
  private last: SlackProbe | undefined;
  private since = new Date();

  constructor(
    token: string,
    apiUrl: string | undefined,
    private readonly log: Logger,
    opts: { timeoutMs?: number; now?: () => Date } = {},
  ) {
    this.apiUrl = apiUrl ?? SLACK_API_DEFAULT;
    this.now = opts.now ?? (() => new Date());
    this.client = new WebClient(token, {
      ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
      logger: slackLogger(log),
      retryConfig: { retries: 0 },
      timeout: opts.timeoutMs ?? PROBE_TIMEOUT_MS,
      rejectRateLimitedCalls: true,
    });
  }

  /** Asks Slack (`auth.test`) now; logs a change of state once, not every probe. */
  async probe(): Promise<SlackProbe> {
    let next: SlackProbe;
    try {
      const auth = await this.client.auth.test();
      next = { status: 'ok', ...(auth.team_id ? { teamId: auth.team_id } : {}), ...(auth.user_id ? { botUserId: auth.user_id } : {}), ...(auth.bot_id ? { botId: auth.bot_id } : {}) };
    } catch (err) {
      const { refused, error } = describe(err);
      next = { status: refused ? 'refused' : 'unreachable', error };
    }
    const before = this.last;
    if (before?.status !== next.status) this.since = this.now();
    this.last = next;
    // A recovery is news; the first failure is logged by whoever asked (one line at start).
    if (before && before.status !== 'ok' && next.status === 'ok') this.log.info({ slack: this.apiUrl }, 'Slack answers again; posting what waited in the store');
    if (before?.status === 'ok' && next.status !== 'ok') this.log.error({ slack: this.apiUrl, error: next.error }, this.problemLine(next));
    return next;
  }

  /** The last answer, for `/healthz`: `ok`, or `degraded` with Slack's error and since when. */
  report(): { status: 'ok' | 'degraded' | 'unknown'; error?: string; since?: string } {
    const last = this.last;
    if (!last) return { status: 'unknown' };
    if (last.status === 'ok') return { status: 'ok', since: this.since.toISOString() };
    return { status: 'degraded', error: last.error, since: this.since.toISOString() };
  }

  /** What failed, for a person: which URL, which error. */
  problem(p: Exclude<SlackProbe, { status: 'ok' }>): string {
    if (p.status === 'refused') return `Slack refused SLACK_BOT_TOKEN (${p.error}) at ${this.apiUrl}auth.test`;
    return `Slack unreachable at ${this.apiUrl} (${p.error})`;
  }

  /** {@link problem} and what a running Cordon does about it: one line for the log. */
  problemLine(p: Exclude<SlackProbe, { status: 'ok' }>): string {
    return `${this.problem(p)}; Cordon keeps running: findings and jobs are stored and posted once Slack answers, and /healthz reports slack as degraded until then`;
  }

  /** The CONFIG.INVALID error naming SLACK_BOT_TOKEN, for when Slack refused it (exit 2, as for any bad config). */
  tokenError(p: Extract<SlackProbe, { status: 'refused' }>): ConfigError {
    return new ConfigError('Slack refused the bot token', [
      `env SLACK_BOT_TOKEN: Slack answered ${p.error} to auth.test at ${this.apiUrl}; use the app's Bot User OAuth Token (xoxb-…), reinstall the app if it was revoked`,
    ]);
  }
}
