import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import * as z from 'zod';
import { containableTarget } from '../../domain/actions/target';
import { ACTION_ID_PATTERN } from '../../domain/commands/ir-command';
import { CordonError, ErrorCode } from '../../errors';
import type { ActionService, Requester } from '../../services/action-service';
import type { EscalationService } from '../../services/escalation-service';
import type { SuppressionService } from '../../services/suppression-service';
import type { StoredFinding } from '../../domain/cases/case';
import type { Store } from '../../store/store';
import { ActionId } from '../ids';

const actionValue = z.string().regex(ACTION_ID_PATTERN, 'the button does not name an action');
const findingValue = z.string().min(1).max(300);
/** Suppress similar from a card expires on its own: a forgotten rule must not hide findings forever. */
const SUPPRESS_SIMILAR_FOR_MS = 30 * 86_400_000;
const caseValue = z.string().regex(/^IR-\d{8}-[0-9A-Z]{4}$/, 'the button does not name a case');

function requester(body: BlockAction): Requester {
  const container: unknown = body.container.channel_id;
  const channelId = body.channel?.id ?? (typeof container === 'string' ? container : undefined);
  const userTeam: unknown = body.user.team_id;
  const teamId = body.team?.id ?? (typeof userTeam === 'string' ? userTeam : undefined);
  if (!channelId || !teamId) throw new CordonError(ErrorCode.INPUT_INVALID, 'the click came without a channel or workspace');
  return { userId: body.user.id, teamId, channelId };
}

function valueOf<T>(schema: z.ZodType<T>, action: ButtonAction): T {
  const parsed = schema.safeParse(action.value);
  if (!parsed.success) throw new CordonError(ErrorCode.INPUT_INVALID, `this button is not one Cordon made (${parsed.error.issues[0]?.message ?? 'bad value'})`);
  return parsed.data;
}

/**
 * A button names a record by id; it is honoured only in that record's own channel,
 * so a value copied from another case's message cannot act on that case from here.
 */
async function findingHere(store: Store, findingId: string, who: Requester): Promise<StoredFinding> {
  const sf = await store.getFinding(findingId);
  if (!sf) throw new CordonError(ErrorCode.INPUT_INVALID, `no finding ${findingId.slice(0, 60)}`);
  const c = sf.caseId ? await store.getCase(sf.caseId) : undefined;
  if (c?.channelId && c.channelId !== who.channelId) throw new CordonError(ErrorCode.INPUT_INVALID, `finding ${sf.id.slice(0, 60)} belongs to case ${c.id}; act on it in <#${c.channelId}>`);
  return sf;
}

async function caseHere(store: Store, caseId: string, who: Requester): Promise<void> {
  const c = await store.getCase(caseId);
  if (!c) throw new CordonError(ErrorCode.CASE_NOT_FOUND, `no case ${caseId}`);
  if (who.channelId !== c.channelId && who.channelId !== c.bridgeChannelId) {
    throw new CordonError(ErrorCode.INPUT_INVALID, `this button is for case ${c.id}; use it in ${c.bridgeChannelId ? `<#${c.bridgeChannelId}>` : c.channelId ? `<#${c.channelId}>` : 'its channel'}`);
  }
}

/** Button values carry ids only; every click reloads the record and re-checks the role in the service. */
export function registerButtons(app: App, deps: { store: Store; actions: ActionService; escalation: EscalationService; suppression: SuppressionService }): void {
  app.action<BlockAction<ButtonAction>>(ActionId.APPROVE, async ({ ack, body, action, context }) => {
    await ack();
    if ((context.retryNum ?? 0) > 0) return;
    await deps.actions.approve(requester(body), valueOf(actionValue, action));
  });
  app.action<BlockAction<ButtonAction>>(ActionId.REJECT, async ({ ack, body, action, context }) => {
    await ack();
    if ((context.retryNum ?? 0) > 0) return;
    await deps.actions.reject(requester(body), valueOf(actionValue, action));
  });
  app.action<BlockAction<ButtonAction>>(ActionId.REVERT, async ({ ack, body, action, context }) => {
    await ack();
    if ((context.retryNum ?? 0) > 0) return;
    await deps.actions.requestRevert(requester(body), valueOf(actionValue, action));
  });
  app.action<BlockAction<ButtonAction>>(ActionId.ACKNOWLEDGE, async ({ ack, body, action, context }) => {
    await ack();
    if ((context.retryNum ?? 0) > 0) return;
    const who = requester(body);
    const caseId = valueOf(caseValue, action);
    await caseHere(deps.store, caseId, who);
    await deps.escalation.acknowledge(who, caseId);
  });
  app.action<BlockAction<ButtonAction>>(ActionId.ESCALATE, async ({ ack, body, action, context }) => {
    await ack();
    if ((context.retryNum ?? 0) > 0) return;
    const who = requester(body);
    const sf = await findingHere(deps.store, valueOf(findingValue, action), who);
    if (!sf.caseId) throw new CordonError(ErrorCode.INPUT_INVALID, 'this finding belongs to no case');
    await deps.escalation.escalate(who, `from finding ${sf.id}`, sf.caseId);
  });
  app.action<BlockAction<ButtonAction>>(ActionId.SUPPRESS_SIMILAR, async ({ ack, body, action, context, respond }) => {
    await ack();
    if ((context.retryNum ?? 0) > 0) return;
    const who = requester(body);
    const sf = await findingHere(deps.store, valueOf(findingValue, action), who);
    const rule = await deps.suppression.suppress(who, {
      type: sf.finding.type,
      accounts: [sf.finding.accountId],
      regions: [sf.finding.region],
      forMs: SUPPRESS_SIMILAR_FOR_MS,
      reason: `Suppress similar to finding ${sf.id}`,
      ...(sf.caseId ? { caseId: sf.caseId } : {}),
    });
    await respond({ response_type: 'ephemeral', replace_original: false, text: `Suppression rule \`${rule.id}\` for this finding type in ${sf.finding.accountId}/${sf.finding.region}, for 30 days. Lift it with \`/ir unsuppress ${rule.id}\`.` });
  });
  app.action<BlockAction<ButtonAction>>(ActionId.CONTAIN, async ({ ack, body, action, context, respond }) => {
    await ack();
    if ((context.retryNum ?? 0) > 0) return;
    const who = requester(body);
    const findingId = valueOf(findingValue, action);
    const sf = await findingHere(deps.store, findingId, who);
    const target = containableTarget(sf.finding.resources);
    if (!target) throw new CordonError(ErrorCode.ARN_INVALID, 'this finding names no resource Cordon can contain; use `/ir contain <arn>`');
    const { caseId, dryRun } = await deps.actions.requestContain(who, { target, dryRun: false, reason: `from finding ${findingId}` });
    await respond({ response_type: 'ephemeral', replace_original: false, text: `${dryRun ? 'Dry run (a drill case changes nothing): planning' : 'Planning'} containment of \`${target}\` in case ${caseId}.` });
  });
}
