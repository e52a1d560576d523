import { openCase, type Case, type NewTimelineEvent, type PublishClaim, type StoredFinding } from '../domain/cases/case';
import { newCaseId } from '../domain/cases/case-id';
import { activityAt, type Finding } from '../domain/findings/finding';
import { extractFindingItems, parseFinding, type ExtractedItem } from '../domain/findings/parse-finding';
import { principalCheckFor, type PrincipalCheck } from '../domain/findings/principal-check';
import { BAND_LABEL, BAND_ORDER, bandOf } from '../domain/triage/bands';
import { correlationKeys } from '../domain/triage/correlation';
import type { Route, Triage, TriageDecision } from '../domain/triage/triage';
import type { SuppressionRule } from '../domain/triage/suppression';
import { isActiveCase } from '../domain/cases/placement';
import { CordonError, ErrorCode } from '../errors';
import type { Logger } from '../log';
import { isConflict, LOST_RACE, retryOnConflict, updateWithRetry } from '../store/compare-and-set';
import type { FindingPlacement, PlacementResult, Store } from '../store/store';
import { TimeSlice } from './time-slice';

/** Counts of what one ingest did; `casesOpened` names the new cases. */
export interface IngestSummary {
  received: number;
  newFindings: number;
  updated: number;
  unchanged: number;
  suppressed: number;
  digest: number;
  cased: number;
  rejected: number;
  casesOpened: string[];
  casesTouched: string[];
}

/** A new finding this ingest stored in a case, as stored, with the case as placement left it. */
export interface PlacedFinding {
  finding: StoredFinding;
  case: Case;
  /** The finding opened the case. */
  created: boolean;
}

export function emptySummary(): IngestSummary {
  return { received: 0, newFindings: 0, updated: 0, unchanged: 0, suppressed: 0, digest: 0, cased: 0, rejected: 0, casesOpened: [], casesTouched: [] };
}

/** What the findings function asks of one ingest: it posts the new cards itself, at once. */
export interface IngestOptions {
  /** Cases this ingest opens are stored claimed for this publisher (see {@link Case.publishClaim}). */
  claimNewCases?: PublishClaim;
  /** Told when a store is about to open a case this ingest claimed (see FindingPlacement's `onCreating`). */
  creating?: (draft: Case) => void;
  /**
   * Principal checks are collected here instead of requested one by one: the caller requests
   * them ({@link FindingPipeline.requestChecks}) beside its posting, so no card waits on them.
   */
  checks?: string[];
}

/** Settings the pipeline needs from the config. */
export interface PipelineOptions {
  correlationWindowMs: number;
  /** User group mentioned when a route says so. */
  responderGroup?: string;
  now?: () => Date;
  random?: () => number;
  /** Asks the worker to check the IAM principal a new cased finding names (issue 15, point 14). */
  principalChecks?: { request(findingId: string): Promise<void> };
  /** Yields to the event loop between findings (default: a new TimeSlice, of INGEST_SLICE_MS). */
  slice?: TimeSlice;
}

/** Raw inputs kept for a rejected finding are cut to this size. */
const MAX_RAW = 64 * 1024;
/** Findings read per batch. */
const BATCH = 500;
/**
 * New findings stored per commit. A commit runs synchronously on SQLite, so this bounds
 * how long one holds the event loop (~0.1 ms a finding); commits of 50 cost the triage
 * bench little next to one per finding.
 */
const COMMIT = 50;

function ownerEmail(f: Finding): string | undefined {
  const v = f.tags.Owner ?? f.tags.owner;
  return v && /^[^\s@<>|]+@[^\s@<>|]+\.[^\s@<>|]+$/.test(v) ? v.toLowerCase() : undefined;
}

/**
 * The finding's principal check; a pending one stored in a case is asked for right after the
 * store write, so it records `requestedAt` (the clock's sweep asks again when no answer came).
 */
