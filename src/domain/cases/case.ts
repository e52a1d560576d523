import { CordonError, ErrorCode } from '../../errors';
import type { Band, Finding } from '../findings/finding';
import type { PrincipalCheck } from '../findings/principal-check';

export type CaseStatus = 'open' | 'contained' | 'resolved' | 'closed';

/** An incident: findings that belong together, with one Slack channel. */
export interface Case {
  id: string;
  title: string;
  status: CaseStatus;
  /** Highest severity among the case's findings. */
  severity: number;
  band: Band;
  accounts: string[];
  regions: string[];
  /** Finding type of the finding that opened the case; names the channel. */
  primaryType: string;
  createdAt: string;
  updatedAt: string;
  /** Last time a finding joined or the case changed; drives the correlation window. */
  lastActivityAt: string;
  /** Route says mention the responder group. */
  mention: boolean;
  /** Route says escalate (Critical by default). */
  escalate: boolean;
  /** Owner-tag emails of affected resources, to invite. */
  ownerEmails: string[];
  channelId?: string;
  channelName?: string;
  /** Set once responders (and owners) were invited. */
  invitedAt?: string;
  /** Pinned case card in the case channel. */
  cardTs?: string;
  cardPinned: boolean;
  /** The case card must be re-rendered. */
  cardDirty: boolean;
  /** When the case card was last posted or edited: its edits wait out `triage.cardEditInterval` since. */
  cardEditedAt?: string;
  /** The case's line in the triage channel. */
  indexTs?: string;
  /** Escalation (docs/architecture.md §5): the bridge channel and the acknowledgement clock. */
  escalatedAt?: string;
  escalatedBy?: string;
  escalationReason?: string;
  bridgeChannelId?: string;
  bridgeChannelName?: string;
  /** The bridge message carrying the Acknowledge button. */
  bridgeTs?: string;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  lastPagedAt?: string;
  pages?: number;
  resolvedAt?: string;
  resolvedBy?: string;
  resolution?: string;
  closedAt?: string;
  closedBy?: string;
  /**
   * When the activity of its earliest finding happened (GuardDuty's `eventFirstSeen`, else
   * `createdAt`): time to acknowledge, contain and resolve start here, not at ingestion.
   */
  detectedAt?: string;
  /** Folded into another case (docs/triage.md, merge): this case is closed and points there. */
  mergedInto?: string;
  mergedAt?: string;
  /** The merge's moves are still to finish (DynamoDB moves item by item; a crash resumes them). */
  mergePending?: boolean;
  /** Cases folded into this one. */
  mergedFrom?: string[];
  /** The channel was archived after a merge left a pointer in it. */
  channelArchivedAt?: string;
  /**
   * The publisher that opened this case posts it (channel, cards) without the publisher
   * lease; every other publisher leaves the case alone while the claim lasts. Cleared once
   * posted; a claim whose holder died runs out at `until`.
   */
  publishClaim?: PublishClaim;
  /** Optimistic-concurrency version, bumped by every write. */
  version: number;
}

/** Who posts a case just opened, and until when at most. */
export interface PublishClaim {
  owner: string;
  /** ISO time. */
  until: string;
}

export type FindingDisposition = 'cased' | 'digest' | 'suppressed';

/** A finding as Cordon keeps it, with where it went and its Slack card. */
export interface StoredFinding {
  id: string;
  finding: Finding;
  band: Band;
  disposition: FindingDisposition;
  caseId?: string;
  /** Rule id that suppressed it. */
  suppressedBy?: string;
  suppressReason?: string;
  /** For a known-network rule: the known network (name and CIDR) that held each remote IP. */
  suppressedNetworks?: { ip: string; name: string; cidr: string }[];
  firstSeenAt: string;
  lastSeenAt: string;
  cardTs?: string;
  /** Time the card was last posted or edited (edit debounce). */
  cardAt?: string;
  cardDirty: boolean;
  /**
   * The attack sequence in the same case that names this finding as one of its signals: the
   * card says so, so a responder does not work it as a separate alert. Its title is GuardDuty's
   * (attacker-side) text, escaped where rendered.
   */
  signalOf?: { findingId: string; title: string };
  /**
   * Whether the IAM user or role the card would contain is the principal the finding saw
   * (issue 15, point 14): the card offers Contain for it only once verified. Absent for
   * findings that name no IAM principal, and for findings stored before the check existed.
   */
  principalCheck?: PrincipalCheck;
  digestedAt?: string;
  /** Where it came from: `eventbridge`, `ingest`, `poller:<region>`. */
  source: string;
  version: number;
}

