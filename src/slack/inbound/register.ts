import type { App } from '@slack/bolt';
import type { Logger } from '../../log';
import { registerButtons } from './buttons/register-buttons';
import { installErrorHandler } from './error-handler';
import { registerIrCommand } from './ir-command';
import type { ListenerServices } from './listener-services';
import { installWorkspaceGuard } from './workspace-guard';

/** Everything a Bolt app (HTTP, Socket Mode or Lambda) listens to, wired the same way. */
export function registerListeners(app: App, services: ListenerServices, opts: { teamId: string; log: Logger }): void {
  installWorkspaceGuard(app, opts.teamId, opts.log);
  installErrorHandler(app, opts.log);
  registerIrCommand(app, services);
  registerButtons(app, services);
}