function principalCheckOf(f: Finding, requestedAt: string | undefined): { principalCheck?: PrincipalCheck } {
  const check = principalCheckFor(f);
  if (!check) return {};
  return { principalCheck: check.status === 'pending' && requestedAt ? { ...check, requestedAt } : check };
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}

/**
 * The one pipeline behind every door (EventBridge, `cordon ingest`, the poller):
 * parse, dedup, triage, correlate, store. Slack is told later by the publisher, from
 * what is stored here (store first, post second).
 */
/**
 * Whether placing `f` can have linked a signal to an attack sequence: it is a sequence, or
 * it joined a case that holds one. A sequence is Critical (docs/architecture.md §4), and a
 * case takes the band of its highest finding, so only a Critical case can hold one; this
 * keeps the per-event path from listing a case's findings on every join.
 */
function mayHoldSignals(f: Finding, r: { created: boolean; case?: { band: string } }): boolean {
  return f.isAttackSequence || (!r.created && r.case?.band === 'critical');
}

/** A placement whose new case (if it opens one) is stored claimed for `claim`'s publisher. */
function claimed<P extends { placement: FindingPlacement }>(p: P, claim: PublishClaim | undefined, creating: ((draft: Case) => void) | undefined): P {
  const c = p.placement.claim;
  if (!claim || !c || c.joinOnly) return p;
  return { ...p, placement: { ...p.placement, claim: { ...c, draft: { ...c.draft, publishClaim: claim }, ...(creating ? { onCreating: creating } : {}) } } };
}

export class FindingPipeline {
  private readonly now: () => Date;
  private readonly random: () => number;
  /** Ingestion shares the event loop with Slack's requests: it yields often (see TimeSlice). */
  private readonly slice: TimeSlice;

  constructor(
    private readonly store: Store,
    private readonly triage: Triage,
    private readonly log: Logger,
    private readonly opts: PipelineOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.random = opts.random ?? Math.random;
    this.slice = opts.slice ?? new TimeSlice();
  }

  /**
   * Ingests a whole document: an event, an array of events, GetFindings output or raw findings.
   * `placed` collects the new findings stored in a case, so the caller can post their cards
   * without reading back what was just written (the findings function).
   */
  async ingestDocument(doc: unknown, source: string, placed?: PlacedFinding[], opts: IngestOptions = {}): Promise<IngestSummary> {
    const summary = emptySummary();
    const items = extractFindingItems(doc);
    for (let i = 0; i < items.length; i += BATCH) await this.ingestBatch(items.slice(i, i + BATCH), source, summary, placed, opts);
    return summary;
  }

  /** Requests the principal checks an ingest collected ({@link IngestOptions.checks}). */
  async requestChecks(findingIds: string[]): Promise<void> {
    const checks = this.opts.principalChecks;
    if (checks) await Promise.all(findingIds.map((id) => checks.request(id)));
  }

