import * as z from 'zod';
import { CASE_ID_PATTERN } from '../../../domain/cases/case-id';
import { CordonError, ErrorCode } from '../../../errors';
import type { Requester } from '../../../services/action-service';
import type { ListenerServices } from '../listener-services';
import { buttonValue, type ButtonHandler } from './button';

const caseValue = z.string().regex(CASE_ID_PATTERN, 'the button does not name a case');

/** A case button is honoured only in the case's channel or its bridge. */
async function caseHere(services: ListenerServices, caseId: string, who: Requester): Promise<void> {
  const c = await services.store.getCase(caseId);
  if (!c) throw new CordonError(ErrorCode.CASE_NOT_FOUND, `no case ${caseId}`);
  if (who.channelId !== c.channelId && who.channelId !== c.bridgeChannelId) {
    throw new CordonError(ErrorCode.INPUT_INVALID, `this button is for case ${c.id}; use it in ${c.bridgeChannelId ? `<#${c.bridgeChannelId}>` : c.channelId ? `<#${c.channelId}>` : 'its channel'}`);
  }
}

/** Acknowledge on the bridge message: the same call as `/ir ack`. */
export const acknowledge: ButtonHandler = async ({ who, action, services }) => {
  const caseId = buttonValue(caseValue, action);
  await caseHere(services, caseId, who);
  await services.escalation.acknowledge(who, caseId);
};