export type TimelineKind =
  | 'case.opened'
  | 'finding.added'
  | 'finding.severity_raised'
  | 'channel.created'
  | 'escalation.requested'
  | 'note'
  | 'action.requested'
  | 'action.approved'
  | 'action.rejected'
  | 'action.applied'
  | 'action.failed'
  | 'action.reverted'
  | 'case.escalated'
  | 'case.acknowledged'
  | 'case.resolved'
  | 'case.closed'
  | 'case.merged'
  | 'case.merged_into'
  | 'finding.split'
  | 'finding.linked'
  | 'report.published';

/** One entry of a case's timeline. `text` is plain: rendering escapes it. */
export interface TimelineEvent {
  id: number;
  caseId: string;
  at: string;
  kind: TimelineKind;
  /** Slack user id, `cordon`, or `cli:<user>`. */
  actor: string;
  text: string;
  /**
   * Slack user group to mention with the event (the responder group, when the route says
   * so). An id only: the Slack edge renders the mention, the domain holds no markup.
   */
  mentionGroup?: string;
  /** Recorded only; its Slack post is another message (a finding card). */
  silent?: boolean;
  postedTs?: string;
}

export type NewTimelineEvent = Omit<TimelineEvent, 'id' | 'postedTs'>;

/** Inputs Cordon could not read, kept with the reason (never silently dropped). */
export interface RejectedInput {
  id: number;
  at: string;
  source: string;
  reason: string;
  findingId?: string;
  /** The input, as JSON, cut to a bounded size. */
  raw: string;
}

/** What differs between new cases; {@link openCase} fills in the rest. */
export type NewCase = Pick<Case, 'id' | 'title' | 'severity' | 'band' | 'accounts' | 'regions' | 'primaryType'> &
  Partial<Pick<Case, 'mention' | 'escalate' | 'ownerEmails' | 'detectedAt'>>;

/**
 * A new open case as of `at`: the one shape triage, manual containment and split all
 * start from (nothing posted yet, version 1). Pure.
 */
export function openCase(fields: NewCase, at: string): Case {
  return {
    mention: false,
    escalate: false,
    ownerEmails: [],
    ...fields,
    status: 'open',
    createdAt: at,
    updatedAt: at,
    lastActivityAt: at,
    cardPinned: false,
    cardDirty: false,
    version: 1,
  };
}

/**
 * A commander resolves an open or contained case: status resolved, who and when, the
 * summary kept; the card is re-rendered. INPUT.INVALID from any other status. Pure.
 */
export function resolveCase(c: Case, by: string, at: string, summary: string | undefined): Case {
  if (c.status !== 'open' && c.status !== 'contained') throw new CordonError(ErrorCode.INPUT_INVALID, `case ${c.id} is ${c.status}; it cannot be resolved now`);
  return { ...cardEditNow(c), status: 'resolved', resolvedBy: by, resolvedAt: at, ...(summary ? { resolution: summary } : {}), updatedAt: at, cardDirty: true };
}

/** A commander closes a case that is not closed yet; no finding joins it afterwards. Pure. */
export function closeCase(c: Case, by: string, at: string): Case {
  if (c.status === 'closed') throw new CordonError(ErrorCode.INPUT_INVALID, `case ${c.id} is ${c.status}; it cannot be closed now`);
  return { ...cardEditNow(c), status: 'closed', closedBy: by, closedAt: at, updatedAt: at, cardDirty: true };
}

/**
 * The case with its card's edit due now: a change a person made (resolve, close, merge) is
 * shown at once, not after the debounce that holds back edits for findings joining.
 */
export function cardEditNow(c: Case): Case {
  const next = { ...c };
  delete next.cardEditedAt;
  return next;
}

export function titleFor(f: Finding): string {
  return f.title || f.type;
}