  /**
   * New findings of a batch are stored COMMIT at a time, each chunk one atomic step (one commit, short
   * enough not to hold acks back); re-sent ones, repeats within the batch and anything that conflicts
   * go the one-by-one way.
   */
  private async ingestBatch(items: ExtractedItem[], source: string, summary: IngestSummary, placed: PlacedFinding[] | undefined, opts: IngestOptions): Promise<void> {
    const fresh: Finding[] = [];
    const repeats: Finding[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      if (this.slice.due()) await this.slice.pause();
      summary.received++;
      if (!item.ok) {
        await this.reject(source, item.reason, item.raw, undefined);
        summary.rejected++;
        continue;
      }
      const parsed = parseFinding(item.detail);
      if (!parsed.ok) {
        await this.reject(source, parsed.reason, item.detail, parsed.findingId);
        summary.rejected++;
        continue;
      }
      (seen.has(parsed.finding.id) ? repeats : fresh).push(parsed.finding);
      seen.add(parsed.finding.id);
    }
    const now = this.now();
    // One read for the batch (one round trip on DynamoDB): which findings are re-sends, and the rules.
    const snapshot = await this.store.readForIngest(fresh.map((f) => ({ id: f.id, keys: correlationKeys(f) })));
    const rules = snapshot.suppressions;
    const resent = fresh.filter((f) => snapshot.stored.has(f.id));
    const planned = fresh.filter((f) => !snapshot.stored.has(f.id)).map((f) => claimed(this.placementFor(f, source, now, rules), opts.claimNewCases, opts.creating));
    const known: Finding[] = [];
    const toMark = new Set<string>();
    for (let c = 0; c < planned.length; c += COMMIT) {
      if (this.slice.due()) await this.slice.pause();
      const chunk = planned.slice(c, c + COMMIT);
      let results: PlacementResult[];
      try {
        results = await this.store.placeFindings(chunk.map((p) => p.placement));
      } catch (err) {
        if (!isConflict(err)) throw err;
        // Earlier commits stand; the rest of the batch goes the one-by-one way, which takes a finding
        // another writer (or a partly written chunk) already stored as a re-send.
        known.push(...planned.slice(c).map((p) => p.finding));
        break;
      }
      for (const [i, r] of results.entries()) {
        const { finding, decision, placement } = chunk[i] as (typeof chunk)[number];
        if (!r.inserted) {
          known.push(finding);
          continue;
        }
        this.countPlaced(summary, decision, r);
        if (placed && r.case && placement.finding.disposition === 'cased') placed.push({ finding: { ...placement.finding, caseId: r.case.id }, case: r.case, created: r.created });
        await this.askPrincipalCheck(placement.finding, opts.checks);
        await this.gatherSequence(finding, r);
        if (r.case && mayHoldSignals(finding, r)) toMark.add(r.case.id);
      }
    }
    // Once per case, not per finding: a batch often brings many findings of one case.
    for (const caseId of toMark) await this.markSignals(caseId);
    for (const f of resent) {
      if (this.slice.due()) await this.slice.pause();
      await this.ingestFinding(f, source, summary, snapshot.stored.get(f.id));
    }
    for (const f of [...known, ...repeats]) {
      if (this.slice.due()) await this.slice.pause();
      await this.ingestFinding(f, source, summary);
    }
  }

  /** Ingests one finding detail; a bad one is stored as rejected, never thrown. */
  async ingestDetail(detail: unknown, source: string, summary: IngestSummary = emptySummary()): Promise<IngestSummary> {
    await this.slice.pause();
    const parsed = parseFinding(detail);
    if (!parsed.ok) {
      await this.reject(source, parsed.reason, detail, parsed.findingId);
      summary.rejected++;
      return summary;
    }
    await this.ingestFinding(parsed.finding, source, summary);
    return summary;
  }

  /** `stored`: the finding as the batch's first read found it (a re-send), for the first attempt. */
  private async ingestFinding(f: Finding, source: string, summary: IngestSummary, stored?: StoredFinding): Promise<void> {
    let first = stored;
    // Another writer stored the finding or took the case id first: read again and redo.
    await retryOnConflict(`finding ${f.id}`, async () => {
      try {
        const existing = first;
        first = undefined;
        if (existing) await this.update(existing, f, summary);
        else await this.place(f, source, summary);
        return true;
      } catch (err) {
        if (isConflict(err)) return LOST_RACE;
        throw err;
      }
    });
  }

  private async reject(source: string, reason: string, raw: unknown, findingId: string | undefined): Promise<void> {
    let text: string;
    try {
      text = JSON.stringify(raw) ?? String(raw);
    } catch {
      text = String(raw);
    }
    await this.store.addRejected({
      at: this.now().toISOString(),
      source,
      reason,
      raw: text.length > MAX_RAW ? `${text.slice(0, MAX_RAW)}…[cut ${text.length - MAX_RAW} chars]` : text,
      ...(findingId ? { findingId } : {}),
    });
    this.log.warn({ source, reason, findingId }, 'finding rejected');
  }

