import type { ButtonAction } from '@slack/bolt';
import type * as z from 'zod';
import { CordonError, ErrorCode } from '../../../errors';
import type { SlackRequest } from '../middleware';

/** What one button's handler gets: the request and the button clicked. */
export interface ButtonRequest extends SlackRequest {
  action: ButtonAction;
}

/** Answers one button, after the ack (errors go to the one Bolt error handler). */
export type ButtonHandler = (req: ButtonRequest) => Promise<void>;

/** A button's value, validated: values carry ids only, and only ones Cordon made pass. */
export function buttonValue<T>(schema: z.ZodType<T>, action: ButtonAction): T {
  const parsed = schema.safeParse(action.value);
  if (!parsed.success) throw new CordonError(ErrorCode.INPUT_INVALID, `this button is not one Cordon made (${parsed.error.issues[0]?.message ?? 'bad value'})`);
  return parsed.data;
}
