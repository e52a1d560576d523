import { safeText } from '../../../domain/text/mrkdwn';
import { withChannelCase } from '../middleware';
import type { SubcommandHandler, SubcommandRequest } from './subcommand';

/** `/ir suppress <type> [--for 7d] [reason]`: in a case channel, scoped to the case's accounts and regions. */
export const suppress: SubcommandHandler<'suppress'> = withChannelCase<SubcommandRequest<'suppress'>>(async ({ who, cmd, case: c, respond, services }) => {
  const rule = await services.suppression.suppress(who, {
    type: cmd.type,
    accounts: c?.accounts ?? [],
    regions: c?.regions ?? [],
    reason: cmd.reason ?? 'no reason given',
    ...(cmd.forMs ? { forMs: cmd.forMs } : {}),
    ...(c ? { caseId: c.id } : {}),
  });
  await respond({
    response_type: 'ephemeral',
    text: `Suppression rule \`${rule.id}\` for \`${safeText(cmd.type, 100)}\`${rule.approval && !rule.approval.approvedBy ? ' waits for a second commander (Approve in the triage channel) and suppresses nothing until then;' : ''}${rule.expires ? ` until ${rule.expires.slice(0, 16).replace('T', ' ')} UTC` : ''}${rule.filtersPending?.length ? `; its GuardDuty ARCHIVE filter${rule.filtersPending.length === 1 ? ' follows' : `s follow in ${rule.filtersPending.length} account/region pairs`}` : ''}. Lift it with \`/ir unsuppress ${rule.id}\`.`,
  });
});

/** `/ir unsuppress <rule-id>`. */
export const unsuppress: SubcommandHandler<'unsuppress'> = withChannelCase<SubcommandRequest<'unsuppress'>>(async ({ who, cmd, case: c, respond, services }) => {
  const lifted = await services.suppression.lift(who, cmd.ruleId, c?.id);
  const pending = lifted.filters?.length ?? 0;
  await respond({
    response_type: 'ephemeral',
    text: pending
      ? `Suppression rule \`${lifted.id}\` no longer applies; its GuardDuty filter${pending === 1 ? ' is' : `s in ${pending} account/region pairs are`} being deleted (Cordon retries until ${pending === 1 ? 'it is' : 'they are'} gone).`
      : `Suppression rule \`${lifted.id}\` lifted.`,
  });
});
