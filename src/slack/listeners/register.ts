import type { App } from '@slack/bolt';
import type { Logger } from '../../log';
import { registerButtons } from './button-actions';
import { installErrorHandler } from './error-handler';
import { registerIrCommand, type ListenerDeps } from './ir-command';
import { installWorkspaceGuard } from './workspace-guard';

/** Everything a Bolt app (HTTP, Socket Mode or Lambda) listens to, wired the same way. */
export function registerListeners(app: App, deps: ListenerDeps & { teamId: string; log: Logger }): void {
  installWorkspaceGuard(app, deps.teamId, deps.log);
  installErrorHandler(app, deps.log);
  registerIrCommand(app, deps);
  registerButtons(app, deps);
}
