import type { WebClient } from '@slack/web-api';
import type { Action, PlanStep, StepRecord } from '../domain/actions/action';
import type { ActionObserver } from '../containment/containment-service';
import { errorMessage } from '../errors';
import type { Logger } from '../log';
import { renderActionMessage, renderStepReply } from './blocks/action-message';

/**
 * Threads one reply per step under the action's message and edits the parent with
 * progress and, at the end, the final status (with Revert where it applies). The
 * records are in the store before this runs; a Slack failure is logged, not fatal.
 */
export class SlackActionReporter implements ActionObserver {
  constructor(
    private readonly client: WebClient,
    private readonly log: Logger,
  ) {}

  async onStep(action: Action, step: PlanStep, record: StepRecord): Promise<void> {
    if (!action.messageChannel || !action.messageTs) return;
    await this.client.chat.postMessage({ channel: action.messageChannel, thread_ts: action.messageTs, ...renderStepReply(step, record), unfurl_links: false });
    await this.refresh(action);
  }

  async onFinish(action: Action): Promise<void> {
    await this.refresh(action);
  }

  /** Re-renders the parent message from the action as stored. */
  async refresh(action: Action): Promise<void> {
    if (!action.messageChannel || !action.messageTs) return;
    try {
      await this.client.chat.update({ channel: action.messageChannel, ts: action.messageTs, ...renderActionMessage(action) });
    } catch (err) {
      this.log.error({ actionId: action.id, caseId: action.caseId, err: errorMessage(err) }, 'could not edit the action message');
    }
  }
}
