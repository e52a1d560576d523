/**
 * Slack's rate limits: per-method tiers counted per app per workspace, and
 * chat.postMessage limited per channel. Windows slide, so a burst is refused until its
 * oldest call leaves the window, and `Retry-After` says how long that is. A rule with a
 * `burst` is a token bucket instead (chat.postMessage per channel; see POST_MESSAGE_RULE).
 */

/** A limit on one method. When both windows are given, both must have room. */
export interface RateLimitRule {
  perSecond?: number;
  perMinute?: number;
  /** Count calls per `channel` argument (Slack does this for chat.postMessage; the default there). */
  perChannel?: boolean;
  /**
   * With `perSecond`: a token bucket of this many calls, refilled at `perSecond`, instead of
   * a sliding window; so up to `burst` calls pass at once, then `perSecond` sustained.
   */
  burst?: number;
}

/**
 * `true`: Slack's published tiers for every method the sandbox knows; `false`/absent: off.
 * A map limits only the methods it names; a bare number is calls per minute.
 */
export type RateLimitConfig = boolean | Record<string, number | RateLimitRule>;

/** Calls per minute in Slack's Web API tiers. */
export const SLACK_TIERS = { 1: 1, 2: 20, 3: 50, 4: 100 } as const;

/** The tier Slack documents for each method the sandbox implements. */
export const METHOD_TIERS: Readonly<Record<string, keyof typeof SLACK_TIERS>> = {
  'api.test': 4,
  'auth.test': 4,
  'chat.delete': 3,
  'chat.postEphemeral': 4,
  'chat.update': 3,
  'conversations.archive': 2,
  'conversations.create': 2,
  'conversations.history': 3,
  'conversations.info': 3,
  'conversations.invite': 3,
  'conversations.join': 3,
  'conversations.list': 2,
  'conversations.members': 4,
  'conversations.replies': 3,
  'conversations.setPurpose': 2,
  'conversations.setTopic': 2,
  'files.completeUploadExternal': 4,
  'files.getUploadURLExternal': 4,
  'pins.add': 2,
  'pins.list': 2,
  'pins.remove': 2,
  'reactions.add': 3,
  'usergroups.list': 2,
  'usergroups.users.list': 2,
  'users.info': 4,
  'users.lookupByEmail': 3,
};

/**
 * chat.postMessage is outside the tiers. Slack: "chat.postMessage generally allows posting
 * one message per second per channel"; "Posting messages: 1 per second. Short bursts >1
 * allowed. If you attempt bursts, there is no guarantee that messages will..."
 * (https://api.slack.com/docs/rate-limits; https://api.slack.com/methods/chat.postMessage#rate_limiting:
 * "Generous burst behavior is also granted"). The burst size is not documented: 3 is a
 * conservative guess (a new case channel's card, first finding card and one more), so
 * the sandbox is never more forgiving than Slack promises. A rule with `burst: 1` is the
 * strict one-per-second reading.
 */
export const POST_MESSAGE_BURST = 3;
const POST_MESSAGE_RULE: RateLimitRule = { perSecond: 1, perChannel: true, burst: POST_MESSAGE_BURST };

function defaultRule(method: string): RateLimitRule | undefined {
  if (method === 'chat.postMessage') return POST_MESSAGE_RULE;
  const tier = METHOD_TIERS[method];
  return tier === undefined ? undefined : { perMinute: SLACK_TIERS[tier] };
}

/** Admits or refuses calls against sliding windows. */
export class RateLimiter {
  private readonly windows = new Map<string, number[]>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private config: RateLimitConfig = false,
    private readonly now: () => number = Date.now,
  ) {}

  /** Replaces the limits; counts so far are forgotten, as after a quiet minute. */
  configure(config: RateLimitConfig): void {
    this.config = config;
    this.windows.clear();
    this.buckets.clear();
  }

  /** The rule that applies to `method`, if any. */
  ruleFor(method: string): RateLimitRule | undefined {
    const c = this.config;
    if (c === false) return undefined;
    if (c === true) return defaultRule(method);
    const r = c[method];
    if (r === undefined) return undefined;
    return typeof r === 'number' ? { perMinute: r } : r;
  }

  /**
   * Milliseconds until the call would fit, or 0 when it is admitted. Only admitted calls
   * are counted: a client that keeps retrying inside the window is not punished further.
   */
  admit(method: string, channel: string | undefined): number {
    const rule = this.ruleFor(method);
    if (!rule) return 0;
    const perChannel = rule.perChannel ?? method === 'chat.postMessage';
    const key = perChannel ? `${method}\u0000${channel ?? ''}` : method;
    const now = this.now();
    if (rule.burst !== undefined && rule.perSecond !== undefined) return this.take(key, rule.burst, rule.perSecond, now);
    const limits: [number, number][] = [];
    if (rule.perSecond !== undefined) limits.push([rule.perSecond, 1000]);
    if (rule.perMinute !== undefined) limits.push([rule.perMinute, 60_000]);
    const longest = Math.max(0, ...limits.map(([, w]) => w));
    const stamps = (this.windows.get(key) ?? []).filter((t) => now - t < longest);
    let wait = 0;
    for (const [limit, windowMs] of limits) {
      const inWindow = stamps.filter((t) => now - t < windowMs);
      if (inWindow.length >= limit) {
        // The call fits once enough of the oldest calls have aged out of the window.
        const freeing = inWindow[inWindow.length - Math.max(1, limit)] ?? now;
        wait = Math.max(wait, freeing + windowMs - now, 1);
      }
    }
    if (wait === 0) stamps.push(now);
    this.windows.set(key, stamps);
    return wait;
  }

  /** Token bucket: full at first; a call takes a token; refused calls take none. */
  private take(key: string, burst: number, perSecond: number, now: number): number {
    const capacity = Math.max(1, burst);
    const b = this.buckets.get(key) ?? { tokens: capacity, at: now };
    b.tokens = Math.min(capacity, b.tokens + ((now - b.at) * perSecond) / 1000);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - b.tokens) * 1000) / perSecond));
  }
}
