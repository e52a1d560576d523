import type { Case, CaseStatus, NewTimelineEvent, StoredFinding } from './case';

/**
 * Where a new finding goes, decided once for every store. The stores only store: they read
 * the candidates this module asks for, write what {@link planPlacement} returns, and make
 * the two atomic (a SQLite transaction, a DynamoDB TransactWriteItems). Before, each store
 * carried its own copy of these rules (the SQLite one in SQL).
 */

/**
 * Everything one new finding changes, written in one atomic step: the finding, the
 * case it opens or joins, and the timeline events. A crash never leaves a case
 * without its finding, and SQLite commits once per finding instead of four times.
 */
export interface FindingPlacement {
  finding: StoredFinding;
  /** For cased findings: how to open or join the case (keys within `activeSince`). */
  claim?: {
    draft: Case;
    keys: string[];
    activeSince: string;
    /** Pure: the joined case as it must become, and the events that says so. */
    onJoin(existing: Case): { case: Case; events: NewTimelineEvent[] };
    /** Events when the draft is created. */
    onCreate: NewTimelineEvent[];
    /**
     * Join an active case if one shares a key, but never open one: a Low finding joins the
     * story it belongs to and otherwise stays in the digest (docs/triage.md).
     */
    joinOnly?: boolean;
    /** Name the other active cases sharing a key (an attack sequence merges them). */
    wantOthers?: boolean;
    /**
     * Told the moment a store has decided to open the draft, before its write is sent (the
     * write may still lose a race, and this be told again on the retry): the findings
     * function starts the case's Slack channel meanwhile. Stores that commit at once need not call it.
     */
    onCreating?: (draft: Case) => void;
  };
  /** Events written in any case (e.g. `finding.added`; their caseId is filled in). */
  events: Omit<NewTimelineEvent, 'caseId'>[];
}

/** What placing one finding did; `inserted: false` when a finding with its id was stored already. */
export type PlacementResult = { inserted: false } | { inserted: true; case?: Case; created: boolean; others?: string[] };

/** Outcome of correlating a new finding: the case it joined or the one it opened. */
export interface CaseClaim {
  case: Case;
  created: boolean;
  /** With `wantOthers`: the other active cases that share a key, most recently active first. */
  others?: string[];
}

/** Statuses in which a case still takes new findings; resolved and closed cases never do. */
export const ACTIVE_CASE_STATUSES: readonly CaseStatus[] = ['open', 'contained'];

/** The fields the active-case rule reads, so a store can apply it before parsing a whole case. */
export type ActiveCaseFields = Pick<Case, 'status' | 'lastActivityAt'>;

/** Active: takes findings (open or contained) and had activity at or after `activeSince`. */
export function isActiveCase(c: ActiveCaseFields, activeSince: string): boolean {
  return ACTIVE_CASE_STATUSES.includes(c.status) && c.lastActivityAt >= activeSince;
}

/**
 * The case a finding joins, among the cases sharing one of its correlation keys: the most
 * recently active of the active ones (the first of equals, in the order given); undefined
 * when none is active and the finding opens its own case. Timestamps are ISO-8601 UTC, so
 * string order is time order.
 */
export function pickActiveCase<C extends ActiveCaseFields>(candidates: readonly C[], activeSince: string): C | undefined {
  let best: C | undefined;
  for (const c of candidates) {
    if (!isActiveCase(c, activeSince)) continue;
    if (!best || c.lastActivityAt > best.lastActivityAt) best = c;
  }
  return best;
}

/** The active cases among `candidates` other than `chosen`, for a merge. Pure. */
export function otherActiveCases<C extends ActiveCaseFields & { id: string }>(candidates: readonly C[], activeSince: string, chosen: C | undefined): string[] {
  if (!chosen) return [];
  return [...new Set(candidates.filter((c) => c.id !== chosen.id && isActiveCase(c, activeSince)).map((c) => c.id))];
}

/** A Low finding waiting for the triage digest. Both stores index on it. */
export function isDigestPending(f: Pick<StoredFinding, 'disposition' | 'digestedAt'>): boolean {
  return f.disposition === 'digest' && !f.digestedAt;
}

/** What a store writes for one placement, given the claim it made (if the finding is cased). */
export interface PlacementPlan {
  /** The finding as stored, with its caseId. */
  finding: StoredFinding;
  /** A joined case as it must become: written on condition its version is still `expectedVersion`. */
  join?: { case: Case; expectedVersion: number };
  /** Events in timeline order: the claim's (opening or joining), then the placement's own. */
  events: NewTimelineEvent[];
  result: PlacementResult & { inserted: true };
}

/**
 * The placement algorithm: a claimed draft is the new case with the opening events; an
 * existing case is joined through `onJoin` (its version bumped once, as every store write
 * does); the finding takes the case's id and the placement's events are filed under it. Pure.
 */
export function planPlacement(p: FindingPlacement, claimed: CaseClaim | undefined): PlacementPlan {
  if (!p.claim || !claimed) return { finding: p.finding, events: [], result: { inserted: true, created: false } };
  let c: Case;
  const events: NewTimelineEvent[] = [];
  let join: PlacementPlan['join'];
  if (claimed.created) {
    c = claimed.case;
    events.push(...p.claim.onCreate);
  } else {
    const joined = p.claim.onJoin(claimed.case);
    c = { ...joined.case, version: claimed.case.version + 1 };
    join = { case: c, expectedVersion: claimed.case.version };
    events.push(...joined.events);
  }
  const caseId = c.id;
  events.push(...p.events.map((e) => ({ ...e, caseId })));
  const others = claimed.others?.length ? { others: claimed.others } : {};
  return { finding: { ...p.finding, caseId }, ...(join ? { join } : {}), events, result: { inserted: true, created: claimed.created, case: c, ...others } };
}
