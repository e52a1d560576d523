import type { Action, ActionStatus } from '../domain/actions/action';
import type { SuppressionRule } from '../domain/triage/suppression';
import type { Case, CaseStatus, NewTimelineEvent, RejectedInput, StoredFinding, TimelineEvent } from '../domain/cases/case';
import type { CaseClaim, FindingPlacement, PlacementResult } from '../domain/cases/placement';
import type { MergeRequest, MergeResult } from '../domain/cases/merge';
import type { Job } from '../jobs/job-queue';
import type { AuditChainSource } from './audit-chain';

// The placement types belong to the domain (the rule lives there); callers still find them here.
export type { CaseClaim, FindingPlacement, PlacementResult } from '../domain/cases/placement';

/** One audit-trail line: who asked for what, and what Cordon decided or did. */
export interface AuditEntry {
  at: string;
  /** Slack user id, `cli:<user>` or `cordon`. */
  actor: string;
  event: string;
  caseId?: string;
  actionId?: string;
  allowed?: boolean;
  detail?: Record<string, unknown>;
}

/**
 * A job the in-process queue accepted and has not finished. It is written before the
 * listener acks, so a process that dies with work queued leaves it here for the next one.
 */
export interface StoredJob {
  id: string;
  job: Job;
  enqueuedAt: string;
}

/** Store lifecycle: health probe and shutdown. */
export interface StoreLifecycle {
  /** Cheap liveness probe for `/healthz`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A finding an ingest is about to store or update, with the correlation keys its placement would claim. */
export interface IngestLookup {
  id: string;
  keys: string[];
}

/** What an ingest batch reads before it decides anything. */
export interface IngestSnapshot {
  /** The findings among those asked about that are stored already (re-sends), by id. */
  stored: Map<string, StoredFinding>;
  /** The active suppression rules, as {@link SuppressionStore.activeSuppressions} returns them. */
  suppressions: SuppressionRule[];
}

/** Findings, the cases they open or join, and case timelines (the triage aggregate). */
export interface FindingStore {
  /**
   * The first read of an ingest batch: which findings are re-sends, and the suppression rules.
   * On DynamoDB one BatchGetItem, which also reads the correlation keys' heads for the
   * placements that follow; a placement still checks all it relies on as it writes, so a
   * finding stored meanwhile comes back `inserted: false` from {@link placeFindings}.
   */
  readForIngest(items: IngestLookup[]): Promise<IngestSnapshot>;
  getFinding(id: string): Promise<StoredFinding | undefined>;
  /** False when a finding with this id already exists. */
  insertFinding(f: StoredFinding): Promise<boolean>;
  updateFinding(f: StoredFinding): Promise<boolean>;
  /** `attackSequence`: only GuardDuty attack sequences (SQLite filters them without reading the others). */
  listFindings(filter: { caseId?: string; disposition?: StoredFinding['disposition']; attackSequence?: true }): Promise<StoredFinding[]>;
  /** Cased findings whose card is missing or dirty, for cases that have a channel. */
  findingsToPublish(limit: number): Promise<StoredFinding[]>;
  /**
   * Cased findings whose principal check is pending and was last asked for at or before
   * `askedBy` (ISO time; never-asked ones included), longest-waiting first (the clock's sweep
   * asks again, or gives up). Read from an index: cheap when nothing is pending.
   */
  pendingPrincipalChecks(askedBy: string, limit: number): Promise<StoredFinding[]>;
  /**
   * Indexes the pending checks of findings stored before that index existed, a page at a
   * time from where the last call stopped; true once every cased finding has been seen. The
   * clock calls it before its sweep. Absent where the schema migration did it (SQLite).
   */
  backfillPendingChecks?(pageSize?: number): Promise<boolean>;
  /** Digest findings not yet digested. */
  digestPending(limit: number): Promise<StoredFinding[]>;
  markDigested(ids: string[], at: string): Promise<void>;

  /** Atomically stores a new finding with its case and events; `inserted: false` when the id exists. */
  placeFinding(p: FindingPlacement): Promise<PlacementResult>;
  /** Many placements in one atomic step, in order (one commit for a whole batch). */
  placeFindings(ps: FindingPlacement[]): Promise<PlacementResult[]>;

