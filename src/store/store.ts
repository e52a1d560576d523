import type { Case, CaseStatus, NewTimelineEvent, RejectedInput, StoredFinding, TimelineEvent } from '../domain/cases/case';

/** Outcome of correlating a new finding: the case it joined or the one it opened. */
export interface CaseClaim {
  case: Case;
  created: boolean;
}

/**
 * Persistence port. Every state change is a compare-and-set on `version`
 * (DESIGN §8): `update*` returns false when someone else wrote first, and the
 * caller reloads and decides again.
 */
export interface Store {
  /** Cheap liveness probe for `/healthz`. */
  ping(): Promise<void>;
  close(): Promise<void>;

  getFinding(id: string): Promise<StoredFinding | undefined>;
  /** False when a finding with this id already exists. */
  insertFinding(f: StoredFinding): Promise<boolean>;
  updateFinding(f: StoredFinding): Promise<boolean>;
  listFindings(filter: { caseId?: string; disposition?: StoredFinding['disposition'] }): Promise<StoredFinding[]>;
  /** Cased findings whose card is missing or dirty, for cases that have a channel. */
  findingsToPublish(limit: number): Promise<StoredFinding[]>;
  /** Digest findings not yet digested. */
  digestPending(limit: number): Promise<StoredFinding[]>;
  markDigested(ids: string[], at: string): Promise<void>;

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

  appendTimeline(e: NewTimelineEvent): Promise<TimelineEvent>;
  listTimeline(caseId: string): Promise<TimelineEvent[]>;
  unpostedTimeline(limit: number): Promise<TimelineEvent[]>;
  markTimelinePosted(id: number, ts: string): Promise<void>;

  addRejected(r: Omit<RejectedInput, 'id'>): Promise<RejectedInput>;
  listRejected(limit: number): Promise<RejectedInput[]>;

  getCheckpoint(key: string): Promise<string | undefined>;
  setCheckpoint(key: string, value: string): Promise<void>;
}
