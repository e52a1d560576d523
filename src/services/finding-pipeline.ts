import type { Case, StoredFinding } from '../domain/cases/case';
import { newCaseId } from '../domain/cases/case-id';
import type { Finding } from '../domain/findings/finding';
import { extractFindingItems, parseFinding } from '../domain/findings/parse-finding';
import { BAND_LABEL, BAND_ORDER, bandOf } from '../domain/triage/bands';
import type { Route, Triage } from '../domain/triage/triage';
import { CordonError, ErrorCode } from '../errors';
import type { Logger } from '../log';
import type { Store } from '../store/store';

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

export function emptySummary(): IngestSummary {
  return { received: 0, newFindings: 0, updated: 0, unchanged: 0, suppressed: 0, digest: 0, cased: 0, rejected: 0, casesOpened: [], casesTouched: [] };
}

/** Settings the pipeline needs from the config. */
export interface PipelineOptions {
  correlationWindowMs: number;
  /** User group mentioned when a route says so. */
  responderGroup?: string;
  now?: () => Date;
  random?: () => number;
}

/** Raw inputs kept for a rejected finding are cut to this size. */
const MAX_RAW = 64 * 1024;
const CAS_ATTEMPTS = 5;

function ownerEmail(f: Finding): string | undefined {
  const v = f.tags.Owner ?? f.tags.owner;
  return v && /^[^\s@<>|]+@[^\s@<>|]+\.[^\s@<>|]+$/.test(v) ? v.toLowerCase() : undefined;
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}

/**
 * The one pipeline behind every door (EventBridge, `cordon ingest`, the poller):
 * parse, dedup, triage, correlate, store. Slack is told later by the publisher, from
 * what is stored here (store first, post second).
 */
export class FindingPipeline {
  private readonly now: () => Date;
  private readonly random: () => number;

  constructor(
    private readonly store: Store,
    private readonly triage: Triage,
    private readonly log: Logger,
    private readonly opts: PipelineOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.random = opts.random ?? Math.random;
  }

  /** Ingests a whole document: an event, an array of events, GetFindings output or raw findings. */
  async ingestDocument(doc: unknown, source: string): Promise<IngestSummary> {
    const summary = emptySummary();
    for (const item of extractFindingItems(doc)) {
      summary.received++;
      if (!item.ok) {
        await this.reject(source, item.reason, item.raw, undefined);
        summary.rejected++;
        continue;
      }
      await this.ingestDetail(item.detail, source, summary);
    }
    return summary;
  }

  /** Ingests one finding detail; a bad one is stored as rejected, never thrown. */
  async ingestDetail(detail: unknown, source: string, summary: IngestSummary = emptySummary()): Promise<IngestSummary> {
    const parsed = parseFinding(detail);
    if (!parsed.ok) {
      await this.reject(source, parsed.reason, detail, parsed.findingId);
      summary.rejected++;
      return summary;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.place(parsed.finding, source, summary);
        return summary;
      } catch (err) {
        if (err instanceof CordonError && err.code === ErrorCode.STORE_CONFLICT && attempt < CAS_ATTEMPTS) continue;
        throw err;
      }
    }
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

