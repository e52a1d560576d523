import * as z from 'zod';
import { containableTarget } from '../../../domain/actions/target';
import type { StoredFinding } from '../../../domain/cases/case';
import { CordonError, ErrorCode } from '../../../errors';
import type { Requester } from '../../../services/action-service';
import type { ListenerServices } from '../listener-services';
import { escalationAnswer } from '../../blocks/escalation-message';
import { buttonValue, type ButtonHandler } from './button';

const findingValue = z.string().min(1).max(300);
/** Suppress similar from a card expires on its own: a forgotten rule must not hide findings forever. */
const SUPPRESS_SIMILAR_FOR_MS = 30 * 86_400_000;

/**
 * A button names a record by id; it is honoured only in that record's own channel,
 * so a value copied from another case's message cannot act on that case from here.
 */
async function findingHere(services: ListenerServices, findingId: string, who: Requester): Promise<StoredFinding> {
  const sf = await services.store.getFinding(findingId);
  if (!sf) throw new CordonError(ErrorCode.INPUT_INVALID, `no finding ${findingId.slice(0, 60)}`);
  const c = sf.caseId ? await services.store.getCase(sf.caseId) : undefined;
  if (c?.channelId && c.channelId !== who.channelId) throw new CordonError(ErrorCode.INPUT_INVALID, `finding ${sf.id.slice(0, 60)} belongs to case ${c.id}; act on it in <#${c.channelId}>`);
  return sf;
}

/** Escalate on a finding card: the same call as `/ir escalate`, and the same answer to the clicker. */
export const escalate: ButtonHandler = async ({ who, action, respond, services }) => {
  const sf = await findingHere(services, buttonValue(findingValue, action), who);
  if (!sf.caseId) throw new CordonError(ErrorCode.INPUT_INVALID, 'this finding belongs to no case');
  const r = await services.escalation.escalate(who, `from finding ${sf.id}`, sf.caseId);
  await respond({ response_type: 'ephemeral', replace_original: false, text: escalationAnswer(r) });
};

/** Suppress similar on a finding card: the same call as `/ir suppress`, for 30 days. */
export const suppressSimilar: ButtonHandler = async ({ who, action, respond, services }) => {
  const sf = await findingHere(services, buttonValue(findingValue, action), who);
  const rule = await services.suppression.suppress(who, {
    type: sf.finding.type,
    accounts: [sf.finding.accountId],
    regions: [sf.finding.region],
    forMs: SUPPRESS_SIMILAR_FOR_MS,
    reason: `Suppress similar to finding ${sf.id}`,
    severity: sf.finding.severity,
    ...(sf.caseId ? { caseId: sf.caseId } : {}),
  });
  const waits = rule.approval && !rule.approval.approvedBy ? ' It waits for a second commander (Approve in the triage channel) and suppresses nothing until then.' : '';
  await respond({ response_type: 'ephemeral', replace_original: false, text: `Suppression rule \`${rule.id}\` for this finding type in ${sf.finding.accountId}/${sf.finding.region}, for 30 days.${waits} Lift it with \`/ir unsuppress ${rule.id}\`.` });
};

const ruleValue = z.string().regex(/^s-[0-9a-f]{6}$/, 'the button does not name a suppression rule');

/** Approve on a suppression rule waiting for a second commander (triage channel). */
export const approveSuppression: ButtonHandler = async ({ who, action, respond, services }) => {
  const rule = await services.suppression.approve(who, buttonValue(ruleValue, action));
  await respond({ response_type: 'ephemeral', replace_original: false, text: `Suppression rule \`${rule.id}\` approved; it applies until ${(rule.expires ?? '').slice(0, 16).replace('T', ' ')} UTC.` });
};

/** Contain on a finding card: the same call as `/ir contain`, for the resource the finding names. */
export const contain: ButtonHandler = async ({ who, action, respond, services }) => {
  const findingId = buttonValue(findingValue, action);
  const sf = await findingHere(services, findingId, who);
  const target = containableTarget(sf.finding.resources);
  if (!target) throw new CordonError(ErrorCode.ARN_INVALID, 'this finding names no resource Cordon can contain; use `/ir contain <arn>`');
  const { caseId, dryRun } = await services.actions.requestContain(who, { target, dryRun: false, reason: `from finding ${findingId}`, findingId });
  await respond({ response_type: 'ephemeral', replace_original: false, text: `${dryRun ? 'Dry run (a drill case changes nothing): planning' : 'Planning'} containment of \`${target}\` in case ${caseId}.` });
};
