import type { AnyMiddlewareArgs, App } from '@slack/bolt';
import type { Logger } from '../../log';

interface TeamBody {
  team_id?: unknown;
  team?: { id?: unknown } | null;
  user?: { team_id?: unknown } | null;
}

/** The workspace a request came from, wherever its payload keeps it. */
export function teamOf(body: unknown): string | undefined {
  const b = (body ?? {}) as TeamBody;
  const v = b.team_id ?? b.team?.id ?? b.user?.team_id;
  return typeof v === 'string' ? v : undefined;
}

/**
 * Requests from any workspace but the configured one are answered and dropped before
 * a listener runs: nothing is recorded for them.
 */
export function installWorkspaceGuard(app: App, teamId: string, log: Logger): void {
  app.use(async (args) => {
    const team = teamOf((args as AnyMiddlewareArgs).body);
    if (team === teamId) {
      await args.next();
      return;
    }
    log.warn({ team, expected: teamId }, 'request from another workspace refused');
    const ack = (args as { ack?: (msg?: { response_type: 'ephemeral'; text: string }) => Promise<void> }).ack;
    if ('command' in args) await ack?.({ response_type: 'ephemeral', text: ':no_entry: This Cordon serves another Slack workspace.' });
    else await ack?.();
  });
}
