import type { Action } from '../domain/actions/action';
import { cardEditNow, closeCase, openCase, resolveCase, type Case, type StoredFinding, type TimelineEvent } from '../domain/cases/case';
import { newCaseId } from '../domain/cases/case-id';
import type { MergeResult } from '../domain/cases/merge';
import { activityAt } from '../domain/findings/finding';
import type { Target } from '../domain/actions/target';
import { targetCorrelationKeys } from '../domain/triage/correlation';
import { CordonError, ErrorCode } from '../errors';
import type { JobQueue } from '../jobs/job-queue';
import { updateWithRetry } from '../store/compare-and-set';
import { movedFinding } from '../store/publish-rules';
import type { Store } from '../store/store';
import type { Authorizer, Requester } from './action-service';

/**
 * Port: what a case's channel is told directly, beside the timeline the publisher posts.
 * The Slack adapter renders it (`slack/outbound`); the service only says when.
 */
export interface CaseChannelNotices {
  /** The resolution checklist, posted in the case channel when a case is resolved. */
  resolutionChecklist(channelId: string, caseId: string, summary: string | undefined): Promise<void>;
  /**
   * Invites the person with this e-mail to the channel, if they are a full member of the
   * workspace (never a guest, bot or deactivated account); otherwise says why not.
   */
  inviteByEmail(channelId: string, email: string): Promise<{ invited: string } | { refused: string }>;
}

/** What {@link CaseService} answers to people with, beside the store. */
export interface CaseServiceOptions {
  correlationWindowMs: number;
  now: () => Date;
  random: () => number;
  /** Every request from a person is checked here (and audited) before anything is read or changed. */
  authorizer: Authorizer;
  /** Where the `publish` job goes, so Slack catches up with what was stored. */
  queue: JobQueue;
  notices: CaseChannelNotices;
}

/**
 * Cases outside triage: the one a channel belongs to, a manual case for a resource, and
 * what people ask of a case (status, timeline, notes, resolve, close), each authorized here.
 */
export class CaseService {
  constructor(
    private readonly store: Store,
    private readonly opts: CaseServiceOptions,
  ) {}

  async byChannel(channelId: string): Promise<Case | undefined> {
    return this.store.getCaseByChannel(channelId);
  }

  async require(caseId: string): Promise<Case> {
    const c = await this.store.getCase(caseId);
    if (!c) throw new CordonError(ErrorCode.CASE_NOT_FOUND, `no case ${caseId}`);
    return c;
  }

  /**
   * `/ir contain` outside a case channel: join the open case about this resource, or
   * open a manual one, so every action has a case and a channel.
   */
  async forTarget(t: Target, requestedBy: string): Promise<{ case: Case; created: boolean }> {
    const now = this.opts.now();
    const at = now.toISOString();
    const draft = openCase(
      {
        id: newCaseId(now, this.opts.random),
        title: `Manual containment of ${t.kind} ${t.id}`,
        severity: 5,
        band: 'medium',
        accounts: t.accountId ? [t.accountId] : [],
        regions: t.region ? [t.region] : [],
        primaryType: `Manual:${t.kind}/Containment`,
      },
      at,
    );
    const claim = await this.store.claimCase(draft, targetCorrelationKeys(t), new Date(now.getTime() - this.opts.correlationWindowMs).toISOString());
    if (claim.created) {
      await this.store.appendTimeline({ caseId: draft.id, at, kind: 'case.opened', actor: requestedBy, text: `Case opened manually to contain ${t.kind} ${t.ref}` });
    }
    return claim;
  }

  /** `/ir status`: the case with its findings and actions. */
  async status(who: Requester, c: Case): Promise<{ findings: StoredFinding[]; actions: Action[] }> {
    await this.opts.authorizer.authorize(who, 'status', { caseId: c.id });
    const [findings, actions] = await Promise.all([this.store.listFindings({ caseId: c.id }), this.store.listActions({ caseId: c.id })]);
    return { findings, actions };
  }

  /** `/ir timeline`: every event of the case. */
  async timeline(who: Requester, c: Case): Promise<TimelineEvent[]> {
    await this.opts.authorizer.authorize(who, 'timeline', { caseId: c.id });
    return this.store.listTimeline(c.id);
  }

