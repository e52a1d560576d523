import type { App } from '@slack/bolt';
import { z } from 'zod';
import { BAND_LABEL } from '../../domain/triage/bands';
import { safeText } from '../../domain/text/mrkdwn';
import { CordonError, ErrorCode } from '../../errors';
import type { Store } from '../../store/store';
import { SLASH_COMMAND } from '../ids';

/** What `/ir help` lists: only commands this build answers. */
export const IR_HELP = [
  '*Cordon* — `/ir` commands',
  '• `/ir help` — this list',
  '• `/ir status` — the case of this channel: severity, status, findings',
].join('\n');

const commandBody = z.object({
  text: z.string().max(4000, 'the command is longer than 4000 characters'),
  channel_id: z.string().min(1),
  user_id: z.string().min(1),
});

/** Thin listener: validate, call the store/service, answer ephemerally. */
export function registerIrCommand(app: App, store: Store): void {
  app.command(SLASH_COMMAND, async ({ command, ack, respond }) => {
    const parsed = commandBody.safeParse(command);
    if (!parsed.success) {
      await ack();
      throw new CordonError(ErrorCode.INPUT_INVALID, 'the command could not be read; try `/ir help`');
    }
    const [sub = 'help', ...rest] = parsed.data.text.trim().split(/\s+/).filter(Boolean);
    switch (sub.toLowerCase()) {
      case 'help':
        await ack({ response_type: 'ephemeral', text: IR_HELP });
        return;
      case 'status': {
        await ack();
        if (rest.length) throw new CordonError(ErrorCode.INPUT_INVALID, '`/ir status` takes no arguments. Usage: `/ir status`');
        const c = await store.getCaseByChannel(parsed.data.channel_id);
        if (!c) {
          throw new CordonError(ErrorCode.CASE_NOT_FOUND, 'this channel is not a case channel; run `/ir status` in a case channel');
        }
        const findings = await store.listFindings({ caseId: c.id });
        await respond({
          response_type: 'ephemeral',
          text: `*${c.id}* ${safeText(c.title, 300)}\n${BAND_LABEL[c.band]} (${c.severity}) · ${c.status} · ${findings.length} finding${findings.length === 1 ? '' : 's'} · accounts ${c.accounts.join(', ')}`,
        });
        return;
      }
      default:
        await ack();
        throw new CordonError(
          ErrorCode.INPUT_INVALID,
          `\`${safeText(sub, 40)}\` is not an /ir command. Usage: \`/ir help\` lists the commands.`,
        );
    }
  });
}