  private async place(f: Finding, source: string, summary: IngestSummary): Promise<void> {
    const existing = await this.store.getFinding(f.id);
    if (existing) return this.update(existing, f, summary);
    const { placement, decision } = this.placementFor(f, source, this.now(), await this.store.activeSuppressions());
    const r = await this.store.placeFinding(placement);
    if (!r.inserted) throw new CordonError(ErrorCode.STORE_CONFLICT, `finding ${f.id} was stored concurrently`);
    this.countPlaced(summary, decision, r);
    await this.askPrincipalCheck(placement.finding);
    await this.gatherSequence(f, r);
    if (r.case && mayHoldSignals(f, r)) await this.markSignals(r.case.id);
  }

  /**
   * Marks the signals of the case's attack sequences as such, so their cards say they are part
   * of the sequence (issue 18), whichever arrived first: a card already posted is marked dirty
   * and the publisher edits it, as for a re-sent finding. A case a finding just opened holds no
   * sequence yet, so callers skip it.
   */
  private async markSignals(caseId: string): Promise<void> {
    // The sequences first (SQLite reads them without parsing the case's other findings): most cases hold none.
    const sequences = (await this.store.listFindings({ caseId, attackSequence: true })).sort((a, b) => a.firstSeenAt.localeCompare(b.firstSeenAt) || a.id.localeCompare(b.id));
    if (sequences.length === 0) return;
    const findings = await this.store.listFindings({ caseId });
    for (const sf of findings) {
      const seq = sequences.find((s) => s.id !== sf.id && s.finding.signalFindingIds.includes(sf.id));
      if (!seq || sf.signalOf?.findingId === seq.id) continue;
      // Kept short: the card cuts it again when rendering; this only bounds the stored copy.
      const signalOf = { findingId: seq.id, title: seq.finding.title.slice(0, 300) };
      await updateWithRetry({
        what: `finding ${sf.id}`,
        initial: sf,
        read: () => this.store.getFinding(sf.id),
        mutate: (cur) =>
          cur.caseId !== caseId || cur.signalOf?.findingId === seq.id
            ? undefined
            : { ...cur, signalOf, cardDirty: cur.cardDirty || (cur.disposition === 'cased' && !!cur.cardTs) },
        write: (next) => this.store.updateFinding(next),
      });
    }
  }

  /**
   * An attack sequence gathers its story (docs/triage.md): the other open cases holding its
   * signals, actor or resources are merged into the one it joined, and its signals waiting
   * in the digest (Low ones, which open no case) are linked to that case.
   */
  private async gatherSequence(f: Finding, r: PlacementResult & { inserted: true }): Promise<void> {
    if (!f.isAttackSequence || !r.case) return;
    const into = r.case.id;
    const reason = `attack sequence ${f.id.slice(0, 64)} names findings of both`;
    for (const other of r.others ?? []) {
      const at = this.now().toISOString();
      try {
        const merged = await this.store.mergeCase({ intoId: into, fromId: other, at, actor: 'cordon', reason });
        await this.store.appendAudit({ at, actor: 'cordon', event: 'case.merged', caseId: into, allowed: true, detail: { from: other, reason, moved: merged.moved } });
        this.log.info({ caseId: into, from: other, moved: merged.moved }, 'cases merged by an attack sequence');
      } catch (err) {
        // The finding is stored and placed; a merge refused (the other case merged elsewhere
        // meanwhile) leaves two cases that a commander can still fold with /ir merge.
        if (!(err instanceof CordonError)) throw err;
        this.log.warn({ caseId: into, from: other, err: err.message }, 'attack-sequence merge refused');
      }
    }
    for (const id of f.signalFindingIds) {
      const at = this.now().toISOString();
      const linked = await updateWithRetry({
        what: `finding ${id}`,
        read: () => this.store.getFinding(id),
        mutate: (sf) => (sf.caseId || sf.disposition !== 'digest' ? sf : { ...sf, caseId: into }),
        write: (sf) => (sf.caseId === into ? this.store.updateFinding(sf) : Promise.resolve(true)),
      });
      if (linked?.caseId === into && linked.disposition === 'digest') {
        const events = await this.store.listTimeline(into);
        if (events.some((e) => e.kind === 'finding.linked' && e.text.includes(linked.id))) continue;
        await this.store.appendTimeline({ caseId: into, at, kind: 'finding.linked', actor: 'cordon', text: `Low signal linked by the attack sequence: ${linked.finding.title} (${linked.finding.severity}, ${linked.finding.type}, finding ${linked.id})` });
      }
    }
  }