  /** `/ir note`: a note on the timeline, posted by the publisher. */
  async note(who: Requester, c: Case, text: string): Promise<void> {
    await this.opts.authorizer.authorize(who, 'note', { caseId: c.id });
    await this.store.appendTimeline({ caseId: c.id, at: this.opts.now().toISOString(), kind: 'note', actor: who.userId, text });
    await this.opts.queue.enqueue({ type: 'publish' });
  }

  /**
   * The "Invite owner" button (responder): brings a resource owner named by an Owner tag
   * into the case channel. The click names an e-mail, but the tag is the only source of
   * truth: the case is read again and only an address among its `ownerEmails` is invited,
   * so a forged value cannot bring anyone else into a private channel. Audited either way.
   */
  async inviteOwner(who: Requester, caseId: string, email: string): Promise<{ userId: string }> {
    await this.opts.authorizer.authorize(who, 'invite-owner', { caseId });
    const c = await this.require(caseId);
    const at = this.opts.now().toISOString();
    const owner = c.ownerEmails.find((e) => e === email.toLowerCase());
    const refuse = async (why: string, code: (typeof ErrorCode)[keyof typeof ErrorCode]): Promise<never> => {
      await this.store.appendAudit({ at, actor: who.userId, event: 'owner.invite', caseId, allowed: false, detail: { email: email.slice(0, 254), why } });
      throw new CordonError(code, why);
    };
    if (!owner) return refuse(`the address on this button is not a resource owner of case ${caseId}; nobody was invited`, ErrorCode.INPUT_INVALID);
    if (!c.channelId || c.status === 'closed') return refuse(`case ${caseId} has no open channel to invite its owner to`, ErrorCode.INPUT_INVALID);
    const r = await this.opts.notices.inviteByEmail(c.channelId, owner);
    if ('refused' in r) return refuse(`${owner} was not invited: ${r.refused}`, ErrorCode.SLACK_FAILED);
    await this.store.appendAudit({ at, actor: who.userId, event: 'owner.invite', caseId, allowed: true, detail: { email: owner, userId: r.invited } });
    await this.store.appendTimeline({ caseId, at, kind: 'note', actor: who.userId, text: `Invited resource owner ${owner} (Owner tag) to the case channel` });
    await this.opts.queue.enqueue({ type: 'publish' });
    return { userId: r.invited };
  }

  /** Resolve (commander): status resolved, the summary kept, the checklist posted in the case channel. */
  async resolve(who: Requester, c: Case, summary: string | undefined): Promise<Case> {
    await this.opts.authorizer.authorize(who, 'resolve', { caseId: c.id });
    const actor = who.userId;
    const next = await this.transition(c.id, (x, at) => resolveCase(x, actor, at, summary), 'case.resolved', actor, `Resolved${summary ? `: ${summary}` : ''}`);
    await this.opts.notices.resolutionChecklist(who.channelId, c.id, summary);
    await this.opts.queue.enqueue({ type: 'publish' });
    return next;
  }

  /** Close (commander): no finding joins a closed case; the channel stays as the record. */
  async close(who: Requester, c: Case): Promise<Case> {
    await this.opts.authorizer.authorize(who, 'close', { caseId: c.id });
    const actor = who.userId;
    const next = await this.transition(c.id, (x, at) => closeCase(x, actor, at), 'case.closed', actor, 'Closed');
    await this.opts.queue.enqueue({ type: 'publish' });
    return next;
  }

  /**
   * `/ir merge <case-id>` (commander): folds that case into this one. The store moves
   * everything (atomically, or crash-safely on DynamoDB); the publisher posts the pointer
   * in the merged channel and archives it. Audited with what moved.
   */
  async merge(who: Requester, c: Case, otherId: string): Promise<MergeResult> {
    await this.opts.authorizer.authorize(who, 'merge', { caseId: c.id });
    // The store repeats a finished merge quietly (a resumed merge must); a person is told.
    const other = await this.store.getCase(otherId);
    if (other?.mergedInto) throw new CordonError(ErrorCode.INPUT_INVALID, `case ${otherId} was already merged into ${other.mergedInto}`);
    const at = this.opts.now().toISOString();
    const reason = `/ir merge by ${who.userId}`;
    const result = await this.store.mergeCase({ intoId: c.id, fromId: otherId, at, actor: who.userId, reason });
    await this.store.appendAudit({ at, actor: who.userId, event: 'case.merged', caseId: c.id, allowed: true, detail: { from: otherId, reason, moved: result.moved } });
    await this.opts.queue.enqueue({ type: 'publish' });
    return result;
  }

