import { escalationAnswer } from '../../blocks/escalation-message';
import type { SubcommandHandler } from './subcommand';

/** `/ir escalate [reason]` (in the case channel or its bridge): the same call as the Escalate button. */
export const escalate: SubcommandHandler<'escalate'> = async ({ who, cmd, respond, services }) => {
  const r = await services.escalation.escalate(who, cmd.reason);
  await respond({
    response_type: 'ephemeral',
    text: escalationAnswer(r),
  });
};

/** `/ir ack`: the same call as the Acknowledge button. */
export const ack: SubcommandHandler<'ack'> = async ({ who, respond, services }) => {
  const r = await services.escalation.acknowledge(who);
  await respond({
    response_type: 'ephemeral',
    text: r.already ? `Already acknowledged by <@${r.case.acknowledgedBy ?? ''}>; nothing changed.` : `Acknowledged: you own case ${r.case.id}.`,
  });
};
