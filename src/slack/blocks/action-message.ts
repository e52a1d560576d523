import type { Action, PlanStep, StepRecord } from '../../domain/actions/action';
import { safeCode, safeText } from '../../domain/text/mrkdwn';
import { ActionId } from '../ids';
import { fitMessage, LIMITS, type KnownBlock, type RenderedMessage } from './block-types';
import { renderActor } from './timeline-message';

const STATUS_LABEL: Record<Action['status'], string> = {
  planned: ':hourglass_flowing_sand: planned',
  pending_approval: ':raised_hand: waiting for approval',
  approved: ':white_check_mark: approved, starting',
  rejected: ':no_entry_sign: rejected',
  expired: ':alarm_clock: approval expired',
  running: ':gear: running',
  applied: ':lock: contained',
  partially_applied: ':warning: partially applied',
  not_contained: ':rotating_light: NOT contained',
  failed: ':x: failed',
  interrupted: ':warning: interrupted',
  reverting: ':leftwards_arrow_with_hook: reverting',
  reverted: ':unlock: reverted',
  revert_failed: ':x: revert failed',
  dry_run: ':mag: dry run (nothing changed)',
};

const STEP_ICON: Record<StepRecord['status'], string> = {
  pending: ':white_circle:',
  running: ':gear:',
  applied: ':white_check_mark:',
  failed: ':x:',
  unknown: ':grey_question:',
  reverting: ':gear:',
  reverted: ':leftwards_arrow_with_hook:',
  revert_failed: ':x:',
  kept: ':file_cabinet:',
};

/** "3/7 — Snapshot EBS volume …": where a running action is. */
export function progressLine(a: Action): string {
  const total = a.plan.length;
  const done = a.steps.filter((s) => s.status === 'applied' || s.status === 'reverted' || s.status === 'kept').length;
  const current = a.steps.find((s) => s.status === 'running' || s.status === 'reverting');
  const step = current ? a.plan.find((p) => p.id === current.stepId) : undefined;
  return `${done}/${total}${step ? ` — ${safeText(step.description, 200)}` : ''}`;
}

function planSections(a: Action): KnownBlock[] {
  if (!a.plan.length) return [{ type: 'section', text: { type: 'mrkdwn', text: '_No change needed._' } }];
  const lines = a.plan.map((s) => {
    const rec = a.steps.find((r) => r.stepId === s.id);
    const icon = rec && rec.status !== 'pending' ? STEP_ICON[rec.status] : '•';
    return `${icon} ${safeText(s.description, 400)}${s.revertible ? '' : ' _(kept on revert)_'}`;
  });
  const blocks: KnownBlock[] = [];
  let chunk = '';
  for (const line of lines) {
    if (chunk.length + line.length + 1 > LIMITS.sectionText - 100) {
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
      chunk = '';
    }
    chunk += (chunk ? '\n' : '') + line;
  }
  if (chunk) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
  return blocks.slice(0, 40);
}

/** The action's parent message: what, who, the plan with per-step state, and the buttons that fit its status. */
export function renderActionMessage(a: Action): RenderedMessage {
  const who = renderActor(a.requestedBy);
  const head = `*Contain ${a.kind}* ${safeCode(a.target.ref, 300)}\nrequested by ${who}${a.reason ? ` · ${safeText(a.reason, 500)}` : ''}`;
  let status = STATUS_LABEL[a.status];
  if (a.status === 'running' || a.status === 'reverting') status += ` · ${progressLine(a)}`;
  if (a.status === 'pending_approval' && a.expiresAt) status += ` · rule “${safeText(a.approvalRule ?? '', 100)}” · expires ${a.expiresAt.slice(11, 16)} UTC`;
  if (a.approvedBy) status += ` · approved by ${renderActor(a.approvedBy)}`;
  if (a.rejectedBy) status += ` · rejected by ${renderActor(a.rejectedBy)}`;
  if (a.revertedBy && (a.status === 'reverted' || a.status === 'reverting' || a.status === 'revert_failed')) status += ` · revert by ${renderActor(a.revertedBy)}`;
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: head } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `${status} · action \`${a.id}\`` }] },
    ...planSections(a),
  ];
  if (a.notes.length) {
    blocks.push({ type: 'context', elements: a.notes.slice(0, LIMITS.contextElements).map((n) => ({ type: 'mrkdwn' as const, text: safeText(n, 300) })) });
  }
  const buttons = [];
  if (a.status === 'pending_approval') {
    buttons.push(
      { type: 'button' as const, action_id: ActionId.APPROVE, text: { type: 'plain_text' as const, text: 'Approve' }, style: 'primary' as const, value: a.id },
      { type: 'button' as const, action_id: ActionId.REJECT, text: { type: 'plain_text' as const, text: 'Reject' }, style: 'danger' as const, value: a.id },
    );
  }
  if (['applied', 'partially_applied', 'not_contained', 'failed', 'interrupted', 'revert_failed'].includes(a.status) && a.steps.some((s) => s.status === 'applied' || s.status === 'unknown' || s.status === 'revert_failed')) {
    const confirm = revertConfirm(a);
    buttons.push({ type: 'button' as const, action_id: ActionId.REVERT, text: { type: 'plain_text' as const, text: 'Revert' }, value: a.id, ...(confirm ? { confirm } : {}) });
  }
  if (buttons.length) blocks.push({ type: 'actions', block_id: `action:${a.id}`, elements: buttons });
  // The buttons (and the notes) stay whatever the plan's length; plan lines past the budget are left out (each step is also threaded).
  const tail = (buttons.length ? 1 : 0) + (a.notes.length ? 1 : 0);
  return fitMessage({ text: `Contain ${a.kind} ${safeText(a.target.ref, 300)}: ${STATUS_LABEL[a.status].replace(/^:[a-z_]+: /, '')}`, blocks }, tail);
}

