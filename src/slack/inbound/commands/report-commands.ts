import { IR_USAGE } from '../../../domain/commands/ir-command';
import { STATS_DAYS } from '../../../services/report-service';
import { renderStats } from '../../blocks/stats-message';
import { inCaseChannel } from '../middleware';
import type { SubcommandHandler, SubcommandRequest } from './subcommand';

/** `/ir report`: the worker renders and uploads it. */
export const report: SubcommandHandler<'report'> = inCaseChannel<SubcommandRequest<'report'>>(`run \`${IR_USAGE.report}\` in a case channel, or \`cordon report <case-id>\` from a terminal`, async ({ who, case: c, respond, services }) => {
  await services.reports.request(who, c);
  await respond({ response_type: 'ephemeral', text: reportAnswer(c.id) });
});

/** The answer to `/ir report` and the case card's Report button alike. */
export function reportAnswer(caseId: string): string {
  return `Building the report for ${caseId}; it will be uploaded to this channel.`;
}

/** `/ir stats`. */
export const stats: SubcommandHandler<'stats'> = async ({ who, respond, services }) => {
  await respond({ response_type: 'ephemeral', text: renderStats(await services.reports.statsFor(who), STATS_DAYS) });
};
