import type { WebClient } from '@slack/web-api';
import { errorMessage } from '../../errors';
import type { Logger } from '../../log';
import { slackErrorCode } from '../slack-errors';

/** Whom to answer, and the request's response_url when there is one still worth trying. */
export interface ReplyTarget {
  userId: string;
  /** Where they asked (for the log only: an answer never depends on the bot being there). */
  channelId?: string;
  responseUrl?: string;
  /** ISO time after which `responseUrl` is not tried (Slack honours it for 30 minutes). */
  until?: string;
}

/** How the answer went out: the response_url, a DM from the bot, or not at all (logged). */
export type ReplyRoute = 'response_url' | 'dm' | 'none';

export interface ReplyOptions {
  /**
   * Origins a stored response_url may point at. A URL in a job was written by the `slack`
   * function, and the worker will POST to it: only Slack's own host (and, in tests and the
   * demo, the `SLACK_API_URL` origin) is ever contacted. Undefined: the URL came straight
   * from a request Bolt verified, so any is taken.
   */
  allowedOrigins?: readonly string[];
  now?: () => Date;
  /** Milliseconds a response_url POST may take (default 3 s). */
  timeoutMs?: number;
}

/** Slack's response URLs live on this host (https://api.slack.com/interactivity/handling#message_responses). */
export const SLACK_RESPONSE_ORIGIN = 'https://hooks.slack.com';

/**
 * Answers one person privately once the listener has acked, wherever they asked.
 * `chat.postEphemeral` needs the bot in the conversation, so in a DM or a channel without
 * the bot it fails (`channel_not_found`) and the answer would vanish. A response_url
 * works in every conversation the request came from
 * (https://api.slack.com/interactivity/handling#message_responses); past its 30 minutes,
 * or when Slack refuses it, the bot opens its own DM with the person
 * (conversations.open + chat.postMessage). Never throws: a reply that cannot be made is logged.
 */
export class SlackReplies {
  private readonly now: () => Date;

  constructor(
    private readonly client: WebClient,
    private readonly log: Logger,
    private readonly opts: ReplyOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
  }

  async tell(to: ReplyTarget, text: string): Promise<ReplyRoute> {
    if (to.responseUrl && this.usable(to)) {
      if (await this.viaResponseUrl(to.responseUrl, text, to)) return 'response_url';
    }
    try {
      const dm = await this.client.conversations.open({ users: to.userId });
      const channel = dm.channel?.id;
      if (!channel) throw new Error('conversations.open returned no channel');
      await this.client.chat.postMessage({ channel, text, unfurl_links: false });
      return 'dm';
    } catch (err) {
      this.log.error({ userId: to.userId, channel: to.channelId, slackError: slackErrorCode(err), err: errorMessage(err) }, 'could not answer the person who asked, neither through the response_url nor in a DM');
      return 'none';
    }
  }

  private usable(to: ReplyTarget): boolean {
    if (to.until && Date.parse(to.until) <= this.now().getTime()) return false;
    const allowed = this.opts.allowedOrigins;
    if (!allowed) return true;
    let origin: string;
    try {
      origin = new URL(to.responseUrl as string).origin;
    } catch {
      return false;
    }
    if (allowed.includes(origin)) return true;
    this.log.warn({ userId: to.userId, origin }, 'a stored response_url points outside Slack; answering in a DM instead');
    return false;
  }

  private async viaResponseUrl(url: string, text: string, to: ReplyTarget): Promise<boolean> {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // Ephemeral, and never replacing the message a button was on.
        body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 3000),
      });
      if (res.ok) return true;
      this.log.warn({ userId: to.userId, status: res.status }, 'Slack refused the response_url; answering in a DM');
    } catch (err) {
      this.log.warn({ userId: to.userId, err: errorMessage(err) }, 'the response_url could not be reached; answering in a DM');
    }
    return false;
  }
}

/** The origins a stored response_url may use: Slack's, and the configured Slack API's (the sandbox). */
export function responseUrlOrigins(slackApiUrl: string | undefined): string[] {
  const origins = [SLACK_RESPONSE_ORIGIN];
  if (slackApiUrl) {
    try {
      origins.push(new URL(slackApiUrl).origin);
    } catch {
      // A malformed SLACK_API_URL fails elsewhere, loudly; here it only adds nothing.
    }
  }
  return origins;
}