  /**
   * `/ir split <finding-id>` (commander): a finding that joined this case wrongly moves into
   * a case of its own. The new case is keyed by the finding alone (its other keys stay with
   * this case, so the next finding about them still lands here); this case keeps its
   * severity, as the record of what was seen. Both timelines say so; audited.
   */
  async split(who: Requester, c: Case, findingId: string): Promise<Case> {
    await this.opts.authorizer.authorize(who, 'split', { caseId: c.id });
    const sf = await this.store.getFinding(findingId);
    if (!sf || sf.caseId !== c.id) throw new CordonError(ErrorCode.INPUT_INVALID, `finding ${findingId.slice(0, 80)} is not in case ${c.id}`);
    const findings = await this.store.listFindings({ caseId: c.id });
    if (findings.length < 2) throw new CordonError(ErrorCode.INPUT_INVALID, `finding ${findingId.slice(0, 80)} is the only finding of case ${c.id}; there is nothing to split it from`);
    const now = this.opts.now();
    const at = now.toISOString();
    const f = sf.finding;
    const draft = openCase(
      { id: newCaseId(now, this.opts.random), title: f.title, severity: f.severity, band: sf.band, accounts: [f.accountId], regions: [f.region], primaryType: f.type, detectedAt: activityAt(f) },
      at,
    );
    // A draft under a fresh id and the finding's own key only: always created, never joined.
    const claim = await this.store.claimCase(draft, [`split:${draft.id}`], at);
    const created = claim.case;
    const moved = await updateWithRetry({
      what: `finding ${findingId}`,
      read: () => this.store.getFinding(findingId),
      mutate: (x) => {
        if (x.caseId !== c.id) throw new CordonError(ErrorCode.INPUT_INVALID, `finding ${findingId.slice(0, 80)} left case ${c.id} meanwhile`);
        return movedFinding(x, created.id);
      },
      // movedFinding bumps the version for the stores' merge; updateFinding bumps it itself.
      write: (x) => this.store.updateFinding({ ...x, version: x.version - 1 }),
    });
    if (!moved) throw new CordonError(ErrorCode.INPUT_INVALID, `finding ${findingId.slice(0, 80)} vanished`);
    // This case's pinned card counted the finding and listed its resources: re-rendered at
    // once, as for the other changes a person makes, not left stale until a finding joins.
    await updateWithRetry({
      what: `case ${c.id}`,
      read: () => this.store.getCase(c.id),
      mutate: (x) => ({ ...cardEditNow(x), cardDirty: true }),
      write: (x) => this.store.updateCase(x),
    });
    const by = who.userId;
    await this.store.appendTimeline({ caseId: created.id, at, kind: 'case.opened', actor: by, text: `Case opened by /ir split: finding ${f.title} moved here from ${c.id}` });
    await this.store.appendTimeline({ caseId: c.id, at, kind: 'finding.split', actor: by, text: `Finding ${f.title} (${findingId}) split into ${created.id}: it did not belong to this case` });
    await this.store.appendAudit({ at, actor: by, event: 'finding.split', caseId: c.id, allowed: true, detail: { findingId, to: created.id } });
    await this.opts.queue.enqueue({ type: 'publish' });
    return created;
  }

  /** A state change the domain defines (it refuses a wrong status), compare-and-set, then the timeline line. */
  private async transition(caseId: string, change: (c: Case, at: string) => Case, kind: 'case.resolved' | 'case.closed', actor: string, text: string): Promise<Case> {
    const next = await updateWithRetry({
      what: `case ${caseId}`,
      read: () => this.require(caseId),
      mutate: (c) => change(c, this.opts.now().toISOString()),
      write: (c) => this.store.updateCase(c),
    });
    // Unreachable in practice: require() throws for a missing case and a change never declines.
    if (!next) throw new CordonError(ErrorCode.CASE_NOT_FOUND, `no case ${caseId}`);
    await this.store.appendTimeline({ caseId, at: next.updatedAt, kind, actor, text });
    return next;
  }
}
