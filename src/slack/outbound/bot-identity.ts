import type { WebClient } from '@slack/web-api';

const known = new WeakMap<WebClient, string>();

/**
 * The bot's own user id (`auth.test`), asked once per WebClient: every part that needs
 * it (channel adoption, leaving the bot out of invites) shares the answer. A failed
 * lookup is not remembered, so the next caller asks again.
 */
export async function botUserId(client: WebClient): Promise<string | undefined> {
  let id = known.get(client);
  if (id === undefined) {
    id = (await client.auth.test()).user_id ?? '';
    known.set(client, id);
  }
  return id || undefined;
}
