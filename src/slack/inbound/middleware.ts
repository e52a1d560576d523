import type { AllMiddlewareArgs, BlockAction, ButtonAction, RespondFn, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import * as z from 'zod';
import type { Case } from '../../domain/cases/case';
import { CordonError, ErrorCode } from '../../errors';
import type { Requester } from '../../services/action-service';
import type { ListenerServices } from './listener-services';

/*
 * Small steps every listener shares, each written once (in the manner of Bolt's own
 * built-in middleware): read who is asking, find the case of the channel. There is no
 * retry guard: Slack retries Events API deliveries, which Cordon does not subscribe to, and
 * never re-sends a slash command or an interaction
 * (https://api.slack.com/apis/events-api#retries;
 * https://api.slack.com/interactivity/slash-commands#responding_basic_receipt). A person
 * repeating a request is met by the store's compare-and-set on every state change.
 * Access checks are not among these steps: the services make every one.
 */

const commandBody = z.object({
  text: z.string().max(4000, 'the command is longer than 4000 characters'),
  response_url: z.string().max(2000).optional(),
  channel_id: z.string().min(1),
  user_id: z.string().min(1),
  team_id: z.string().min(1),
});

/** Who sent a slash command and what they typed (validated: nothing else in the payload is trusted). */
export function commandRequester(command: unknown): { who: Requester; text: string } {
  const body = commandBody.safeParse(command);
  if (!body.success) throw new CordonError(ErrorCode.INPUT_INVALID, `the command could not be read (${body.error.issues[0]?.message ?? 'malformed'}); try \`/ir help\``);
  const { user_id: userId, team_id: teamId, channel_id: channelId, response_url: responseUrl } = body.data;
  return { who: { userId, teamId, channelId, ...(responseUrl ? { responseUrl } : {}) }, text: body.data.text };
}

/** Who clicked, in which channel and workspace. */
export function buttonRequester(body: BlockAction): Requester {
  const container: unknown = body.container.channel_id;
  const channelId = body.channel?.id ?? (typeof container === 'string' ? container : undefined);
  const userTeam: unknown = body.user.team_id;
  const teamId = body.team?.id ?? (typeof userTeam === 'string' ? userTeam : undefined);
  if (!channelId || !teamId) throw new CordonError(ErrorCode.INPUT_INVALID, 'the click came without a channel or workspace');
  const responseUrl: unknown = body.response_url;
  return { userId: body.user.id, teamId, channelId, ...(typeof responseUrl === 'string' && responseUrl ? { responseUrl } : {}) };
}

/** What every handler gets: who asked, how to answer them privately, the Slack client, and the services. */
export interface SlackRequest {
  who: Requester;
  respond: RespondFn;
  client: WebClient;
  services: ListenerServices;
}

/** A handler of a request that came from a case channel. */
export type InCase<R> = (req: R & { case: Case }) => Promise<void>;

/**
 * Finds the case of the channel once and hands it on; outside a case channel the
 * request is refused with `missing` (CASE.NOT_FOUND).
 */
export function inCaseChannel<R extends SlackRequest>(missing: string, handler: InCase<R>): (req: R) => Promise<void> {
  return async (req) => {
    const c = await req.services.store.getCaseByChannel(req.who.channelId);
    if (!c) throw new CordonError(ErrorCode.CASE_NOT_FOUND, missing);
    await handler({ ...req, case: c });
  };
}

/** The case of the channel when there is one (commands that work anywhere but say which case they are about). */
export function withChannelCase<R extends SlackRequest>(handler: (req: R & { case: Case | undefined }) => Promise<void>): (req: R) => Promise<void> {
  return async (req) => handler({ ...req, case: await req.services.store.getCaseByChannel(req.who.channelId) });
}

/** The arguments a button listener gets. */
export type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
