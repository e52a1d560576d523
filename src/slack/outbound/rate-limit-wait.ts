import type { FetchFunction } from '@slack/web-api';

/** How long a call may wait on Slack's rate limits before it is handed back as refused. */
export interface RateLimitWait {
  /** A 429 whose `Retry-After` is at most this long is waited out and the call sent again. */
  maxWaitMs: number;
  /** All waits of one call together stay under this. */
  budgetMs: number;
  /** The transport (default: the global fetch, as WebClient's). */
  fetch?: FetchFunction;
  sleep?: (ms: number) => Promise<void>;
}

const defaultFetch: FetchFunction = (url, init) => fetch(url, init);

/**
 * A WebClient `fetch` that waits out short rate limits, one request at a time. WebClient
 * can either refuse every 429 at once (`rejectRateLimitedCalls`) or wait whatever Slack
 * says, pausing every call of the client meanwhile (a Tier 2 method answers up to a
 * minute). Code with time to spare but no minute to lose (the findings function: no
 * user waits on an ack, 60 s timeout, the publisher lease held) waits here for the
 * short ones, such as chat.postMessage's one message a second per channel
 * (https://api.slack.com/methods/chat.postMessage#rate_limiting), and hands a longer
 * one back as the 429, which `rejectRateLimitedCalls` turns into an error for the
 * ticker to retry. Waits honour the request's abort signal (WebClient's `timeout`).
 */
export function waitOutShortRateLimits(opts: RateLimitWait): FetchFunction {
  const send = opts.fetch ?? defaultFetch;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return async (url, init) => {
    let waited = 0;
    for (;;) {
      const res = await send(url, init);
      if (res.status !== 429) return res;
      const seconds = Number.parseInt(res.headers.get('retry-after') ?? '', 10);
      const ms = Number.isNaN(seconds) ? Infinity : seconds * 1000;
      if (ms > opts.maxWaitMs || waited + ms > opts.budgetMs || init?.signal?.aborted) return res;
      await res.text().catch(() => '');
      await sleep(ms);
      waited += ms;
    }
  };
}
