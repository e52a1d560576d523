import { CordonError, ErrorCode } from '../../errors';
import type { Action, ActionStatus } from '../actions/action';
import { BAND_ORDER } from '../triage/bands';
import { cardEditNow, type Case, type NewTimelineEvent } from './case';

/**
 * Folding one case into another (docs/triage.md, "Merge"): decided here once, applied by
 * both stores. Everything of the merged case moves (findings, keys, actions, timeline);
 * the merged case stays, closed, as a pointer, and its channel is archived by the publisher
 * once the pointer is posted.
 */
export interface MergeRequest {
  intoId: string;
  fromId: string;
  at: string;
  /** Slack user id, `cli:<user>` or `cordon`. */
  actor: string;
  /** Why, in words: "attack sequence <id> names findings of both", "/ir merge". */
  reason: string;
}

/** What a merge moved, for the audit line and the reply. */
export interface MergeResult {
  into: Case;
  from: Case;
  moved: { findings: number; actions: number; events: number; keys: number };
}

const union = (a: readonly string[], b: readonly string[]): string[] => [...new Set([...a, ...b])];
const earliest = (a: string | undefined, b: string | undefined): string | undefined => (a && b ? (a < b ? a : b) : (a ?? b));

/** Refuses what cannot be merged: itself, a case already merged, a closed survivor. Pure. */
export function checkMerge(into: Case | undefined, from: Case | undefined, req: MergeRequest): asserts into is Case {
  if (!into) throw new CordonError(ErrorCode.CASE_NOT_FOUND, `case ${req.intoId} does not exist`);
  if (!from) throw new CordonError(ErrorCode.CASE_NOT_FOUND, `case ${req.fromId} does not exist`);
  if (into.id === from.id) throw new CordonError(ErrorCode.INPUT_INVALID, `case ${into.id} cannot be merged into itself`);
  if (from.mergedInto && from.mergedInto !== into.id) throw new CordonError(ErrorCode.INPUT_INVALID, `case ${from.id} was already merged into ${from.mergedInto}`);
  if (into.mergedInto) throw new CordonError(ErrorCode.INPUT_INVALID, `case ${into.id} was merged into ${into.mergedInto}; merge into that one`);
  if (into.status === 'closed') throw new CordonError(ErrorCode.INPUT_INVALID, `case ${into.id} is closed; a closed case takes nothing`);
}

/**
 * The survivor, widened by the merged case: the higher severity and its title, every
 * account, region and owner, the routing flags, and the merged case's bridge if the
 * survivor had none (an escalation is never dropped). Pure.
 */
export function absorbCase(into: Case, from: Case, at: string): Case {
  const raised = BAND_ORDER[from.band] > BAND_ORDER[into.band];
  const owners = union(into.ownerEmails, from.ownerEmails);
  const next: Case = {
    ...cardEditNow(into),
    severity: Math.max(into.severity, from.severity),
    band: raised ? from.band : into.band,
    title: raised ? from.title : into.title,
    accounts: union(into.accounts, from.accounts),
    regions: union(into.regions, from.regions),
    mention: into.mention || from.mention,
    escalate: into.escalate || from.escalate,
    ownerEmails: owners,
    lastActivityAt: into.lastActivityAt > from.lastActivityAt ? into.lastActivityAt : from.lastActivityAt,
    updatedAt: at,
    cardDirty: true,
    mergedFrom: union(into.mergedFrom ?? [], [from.id]),
  };
  const detected = earliest(into.detectedAt, from.detectedAt);
  if (detected) next.detectedAt = detected;
  if (!into.escalatedAt && from.escalatedAt) {
    for (const k of ['escalatedAt', 'escalatedBy', 'escalationReason', 'bridgeChannelId', 'bridgeChannelName', 'bridgeTs', 'acknowledgedAt', 'acknowledgedBy', 'lastPagedAt', 'pages'] as const) {
      if (from[k] !== undefined) (next as unknown as Record<string, unknown>)[k] = from[k];
    }
  }
  // New owners must be invited into the survivor's channel: run the invite step again.
  if (owners.length > into.ownerEmails.length) delete next.invitedAt;
  return next;
}

/** The merged case: closed, pointing at the survivor. Pure. */
export function retireCase(from: Case, req: MergeRequest, pending: boolean): Case {
  return {
    ...cardEditNow(from),
    status: 'closed',
    closedAt: from.closedAt ?? req.at,
    closedBy: from.closedBy ?? req.actor,
    mergedInto: req.intoId,
    mergedAt: req.at,
    ...(pending ? { mergePending: true } : {}),
    updatedAt: req.at,
    cardDirty: true,
  };
}

/**
 * The survivor's event (moves with nothing: it is its own) and the pointer left in the
 * merged case's channel, which is posted there before the channel is archived. Pure.
 */
export function mergeEvents(into: Case, from: Case, req: MergeRequest): { survivor: NewTimelineEvent; pointer: NewTimelineEvent } {
  const by = req.actor === 'cordon' ? 'Cordon' : req.actor;
  return {
    survivor: { caseId: into.id, at: req.at, kind: 'case.merged', actor: req.actor, text: `Case ${from.id} merged into this case by ${by}: ${req.reason}` },
    pointer: { caseId: from.id, at: req.at, kind: 'case.merged_into', actor: req.actor, text: `This case was merged into ${into.id}${into.channelName ? ` (#${into.channelName})` : ''}: ${req.reason}. Its findings, actions and timeline are there now; this channel will be archived.` },
  };
}

/**
 * Actions still moving: their thread lives in the merged channel, which the merge archives,
 * so their next step could not be posted. A merge waits until they settle.
 */
const IN_FLIGHT: readonly ActionStatus[] = ['planned', 'pending_approval', 'approved', 'running', 'reverting'];

/** Refuses a merge while an action of the merged case is in flight, naming it. Pure. */
export function checkActionsSettled(fromId: string, actions: readonly Pick<Action, 'id' | 'status'>[]): void {
  const busy = actions.filter((a) => IN_FLIGHT.includes(a.status));
  if (busy.length) {
    throw new CordonError(ErrorCode.INPUT_INVALID, `case ${fromId} has ${busy.length === 1 ? 'an action' : 'actions'} in flight (${busy.map((a) => `${a.id} ${a.status}`).slice(0, 3).join(', ')}); merge it once ${busy.length === 1 ? 'it has' : 'they have'} finished`);
  }
}