  /** What storing a new finding means: its disposition, and the case it opens or joins. Pure. */
  private placementFor(f: Finding, source: string, now: Date, storedRules: SuppressionRule[]): { finding: Finding; decision: TriageDecision; placement: FindingPlacement } {
    const at = now.toISOString();
    const decision = this.triage.decide(f, now, storedRules);
    const base: StoredFinding = {
      id: f.id,
      finding: f,
      band: decision.band,
      disposition: decision.kind === 'case' ? 'cased' : decision.kind === 'suppress' ? 'suppressed' : 'digest',
      firstSeenAt: at,
      lastSeenAt: at,
      cardDirty: false,
      source,
      version: 1,
      ...(decision.kind === 'suppress' ? { suppressedBy: decision.rule.id, suppressReason: decision.rule.reason } : {}),
      ...(decision.kind === 'suppress' && decision.networks?.length ? { suppressedNetworks: decision.networks } : {}),
      ...principalCheckOf(f, decision.kind === 'case' ? at : undefined),
    };
    if (decision.kind === 'digest') {
      // A Low finding that shares a key with an open case joins its story: in its timeline
      // and report, still counted in the digest, never paging or raising the band (docs/triage.md).
      const claim = this.claimFor(f, decision.band, this.triage.routeOf(decision.band), decision.keys, now, true);
      return {
        finding: f,
        decision,
        placement: {
          finding: base,
          claim: { ...claim, joinOnly: true, onJoin: (c) => raiseCase(c, f, decision.band, { open: 'digest', mention: false, escalate: false }, undefined, at, {}) },
          events: [{ at, kind: 'finding.added', actor: 'cordon', text: `Low signal joined: ${f.title} (${BAND_LABEL[decision.band]} ${f.severity}, ${f.type})` }],
        },
      };
    }
    if (decision.kind !== 'case') return { finding: f, decision, placement: { finding: base, events: [] } };
    return {
      finding: f,
      decision,
      placement: {
        finding: base,
        claim: { ...this.claimFor(f, decision.band, decision.route, decision.keys, now), ...(f.isAttackSequence ? { wantOthers: true } : {}) },
        events: [{ at, kind: 'finding.added', actor: 'cordon', text: `Finding added: ${f.title} (${BAND_LABEL[decision.band]} ${f.severity}, ${f.type})`, silent: true }],
      },
    };
  }

  /** A new card's IAM principal is checked by the worker before Contain is offered for it. */
  private async askPrincipalCheck(sf: StoredFinding, later?: string[]): Promise<void> {
    if (sf.disposition !== 'cased' || sf.principalCheck?.status !== 'pending') return;
    if (later) later.push(sf.id);
    else await this.opts.principalChecks?.request(sf.id);
  }

  private countPlaced(summary: IngestSummary, decision: TriageDecision, r: PlacementResult & { inserted: true }): void {
    summary.newFindings++;
    if (decision.kind === 'suppress') {
      summary.suppressed++;
      this.log.info({ rule: decision.rule.id, ...(decision.networks ? { networks: decision.networks } : {}) }, 'finding suppressed');
    } else if (decision.kind === 'digest') summary.digest++;
    else {
      summary.cased++;
      this.count(summary, r.case?.id, r.created);
    }
  }

  private count(summary: IngestSummary, caseId: string | undefined, created: boolean): void {
    if (!caseId) return;
    if (created) {
      summary.casesOpened.push(caseId);
      this.log.info({ caseId }, 'case opened');
    }
    if (!summary.casesTouched.includes(caseId)) summary.casesTouched.push(caseId);
  }

