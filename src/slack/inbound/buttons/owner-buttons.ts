import * as z from 'zod';
import { CASE_ID_PATTERN } from '../../../domain/cases/case-id';
import { CordonError, ErrorCode } from '../../../errors';
import { buttonValue, type ButtonHandler } from './button';

/** `<case-id> <e-mail>`, as `ownerInviteValue` writes it; the service checks the address against the case. */
const ownerValue = z
  .string()
  .max(400)
  .transform((v, ctx) => {
    const [caseId = '', email = '', ...rest] = v.split(' ');
    if (!CASE_ID_PATTERN.test(caseId) || !email || rest.length) {
      ctx.addIssue({ code: 'custom', message: 'the button does not name a case and an owner' });
      return z.NEVER;
    }
    return { caseId, email };
  });

/** Invite owner, under a resource owner's note in the case channel (responder). */
export const inviteOwner: ButtonHandler = async ({ who, action, respond, services }) => {
  const { caseId, email } = buttonValue(ownerValue, action);
  const c = await services.store.getCase(caseId);
  if (!c) throw new CordonError(ErrorCode.CASE_NOT_FOUND, `no case ${caseId}`);
  // Honoured only in the case's own channel: a value copied elsewhere cannot act on it.
  if (who.channelId !== c.channelId) throw new CordonError(ErrorCode.INPUT_INVALID, `this button is for case ${c.id}; use it in its channel`);
  const { userId } = await services.cases.inviteOwner(who, caseId, email);
  await respond({ response_type: 'ephemeral', replace_original: false, text: `Invited <@${userId}> to this case channel.` });
};
