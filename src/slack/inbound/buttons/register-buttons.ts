import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ActionId } from '../../ids';
import type { ListenerServices } from '../listener-services';
import { buttonRequester } from '../middleware';
import { approve, reject, revert } from './action-buttons';
import type { ButtonHandler } from './button';
import { acknowledge } from './escalation-buttons';
import { approveSuppression, contain, escalate, suppressSimilar } from './finding-buttons';
import { inviteOwner } from './owner-buttons';
import { caseEscalate, caseReport, caseTimeline } from './case-buttons';

/** An `action_id` of a Cordon button. */
type ButtonId = (typeof ActionId)[keyof typeof ActionId];

/** Every button Cordon puts in a message, by action_id, and who answers it. */
export const BUTTON_HANDLERS: Readonly<Record<ButtonId, ButtonHandler>> = {
  [ActionId.APPROVE]: approve,
  [ActionId.REJECT]: reject,
  [ActionId.REVERT]: revert,
  [ActionId.ACKNOWLEDGE]: acknowledge,
  [ActionId.ESCALATE]: escalate,
  [ActionId.SUPPRESS_SIMILAR]: suppressSimilar,
  [ActionId.CONTAIN]: contain,
  [ActionId.APPROVE_SUPPRESSION]: approveSuppression,
  [ActionId.INVITE_OWNER]: inviteOwner,
  [ActionId.CASE_ESCALATE]: caseEscalate,
  [ActionId.CASE_REPORT]: caseReport,
  [ActionId.CASE_TIMELINE]: caseTimeline,
};

/** Button values carry ids only; every click reloads the record, and the service checks the role. */
export function registerButtons(app: App, services: ListenerServices, handlers: Readonly<Record<ButtonId, ButtonHandler>> = BUTTON_HANDLERS): void {
  for (const [actionId, handler] of Object.entries(handlers)) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, respond, client }) => {
      await ack();
      await handler({ who: buttonRequester(body), action, respond, client, services });
    });
  }
}
