import * as z from 'zod';
import { ACTION_ID_PATTERN } from '../../../domain/commands/ir-command';
import { buttonValue, type ButtonHandler } from './button';

const actionValue = z.string().regex(ACTION_ID_PATTERN, 'the button does not name an action');

/** Approve on a plan message (the service binds the action to its channel and checks four eyes). */
export const approve: ButtonHandler = async ({ who, action, services }) => {
  await services.actions.approve(who, buttonValue(actionValue, action));
};

/** Reject on a plan message. */
export const reject: ButtonHandler = async ({ who, action, services }) => {
  await services.actions.reject(who, buttonValue(actionValue, action));
};

/** Revert on an action message: the same call as `/ir revert`. */
export const revert: ButtonHandler = async ({ who, action, services }) => {
  await services.actions.requestRevert(who, buttonValue(actionValue, action));
};
