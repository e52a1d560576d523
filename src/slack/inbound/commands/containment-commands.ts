import { safeText } from '../../../domain/text/mrkdwn';
import type { SubcommandHandler } from './subcommand';

/** `/ir contain <arn|key> [--dry-run] [reason]`: the same call as the Contain button. */
export const contain: SubcommandHandler<'contain'> = async ({ who, cmd, respond, services }) => {
  const { caseId, dryRun } = await services.actions.requestContain(who, {
    target: cmd.target,
    dryRun: cmd.dryRun,
    ...(cmd.reason ? { reason: cmd.reason } : {}),
  });
  const c = await services.store.getCase(caseId);
  await respond({
    response_type: 'ephemeral',
    text: `${dryRun ? `Dry run${cmd.dryRun ? '' : ' (a drill case changes nothing)'}: planning` : 'Planning'} containment of \`${safeText(cmd.target, 200)}\` in case ${caseId}${c?.channelId ? ` (<#${c.channelId}>)` : ''}. The plan appears in the case channel.`,
  });
};

/** `/ir revert <action-id>`: the same call as the Revert button. */
export const revert: SubcommandHandler<'revert'> = async ({ who, cmd, respond, services }) => {
  const a = await services.actions.requestRevert(who, cmd.actionId, cmd.keepOff, { restoreOpen: cmd.restoreOpen === true });
  const waiting = a.revertRequest?.approvalRule && !a.revertRequest.approvedBy;
  await respond({
    response_type: 'ephemeral',
    text: waiting ? `The revert of \`${a.id}\` needs a second commander (${a.revertRequest?.approvalRule ?? ''}); it runs once another commander presses Revert.` : `Reverting \`${a.id}\`${cmd.keepOff.length ? `, leaving ${cmd.keepOff.join(', ')} inactive` : ''}${a.revertRequest?.restoreOpen ? ', putting interfaces back in their own groups even where those are open to the internet' : ''}; its steps are threaded under the action.`,
  });
};
