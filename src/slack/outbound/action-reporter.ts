import type { WebClient } from '@slack/web-api';
import type { Action, PlanStep, StepRecord } from '../../domain/actions/action';
import type { ActionObserver } from '../../containment/containment-service';
import type { ActionMessages } from '../../services/action-service';
import { errorMessage } from '../../errors';
import type { Logger } from '../../log';
import { renderActionMessage, renderStepReply } from '../blocks/action-message';

/**
 * Threads one reply per step under the action's message and edits the parent with
 * progress and, at the end, the final status (with Revert where it applies). The
 * records are in the store before this runs, so a Slack failure never stops
 * containment: a step line that could not be posted is posted again when the action
 * ends (in step order, with the step's outcome as then recorded).
 */
export class SlackActionReporter implements ActionObserver, ActionMessages {
  /** Step lines Slack did not take, by action id. */
  private readonly missed = new Map<string, PlanStep[]>();

  constructor(
    private readonly client: WebClient,
    private readonly log: Logger,
  ) {}

  async onStep(action: Action, step: PlanStep, record: StepRecord): Promise<void> {
    if (!action.messageChannel || !action.messageTs) return;
    try {
      await this.postLine(action, step, record);
    } catch (err) {
      this.missed.set(action.id, [...(this.missed.get(action.id) ?? []), step]);
      this.log.warn({ actionId: action.id, caseId: action.caseId, step: step.id, err: errorMessage(err) }, 'step line not posted; posting it again when the action ends');
    }
    await this.refresh(action);
  }

  async onFinish(action: Action): Promise<void> {
    const missed = this.missed.get(action.id) ?? [];
    this.missed.delete(action.id);
    for (const step of missed) {
      const record = action.steps.find((r) => r.stepId === step.id);
      if (!record) continue;
      try {
        await this.postLine(action, step, record);
      } catch (err) {
        // The parent message below shows every step's outcome from the record either way.
        this.log.error({ actionId: action.id, caseId: action.caseId, step: step.id, err: errorMessage(err) }, 'step line not posted again; the action message shows its outcome');
      }
    }
    await this.refresh(action);
  }

  private async postLine(action: Action, step: PlanStep, record: StepRecord): Promise<void> {
    await this.client.chat.postMessage({ channel: action.messageChannel as string, thread_ts: action.messageTs, ...renderStepReply(step, record), unfurl_links: false });
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
