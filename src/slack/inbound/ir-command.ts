import type { App } from '@slack/bolt';
import { IR_USAGE, parseIrText } from '../../domain/commands/ir-command';
import { escapeMrkdwn, safeText } from '../../domain/text/mrkdwn';
import { SLASH_COMMAND } from '../ids';
import { whoami } from './commands/access-commands';
import { close, note, resolve, status, timeline } from './commands/case-commands';
import { contain, revert } from './commands/containment-commands';
import { ack, escalate } from './commands/escalation-commands';
import { report, stats } from './commands/report-commands';
import type { IrSub, SubcommandHandler, SubcommandRequest } from './commands/subcommand';
import { suppress, unsuppress } from './commands/suppression-commands';
import type { ListenerServices } from './listener-services';
import { commandRequester, type SlackRequest } from './middleware';

/**
 * What `/ir help` lists: only commands this build answers. Escaped as a whole: Slack
 * reads `<arn|access-key-id>` as a link even inside a code span.
 */
export const IR_HELP = escapeMrkdwn([
  '*Cordon* — `/ir` commands',
  `• \`${IR_USAGE.help}\` — this list`,
  `• \`${IR_USAGE.whoami}\` — your Cordon role and where it comes from`,
  `• \`${IR_USAGE.status}\` — the case of this channel: severity, status, findings, actions`,
  `• \`${IR_USAGE.contain}\` — plan and run containment (outside a case channel it opens a case)`,
  `• \`${IR_USAGE.revert}\` — restore what an action changed (commander)`,
  `• \`${IR_USAGE.note}\` — add a note to the case timeline`,
  `• \`${IR_USAGE.escalate}\` — open the bridge channel and page the escalation contacts`,
  `• \`${IR_USAGE.ack}\` — acknowledge an escalation (stops the re-paging)`,
  `• \`${IR_USAGE.timeline}\` — every event of the case, with UTC time and actor`,
  `• \`${IR_USAGE.report}\` — upload the Markdown report and the phase chart to the case channel`,
  `• \`${IR_USAGE.stats}\` — time to acknowledge, contain and resolve over the last 30 days, by severity`,
  `• \`${IR_USAGE.resolve}\` — mark the case resolved and post the checklist (commander)`,
  `• \`${IR_USAGE.close}\` — close the case (commander)`,
  `• \`${IR_USAGE.suppress}\` — triage suppresses matching findings from now on (commander)`,
  `• \`${IR_USAGE.unsuppress}\` — lift a suppression rule (commander)`,
].join('\n'));

/** One handler per subcommand but `help`, which is answered in the ack itself. */
export type SubcommandHandlers = { [S in Exclude<IrSub, 'help'>]: SubcommandHandler<S> };

/** The `/ir` subcommands and who answers each. */
export const IR_HANDLERS: SubcommandHandlers = { whoami, status, contain, revert, note, escalate, ack, timeline, report, stats, resolve, close, suppress, unsuppress };

/** Runs the handler of the command's own subcommand. */
function route<S extends Exclude<IrSub, 'help'>>(handlers: SubcommandHandlers, sub: S, req: SubcommandRequest<S>): Promise<void> {
  const handler: SubcommandHandler<S> = handlers[sub];
  return handler(req);
}

/** `/ir`: read who asks and what (zod), ack, and hand it to its subcommand's handler. */
export function registerIrCommand(app: App, services: ListenerServices, handlers: SubcommandHandlers = IR_HANDLERS): void {
  app.command(SLASH_COMMAND, async ({ command, ack, respond, client }) => {
    let read: ReturnType<typeof commandRequester>;
    try {
      read = commandRequester(command);
    } catch (err) {
      await ack();
      throw err;
    }
    const parsed = parseIrText(read.text);
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', text: `:warning: ${safeText(parsed.error, 1000)}` });
      return;
    }
    const cmd = parsed.command;
    if (cmd.sub === 'help') {
      await ack({ response_type: 'ephemeral', text: IR_HELP });
      return;
    }
    await ack();
    const req: SlackRequest = { who: read.who, respond, client, services };
    await route(handlers, cmd.sub, { ...req, cmd });
  });
}
