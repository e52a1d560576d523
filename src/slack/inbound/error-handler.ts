import { randomUUID } from 'node:crypto';
import type { App } from '@slack/bolt';
import type { ExtendedErrorHandlerArgs } from '@slack/bolt/dist/App';
import { safeText } from '../../domain/text/mrkdwn';
import { isCordonError } from '../../errors';
import type { Logger } from '../../log';
import { SlackReplies } from '../outbound/replies';

interface ErrorBody {
  user_id?: unknown;
  channel_id?: unknown;
  response_url?: unknown;
  user?: { id?: unknown };
  channel?: { id?: unknown };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * Error messages may echo what the user typed (an ARN, a button value): escape all of
 * it for Slack, then give back the channel links Cordon itself writes (`<#C…>`), so an
 * echoed `<!channel>` or `<https://…|…>` stays inert text.
 */
export function errorText(message: string): string {
  return safeText(message, 2900).replace(/&lt;#(C[A-Z0-9]{6,20})&gt;/g, '<#$1>');
}

/**
 * The one place errors become words for a person: a known CordonError shows its
 * message; anything else shows a correlation id that points into the logs. Never a
 * stack trace in Slack.
 */
export function installErrorHandler(app: App, log: Logger): void {
  const handler = async ({ error, body, context }: ExtendedErrorHandlerArgs): Promise<void> => {
    const original: unknown = (error as { original?: unknown }).original ?? error;
    const b = (body ?? {}) as ErrorBody;
    const user = str(b.user_id) ?? str(b.user?.id);
    const channel = str(b.channel_id) ?? str(b.channel?.id);
    let text: string;
    if (isCordonError(original)) {
      text = `:warning: ${errorText(original.message)} (${original.code})`;
      log.info({ code: original.code, user, channel }, 'request refused');
    } else {
      const correlationId = randomUUID();
      text = `:boom: Something went wrong on Cordon's side. Reference: \`${correlationId}\` (give it to whoever runs Cordon).`;
      log.error({ correlationId, user, channel, err: original }, 'unhandled error in a Slack listener');
    }
    if (!user) return;
    const client = (context as { client?: App['client'] } | undefined)?.client ?? app.client;
    // Not chat.postEphemeral: in a DM or a channel without the bot it fails, and the
    // person never learns why nothing happened. The response_url of this very request
    // (verified by Bolt) reaches them anywhere; a DM from the bot is the fallback.
    const responseUrl = str(b.response_url);
    await new SlackReplies(client, log).tell({ userId: user, ...(channel ? { channelId: channel } : {}), ...(responseUrl ? { responseUrl } : {}) }, text);
  };
  app.error(handler);
}