/**
 * The Revert button asks first when it would reactivate access keys (issue 15, point 11):
 * it names them, flags those created during the incident, and says how to leave some off.
 */
export function revertConfirm(a: Action): { title: { type: 'plain_text'; text: string }; text: { type: 'plain_text'; text: string }; confirm: { type: 'plain_text'; text: string }; deny: { type: 'plain_text'; text: string } } | undefined {
  const keys = a.plan.filter((s) => s.op === 'iam.key-deactivate' && ['applied', 'unknown', 'revert_failed'].includes(a.steps.find((r) => r.stepId === s.id)?.status ?? ''));
  if (!keys.length) return undefined;
  const id = (s: PlanStep): string => (typeof s.params.keyId === 'string' ? s.params.keyId : '?');
  const fresh = keys.filter((s) => s.params.duringIncident === true).map(id);
  const text = `Revert reactivates access key${keys.length > 1 ? 's' : ''} ${keys.map(id).join(', ')}.${fresh.length ? ` Created during the incident: ${fresh.join(', ')}.` : ''} To leave some off: /ir revert ${a.id} --keep-off <key-id>`;
  return {
    title: { type: 'plain_text', text: 'Reactivate access keys?' },
    text: { type: 'plain_text', text: text.length > 300 ? `${text.slice(0, 299)}…` : text },
    confirm: { type: 'plain_text', text: 'Revert' },
    deny: { type: 'plain_text', text: 'Cancel' },
  };
}

/** One threaded reply per step: outcome and duration. */
export function renderStepReply(step: PlanStep, rec: StepRecord): RenderedMessage {
  const reverting = rec.status === 'reverted' || rec.status === 'revert_failed' || rec.status === 'kept';
  const start = reverting ? rec.revertStartedAt : rec.startedAt;
  const end = reverting ? rec.revertFinishedAt : rec.finishedAt;
  const ms = start && end ? ` · ${Date.parse(end) - Date.parse(start)} ms` : '';
  const err = reverting ? (rec.revertError ?? rec.keptReason) : rec.error;
  // A fallback the step took (a role whose inline quota was full) is said where the step is.
  const raw = reverting ? rec.result?.revertWarnings : rec.result?.warnings;
  const warnings = Array.isArray(raw) ? raw.filter((w): w is string => typeof w === 'string') : [];
  const verb = reverting ? `Revert: ${safeText(step.description, 500)}` : safeText(step.description, 500);
  const text = `${STEP_ICON[rec.status]} ${verb}${ms}${err ? `\n> ${safeText(err, 500)}` : ''}${warnings.map((w) => `\n> :warning: ${safeText(w, 700)}`).join('')}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** Step lines in one threaded step-log reply. */
export const STEP_LOG_MAX_STEPS = 10;
/** Text of one step-log reply's blocks, well within Slack's cumulative limit ({@link MESSAGE_TEXT_BUDGET}). */
const STEP_LOG_TEXT = 8_000;

/**
 * The step log threaded under an action's message when it ends: one section per step, in
 * as few replies as fit (at most {@link STEP_LOG_MAX_STEPS} steps and {@link STEP_LOG_TEXT}
 * characters each), instead of one reply per step.
 */
export function renderStepLog(lines: { step: PlanStep; rec: StepRecord }[]): RenderedMessage[] {
  const out: RenderedMessage[] = [];
  let blocks: KnownBlock[] = [];
  let texts: string[] = [];
  let size = 0;
  const close = () => {
    if (!blocks.length) return;
    out.push({ text: texts.join('\n').slice(0, LIMITS.fallbackText), blocks });
    blocks = [];
    texts = [];
    size = 0;
  };
  for (const { step, rec } of lines) {
    const line = renderStepReply(step, rec);
    if (blocks.length >= STEP_LOG_MAX_STEPS || size + line.text.length > STEP_LOG_TEXT) close();
    blocks.push(...line.blocks);
    texts.push(line.text);
    size += line.text.length;
  }
  close();
  return out;
}
