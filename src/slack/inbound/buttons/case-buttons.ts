import * as z from 'zod';
import type { Case } from '../../../domain/cases/case';
import { CASE_ID_PATTERN } from '../../../domain/cases/case-id';
import { CordonError, ErrorCode } from '../../../errors';
import type { Requester } from '../../../services/action-service';
import { escalationAnswer } from '../../blocks/escalation-message';
import { renderTimelinePage } from '../../blocks/timeline-page';
import { reportAnswer } from '../commands/report-commands';
import type { ListenerServices } from '../listener-services';
import { buttonValue, type ButtonHandler } from './button';

const caseValue = z.string().regex(CASE_ID_PATTERN, 'the button does not name a case');

/** A case card button is honoured only in that case's own channel (a copied value acts on nothing else). */
async function cardCase(services: ListenerServices, caseId: string, who: Requester): Promise<Case> {
  const c = await services.store.getCase(caseId);
  if (!c) throw new CordonError(ErrorCode.CASE_NOT_FOUND, `no case ${caseId}`);
  if (who.channelId !== c.channelId) throw new CordonError(ErrorCode.INPUT_INVALID, `this button is for case ${c.id}; use it in its channel`);
  return c;
}

/** Escalate on the case card: the same call and answer as `/ir escalate`. */
export const caseEscalate: ButtonHandler = async ({ who, action, respond, services }) => {
  const c = await cardCase(services, buttonValue(caseValue, action), who);
  const r = await services.escalation.escalate(who, 'from the case card', c.id);
  await respond({ response_type: 'ephemeral', replace_original: false, text: escalationAnswer(r) });
};

/** Report on the case card: the same call and answer as `/ir report`. */
export const caseReport: ButtonHandler = async ({ who, action, respond, services }) => {
  const c = await cardCase(services, buttonValue(caseValue, action), who);
  await services.reports.request(who, c);
  await respond({ response_type: 'ephemeral', replace_original: false, text: reportAnswer(c.id) });
};

/** Timeline on the case card: the first page of `/ir timeline`, to the clicker only. */
export const caseTimeline: ButtonHandler = async ({ who, action, respond, services }) => {
  const c = await cardCase(services, buttonValue(caseValue, action), who);
  await respond({ response_type: 'ephemeral', replace_original: false, ...renderTimelinePage(c.id, await services.cases.timeline(who, c), 1) });
};