  /** How a finding opens a case, or joins one (pure: the store applies it atomically). */
  private claimFor(f: Finding, band: StoredFinding['band'], route: Route, keys: string[], now: Date, joinOnly = false): NonNullable<FindingPlacement['claim']> {
    const at = now.toISOString();
    const owner = ownerEmail(f);
    const draft = openCase(
      {
        // A join-only claim never creates its draft: it takes no id (nor a draw of the random source).
        id: joinOnly ? 'IR-00000000-JOIN' : newCaseId(now, this.random),
        title: f.title,
        severity: f.severity,
        band,
        accounts: [f.accountId],
        regions: [f.region],
        primaryType: f.type,
        mention: route.mention,
        escalate: route.escalate,
        ownerEmails: owner ? [owner] : [],
        detectedAt: activityAt(f),
      },
      at,
    );
    const mention = this.opts.responderGroup ? { mentionGroup: this.opts.responderGroup } : {};
    const onCreate: NewTimelineEvent[] = [
      { caseId: draft.id, at, kind: 'case.opened', actor: 'cordon', text: `Case opened (${BAND_LABEL[band]}): ${f.title}`, ...(route.mention ? mention : {}) },
      ...(route.escalate ? [escalationEvent(draft.id, at, band)] : []),
    ];
    return {
      draft,
      keys,
      activeSince: new Date(now.getTime() - this.opts.correlationWindowMs).toISOString(),
      onCreate,
      onJoin: (c) => raiseCase(c, f, band, route, owner, at, mention),
    };
  }

  /** Re-routing or a raised severity on an existing case, with a compare-and-set retry. */
  private async raiseStored(caseId: string, f: Finding, band: StoredFinding['band'], route: Route): Promise<void> {
    const at = this.now().toISOString();
    const mention = this.opts.responderGroup ? { mentionGroup: this.opts.responderGroup } : {};
    let events: NewTimelineEvent[] = [];
    await updateWithRetry({
      what: `case ${caseId}`,
      read: async () => {
        const c = await this.store.getCase(caseId);
        if (!c) throw new CordonError(ErrorCode.CASE_NOT_FOUND, `case ${caseId} vanished`);
        return c;
      },
      mutate: (c) => {
        const raised = raiseCase(c, f, band, route, ownerEmail(f), at, mention);
        events = raised.events;
        return raised.case;
      },
      write: (c) => this.store.updateCase(c),
    });
    for (const e of events) await this.store.appendTimeline(e);
  }

  /** GuardDuty re-sent a finding: update it and its card; never a second card. */
  private async update(existing: StoredFinding, f: Finding, summary: IngestSummary): Promise<void> {
    const old = existing.finding;
    const changed = f.count !== old.count || f.severity !== old.severity || f.updatedAt !== old.updatedAt || f.archived !== old.archived;
    if (!changed || Date.parse(f.updatedAt) < Date.parse(old.updatedAt)) {
      summary.unchanged++;
      return;
    }
    const now = this.now();
    const band = bandOf(f.severity);
    const raised = BAND_ORDER[band] > BAND_ORDER[existing.band];
    let next: StoredFinding = {
      ...existing,
      finding: { ...f, count: Math.max(f.count, old.count) },
      band: raised ? band : existing.band,
      lastSeenAt: now.toISOString(),
      cardDirty: existing.disposition === 'cased',
    };
    if (raised) {
      const route = this.triage.routeOf(band);
      if (existing.disposition === 'cased' && existing.caseId) {
        await this.raiseStored(existing.caseId, f, band, route);
      } else if (existing.disposition === 'digest' && route.open === 'case') {
        // Re-route: a Low finding that became Medium or above now needs a case.
        const decision = this.triage.decide(f, now, await this.store.activeSuppressions());
        if (decision.kind === 'case') {
          const claim = this.claimFor(f, band, route, decision.keys, now);
          const claimed = await this.store.claimCase(claim.draft, claim.keys, claim.activeSince);
          if (claimed.created) for (const e of claim.onCreate) await this.store.appendTimeline(e);
          else await this.raiseStored(claimed.case.id, f, band, route);
          this.count(summary, claimed.case.id, claimed.created);
          next = { ...next, disposition: 'cased', caseId: claimed.case.id, cardDirty: false };
          summary.cased++;
        }
      }
    }
    if (!(await this.store.updateFinding(next))) {
      throw new CordonError(ErrorCode.STORE_CONFLICT, `finding ${f.id} changed concurrently`);
    }
    summary.updated++;
    // GuardDuty grows a sequence as the attack goes on: signals it names now may sit in
    // other open cases (or in the digest) and join the story too.
    if (f.isAttackSequence && next.caseId) {
      const c = await this.store.getCase(next.caseId);
      if (c && !c.mergedInto) await this.gatherSequence(f, { inserted: true, created: false, case: c, others: await this.casesOfSignals(f, c.id, now) });
    }
  }