  addRejected(r: Omit<RejectedInput, 'id'>): Promise<RejectedInput>;
  listRejected(limit: number): Promise<RejectedInput[]>;
}

/** Cases and their timelines. */
export interface CaseStore {
  /**
   * Atomically: the open case sharing any of `keys` whose last activity is at or
   * after `activeSince` (keys are added to it), or else `draft` created with `keys`.
   */
  claimCase(draft: Case, keys: string[], activeSince: string): Promise<CaseClaim>;
  getCase(id: string): Promise<Case | undefined>;
  getCaseByChannel(channelId: string): Promise<Case | undefined>;
  updateCase(c: Case): Promise<boolean>;
  listCases(filter?: { status?: CaseStatus[] }): Promise<Case[]>;
  /** Cases whose channel, invites, card or index line still need Slack. */
  casesToPublish(limit: number): Promise<Case[]>;

  /**
   * Folds case `fromId` into `intoId` (domain/cases/merge.ts): findings, keys, actions and
   * timeline move; the merged case is closed with a pointer event. Atomic on SQLite; on
   * DynamoDB crash-safe: marked first, moved item by item, resumed by {@link resumeMerges}.
   * Repeating a finished merge changes nothing.
   */
  mergeCase(req: MergeRequest): Promise<MergeResult>;
  /** Finishes merges a crash interrupted; returns how many it finished. */
  resumeMerges(): Promise<number>;

  appendTimeline(e: NewTimelineEvent): Promise<TimelineEvent>;
  listTimeline(caseId: string): Promise<TimelineEvent[]>;
  unpostedTimeline(limit: number): Promise<TimelineEvent[]>;
  markTimelinePosted(id: number, ts: string): Promise<void>;
}

/** Containment actions. */
export interface ActionStore {
  /**
   * False when the id exists. With `exclusiveTarget`, also false when another action holds
   * `a.target.ref` (issue 15, point 15: one live action per target): the check and the insert
   * are one atomic step, so of two plans racing for one target exactly one is stored.
   */
  insertAction(a: Action, opts?: { exclusiveTarget?: boolean }): Promise<boolean>;
  getAction(id: string): Promise<Action | undefined>;
  /** Compare-and-set on `version`; bumps it on success. */
  updateAction(a: Action): Promise<boolean>;
  listActions(filter: { caseId?: string; status?: ActionStatus[] }): Promise<Action[]>;
}

/**
 * The audit trail: append-only and hash-chained per stream (store/audit-chain.ts). The
 * store links each entry to the last of its stream as it writes it, in one conditional
 * write, so two writers never both link to the same record.
 */
export interface AuditStore extends AuditChainSource {
  /** Every access decision and every change Cordon made, allowed or denied. */
  appendAudit(entry: AuditEntry): Promise<void>;
  listAudit(filter: { caseId?: string; actionId?: string }): Promise<AuditEntry[]>;
}

/** Suppression rules made in Slack (the config's own are not stored). */
export interface SuppressionStore {
  putSuppression(rule: SuppressionRule): Promise<void>;
  getSuppression(id: string): Promise<SuppressionRule | undefined>;
  /** Rules not lifted (expired ones included: triage skips them by time). */
  activeSuppressions(): Promise<SuppressionRule[]>;
}

/** Poller checkpoints. */
export interface CheckpointStore {
  getCheckpoint(key: string): Promise<string | undefined>;
  setCheckpoint(key: string, value: string): Promise<void>;
}

/** Accepted jobs not yet finished. */
export interface JobStore {
  /** Records an accepted job; a repeat of the same id changes nothing. */
  putJob(j: StoredJob): Promise<void>;
  /** Unfinished jobs, oldest first. */
  listJobs(limit: number): Promise<StoredJob[]>;
  deleteJob(id: string): Promise<void>;
}

/** Leases: one holder at a time for work only one process may do. */
export interface LeaseStore {
  /**
   * Takes or renews the lease `name` for `owner` until `until` (ISO time). Granted when
   * nobody holds it, the holder's lease ended at or before `now`, or `owner` holds it
   * already; false otherwise. One conditional write: two processes never both hold it.
   */
  acquireLease(name: string, owner: string, until: string, now: string): Promise<boolean>;
  /** Gives the lease up if `owner` still holds it. */
  releaseLease(name: string, owner: string): Promise<void>;
}

/**
 * Persistence port: the intersection of the ports above, one per aggregate, so a service
 * can ask for only the part it uses. Every state change is a compare-and-set on `version`
 * (docs/architecture.md §8): `update*` returns false when someone else wrote first, and the caller
 * reloads and decides again through store/compare-and-set.ts.
 */
export type Store = StoreLifecycle & FindingStore & CaseStore & ActionStore & AuditStore & SuppressionStore & CheckpointStore & JobStore & LeaseStore;