    const now = this.now();
    const decision = this.triage.decide(f, now);
    const base: StoredFinding = {
      id: f.id,
      finding: f,
      band: decision.band,
      disposition: decision.kind === 'case' ? 'cased' : decision.kind === 'suppress' ? 'suppressed' : 'digest',
      firstSeenAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      cardDirty: false,
      source,
      version: 1,
    };
    if (decision.kind === 'suppress') {
      await this.insert({ ...base, suppressedBy: decision.rule.id, suppressReason: decision.rule.reason });
      summary.newFindings++;
      summary.suppressed++;
      this.log.info({ findingId: f.id, rule: decision.rule.id }, 'finding suppressed');
      return;
    }
    if (decision.kind === 'digest') {
      await this.insert(base);
      summary.newFindings++;
      summary.digest++;
      return;
    }
    const c = await this.joinOrOpenCase(f, decision.band, decision.route, decision.keys, summary);
    await this.insert({ ...base, caseId: c.id });
    await this.store.appendTimeline({
      caseId: c.id,
      at: now.toISOString(),
      kind: 'finding.added',
      actor: 'cordon',
      text: `Finding added: ${f.title} (${BAND_LABEL[decision.band]} ${f.severity}, ${f.type})`,
      silent: true,
    });
    summary.newFindings++;
    summary.cased++;
  }

  private async insert(sf: StoredFinding): Promise<void> {
    if (!(await this.store.insertFinding(sf))) {
      // Another writer stored it between our read and insert: go round again as an update.
      throw new CordonError(ErrorCode.STORE_CONFLICT, `finding ${sf.id} was stored concurrently`);
    }
  }

  private async joinOrOpenCase(f: Finding, band: StoredFinding['band'], route: Route, keys: string[], summary: IngestSummary): Promise<Case> {
    const now = this.now();
    const at = now.toISOString();
    const owner = ownerEmail(f);
    const draft: Case = {
      id: newCaseId(now, this.random),
      title: f.title,
      status: 'open',
      severity: f.severity,
      band,
      accounts: [f.accountId],
      regions: [f.region],
      primaryType: f.type,
      createdAt: at,
      updatedAt: at,
      lastActivityAt: at,
      mention: route.mention,
      escalate: route.escalate,
      ownerEmails: owner ? [owner] : [],
      cardPinned: false,
      cardDirty: false,
      version: 1,
    };
    const activeSince = new Date(now.getTime() - this.opts.correlationWindowMs).toISOString();
    const claim = await this.store.claimCase(draft, keys, activeSince);
    if (claim.created) {
      summary.casesOpened.push(draft.id);
      summary.casesTouched.push(draft.id);
      await this.store.appendTimeline({
        caseId: draft.id,
        at,
        kind: 'case.opened',
        actor: 'cordon',
        text: `Case opened (${BAND_LABEL[band]}): ${f.title}`,
        ...(route.mention && this.opts.responderGroup ? { trustedPrefix: `<!subteam^${this.opts.responderGroup}>` } : {}),
      });
      if (route.escalate) await this.requestEscalation(draft.id, at, band);
      this.log.info({ caseId: draft.id, findingId: f.id }, 'case opened');
      return draft;
    }
    if (!summary.casesTouched.includes(claim.case.id)) summary.casesTouched.push(claim.case.id);
    return this.raiseCase(claim.case.id, f, band, route, owner);
  }

  /** A finding joined or grew: widen the case, raise its severity, re-route if the band rose. */
  private async raiseCase(caseId: string, f: Finding, band: StoredFinding['band'], route: Route, owner: string | undefined): Promise<Case> {
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
      const c = await this.store.getCase(caseId);
      if (!c) throw new CordonError(ErrorCode.CASE_NOT_FOUND, `case ${caseId} vanished`);
      const at = this.now().toISOString();
      const raised = BAND_ORDER[band] > BAND_ORDER[c.band];
      const newMention = route.mention && !c.mention;
      const newEscalate = route.escalate && !c.escalate;
      const newOwner = owner && !c.ownerEmails.includes(owner);
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
        // A new resource owner must be invited: run the invite step again.
        ...(newOwner ? { invitedAt: undefined } : {}),
      };
      if (!(await this.store.updateCase(next))) continue;
      if (raised) {
        await this.store.appendTimeline({
          caseId,
          at,
          kind: 'finding.severity_raised',
          actor: 'cordon',
          text: `Severity raised to ${BAND_LABEL[band]} (${f.severity}) by ${f.title}`,
          ...(newMention && this.opts.responderGroup ? { trustedPrefix: `<!subteam^${this.opts.responderGroup}>` } : {}),
        });
      }
      if (newEscalate) await this.requestEscalation(caseId, at, band);
      return next;
    }
    throw new CordonError(ErrorCode.STORE_CONFLICT, `case ${caseId} kept changing; try again`);
  }

  private async requestEscalation(caseId: string, at: string, band: StoredFinding['band']): Promise<void> {
    await this.store.appendTimeline({
      caseId,
      at,
      kind: 'escalation.requested',
      actor: 'cordon',
      text: `Escalation requested by routing: ${BAND_LABEL[band]} severity`,
    });
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
        await this.raiseCase(existing.caseId, f, band, route, ownerEmail(f));
      } else if (existing.disposition === 'digest' && route.open === 'case') {
        // Re-route: a Low finding that became Medium or above now needs a case.
        const decision = this.triage.decide(f, now);
        if (decision.kind === 'case') {
          const c = await this.joinOrOpenCase(f, band, route, decision.keys, summary);
          next = { ...next, disposition: 'cased', caseId: c.id, cardDirty: false };
          summary.cased++;
        }
      }
    }
    if (!(await this.store.updateFinding(next))) {
      throw new CordonError(ErrorCode.STORE_CONFLICT, `finding ${f.id} changed concurrently`);
    }
    summary.updated++;
  }
}
