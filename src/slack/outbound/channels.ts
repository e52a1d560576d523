import type { ConversationsListResponse, WebClient } from '@slack/web-api';
import type { Logger } from '../../log';
import { botUserId } from './bot-identity';
import { slackErrorCode } from '../slack-errors';

/** A channel as conversations.list describes it. */
type ListedChannel = NonNullable<ConversationsListResponse['channels']>[number];

/** What {@link createOrAdoptChannel} needs to know. */
export interface ChannelRequest {
  /** The name for attempt 1, 2, …: each embeds the case id, so it is this case's alone. */
  nameFor: (attempt: number) => string;
  attempts: number;
  isPrivate: boolean;
  /** Ids for the log lines (case id). */
  logContext: Record<string, unknown>;
}

/**
 * Creates a channel, or adopts the one an earlier attempt created. Slack has no
 * idempotency key for conversations.create, so a crash (or a failed store write) after
 * it and before the channel id is stored leaves a channel the next attempt must find
 * again instead of making `…-2` beside it. On `name_taken` the channel of that exact
 * name is adopted when the bot created it, is in it and it is not archived; one anyone
 * else made is just a taken name, and the next suffix is tried.
 */
export async function createOrAdoptChannel(client: WebClient, log: Logger, req: ChannelRequest): Promise<{ id: string; name: string; adopted: boolean }> {
  let visible: Map<string, ListedChannel> | undefined;
  for (let attempt = 1; attempt <= req.attempts; attempt++) {
    const name = req.nameFor(attempt);
    try {
      const res = await client.conversations.create({ name, is_private: req.isPrivate });
      const id = res.channel?.id;
      if (!id) throw new Error('conversations.create returned no channel id');
      log.info({ ...req.logContext, channel: id, name }, 'channel created');
      return { id, name: res.channel?.name ?? name, adopted: false };
    } catch (err) {
      if (slackErrorCode(err) !== 'name_taken') throw err;
    }
    // Listed once: every later attempt's name is looked up in the same listing.
    visible ??= await visibleChannels(client);
    const found = visible.get(name);
    // Without the bot's own id nothing is adopted.
    const bot = await botUserId(client);
    // Slack lists only the private channels the bot is in, so one without `is_member` counts.
    const botIsIn = found?.is_member ?? found?.is_private === true;
    if (found?.id && bot && found.creator === bot && botIsIn && found.is_archived !== true) {
      log.warn({ ...req.logContext, channel: found.id, name }, 'adopting the channel an earlier attempt created');
      return { id: found.id, name, adopted: true };
    }
  }
  throw new Error(`no free channel name after ${req.attempts} attempts (last tried ${req.nameFor(req.attempts)})`);
}

/** Unarchived channels the bot can see, by name: every public one, the private ones it is in. */
async function visibleChannels(client: WebClient): Promise<Map<string, ListedChannel>> {
  const byName = new Map<string, ListedChannel>();
  let cursor: string | undefined;
  do {
    const res = await client.conversations.list({
      types: 'private_channel,public_channel',
      exclude_archived: true,
      // Slack recommends at most 200 a page; this runs only after a name_taken.
      limit: 200,
      ...(cursor ? { cursor } : {}),
    });
    for (const ch of res.channels ?? []) if (ch.name) byName.set(ch.name, ch);
    cursor = res.response_metadata?.next_cursor || undefined;
  } while (cursor);
  return byName;
}

/**
 * Archives a channel (https://api.slack.com/methods/conversations.archive). `already_archived`
 * and `channel_not_found` mean there is nothing left to archive: done. `not_in_channel` is
 * answered by joining first (public channels only; a private one the bot left is refused
 * again, and the error is thrown so the ticker retries and the log says why). Any other
 * refusal (`cant_archive_general`, `restricted_action`, rate limits) is thrown.
 */
export async function archiveChannel(client: WebClient, log: Logger, channel: string, logContext: Record<string, unknown>): Promise<void> {
  const archive = async (): Promise<void> => {
    await client.conversations.archive({ channel });
  };
  try {
    await archive();
  } catch (err) {
    const code = slackErrorCode(err);
    if (code === 'already_archived' || code === 'channel_not_found') {
      log.info({ ...logContext, channel, slackError: code }, 'channel already gone; nothing to archive');
      return;
    }
    if (code !== 'not_in_channel') throw err;
    await client.conversations.join({ channel });
    await archive();
  }
}
