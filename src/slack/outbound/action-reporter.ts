import type { WebClient } from '@slack/web-api';
import type { Action, PlanStep, StepRecord } from '../../domain/actions/action';
import type { ActionObserver } from '../../containment/containment-service';
import type { ActionMessages } from '../../services/action-service';
import { errorMessage } from '../../errors';
import type { Logger } from '../../log';
import { renderActionMessage, renderStepLog, STEP_LOG_MAX_STEPS } from '../blocks/action-message';

/**
 * Least time between two progress edits of the action's message while its steps run
 * (chat.update is Tier 3, 50+ a minute per app per workspace: https://api.slack.com/docs/rate-limits;
 * twenty containments at once must not spend it).
 */
export const PROGRESS_EDIT_MS = 3000;

/** What the reporter remembers of an action while it runs. */
interface Running {
  /** When the message was last edited (or the first step was told). */
  lastEditAt: number;
  edits: number;
  /** The steps told so far, in the order they ended. */
  told: PlanStep[];
}

/**
 * Reports a running action in Slack for no more calls than a script that posts one line
 * per step (issue 16 point 11): the action's message, which shows every step's outcome
 * from the record, is edited with progress at most every {@link PROGRESS_EDIT_MS} and
 * never more often than the step count allows; when the action ends, the step log is
 * threaded under it in as few replies as fit ({@link STEP_LOG_MAX_STEPS} steps each) and
 * the message gets its final status (with Revert where it applies). The records are in
 * the store before this runs, so a Slack failure never stops containment.
 */
export class SlackActionReporter implements ActionObserver, ActionMessages {
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly client: WebClient,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Progress edits one action may spend: a step-logging script posts one line per step
   * plus one; Cordon's plan message, its final edit and its step log replies come out of
   * the same budget.
   */
  static progressEdits(steps: number): number {
    return Math.max(0, steps - 1 - Math.ceil(steps / STEP_LOG_MAX_STEPS));
  }

  async onStep(action: Action, step: PlanStep, _record: StepRecord): Promise<void> {
    if (!action.messageChannel || !action.messageTs) return;
    const now = this.now();
    let r = this.running.get(action.id);
    if (!r) {
      r = { lastEditAt: now, edits: 0, told: [] };
      this.running.set(action.id, r);
    }
    if (!r.told.some((s) => s.id === step.id)) r.told.push(step);
    if (now - r.lastEditAt < PROGRESS_EDIT_MS || r.edits >= SlackActionReporter.progressEdits(action.plan.length)) return;
    r.lastEditAt = now;
    r.edits++;
    await this.refresh(action);
  }

  async onFinish(action: Action): Promise<void> {
    const r = this.running.get(action.id);
    this.running.delete(action.id);
    if (r?.told.length && action.messageChannel && action.messageTs) {
      // The step log as recorded at the end: each step's final outcome, in the order they ended.
      const lines = r.told.flatMap((step) => {
        const rec = action.steps.find((x) => x.stepId === step.id);
        return rec ? [{ step, rec }] : [];
      });
      for (const msg of renderStepLog(lines)) {
        try {
          await this.client.chat.postMessage({ channel: action.messageChannel, thread_ts: action.messageTs, ...msg, unfurl_links: false });
        } catch (err) {
          // The action's message below shows every step's outcome from the record either way.
          this.log.error({ actionId: action.id, caseId: action.caseId, err: errorMessage(err) }, 'step log not posted; the action message shows each outcome');
        }
      }
    }
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