  /** The other active cases holding a sequence's signals. */
  private async casesOfSignals(f: Finding, caseId: string, now: Date): Promise<string[]> {
    const activeSince = new Date(now.getTime() - this.opts.correlationWindowMs).toISOString();
    const out = new Set<string>();
    for (const id of f.signalFindingIds) {
      const other = (await this.store.getFinding(id))?.caseId;
      if (!other || other === caseId || out.has(other)) continue;
      const c = await this.store.getCase(other);
      if (c && !c.mergedInto && isActiveCase(c, activeSince)) out.add(other);
    }
    return [...out];
  }
}

function escalationEvent(caseId: string, at: string, band: StoredFinding['band']): NewTimelineEvent {
  return { caseId, at, kind: 'escalation.requested', actor: 'cordon', text: `Escalation requested automatically: the routing rules (triage.routing) escalate ${BAND_LABEL[band]} findings` };
}

/**
 * A finding joined or grew: widen the case, raise its severity and title, mention the
 * responders and request escalation the first time the route says so. Pure.
 */
export function raiseCase(
  c: Case,
  f: Finding,
  band: StoredFinding['band'],
  route: Route,
  owner: string | undefined,
  at: string,
  mention: { mentionGroup?: string },
): { case: Case; events: NewTimelineEvent[] } {
  const raised = BAND_ORDER[band] > BAND_ORDER[c.band];
  const newMention = route.mention && !c.mention;
  const newEscalate = route.escalate && !c.escalate;
  const newOwner = !!owner && !c.ownerEmails.includes(owner);
  const next: Case = {
    ...c,
    severity: Math.max(c.severity, f.severity),
    band: raised ? band : c.band,
    title: raised ? f.title : c.title,
    accounts: union(c.accounts, [f.accountId]),
    regions: union(c.regions, [f.region]),
    mention: c.mention || route.mention,
    escalate: c.escalate || route.escalate,
    ownerEmails: owner ? union(c.ownerEmails, [owner]) : c.ownerEmails,
    lastActivityAt: at,
    updatedAt: at,
    cardDirty: true,
  };
  // Metrics start at detection: the earliest activity of any finding in the case.
  const detected = activityAt(f);
  if (!c.detectedAt || detected < c.detectedAt) next.detectedAt = detected;
  // A new resource owner must be invited: run the invite step again.
  if (newOwner) delete next.invitedAt;
  const events: NewTimelineEvent[] = [];
  if (raised) {
    events.push({
      caseId: c.id,
      at,
      kind: 'finding.severity_raised',
      actor: 'cordon',
      text: `Severity raised to ${BAND_LABEL[band]} (${f.severity}) by ${f.title}`,
      ...(newMention ? mention : {}),
    });
  }
  if (newEscalate) events.push(escalationEvent(c.id, at, band));
  return { case: next, events };
}
