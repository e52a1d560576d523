import type { Action } from '../domain/actions/action';
import type { Case, StoredFinding, TimelineEvent } from '../domain/cases/case';
import { newCaseId } from '../domain/cases/case-id';
import type { Target } from '../domain/actions/target';
import { CordonError, ErrorCode } from '../errors';
import type { JobQueue } from '../jobs/job-queue';
import type { Store } from '../store/store';
import type { Authorizer, Requester } from './action-service';

/**
 * Port: what a case's channel is told directly, beside the timeline the publisher posts.
 * The Slack adapter renders it (`slack/outbound`); the service only says when.
 */
export interface CaseChannelNotices {
  /** The resolution checklist, posted in the case channel when a case is resolved. */
  resolutionChecklist(channelId: string, caseId: string, summary: string | undefined): Promise<void>;
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

/** Correlation keys of a containment target, the same shapes triage uses. */
export function targetKeys(t: Target): string[] {
  switch (t.kind) {
    case 'ec2-instance':
      return [`instance:${t.accountId ?? ''}:${t.id}`];
    case 'iam-user':
    case 'iam-role':
      return [`principal:${t.accountId ?? ''}:${t.id}`];
    case 'lambda-function':
      return [`function:${t.accountId ?? ''}:${t.region ?? ''}:${t.id}`];
    case 'access-key':
      return [`access-key:${t.id}`];
  }
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
    const draft: Case = {
      id: newCaseId(now, this.opts.random),
      title: `Manual containment of ${t.kind} ${t.id}`,
      status: 'open',
      severity: 5,
      band: 'medium',
      accounts: t.accountId ? [t.accountId] : [],
      regions: t.region ? [t.region] : [],
      primaryType: `Manual:${t.kind}/Containment`,
      createdAt: at,
      updatedAt: at,
      lastActivityAt: at,
      mention: false,
      escalate: false,
      ownerEmails: [],
      cardPinned: false,
      cardDirty: false,
      version: 1,
    };
    const claim = await this.store.claimCase(draft, targetKeys(t), new Date(now.getTime() - this.opts.correlationWindowMs).toISOString());
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

  /** Resolve (commander): status resolved, the summary kept, the checklist posted in the case channel. */
  async resolve(who: Requester, c: Case, summary: string | undefined): Promise<Case> {
    await this.opts.authorizer.authorize(who, 'resolve', { caseId: c.id });
    const actor = who.userId;
    const next = await this.transition(c.id, ['open', 'contained'], { status: 'resolved', resolvedBy: actor, resolvedAt: this.opts.now().toISOString(), ...(summary ? { resolution: summary } : {}) }, 'case.resolved', actor, `Resolved${summary ? `: ${summary}` : ''}`);
    await this.opts.notices.resolutionChecklist(who.channelId, c.id, summary);
    await this.opts.queue.enqueue({ type: 'publish' });
    return next;
  }

  /** Close (commander): no finding joins a closed case; the channel stays as the record. */
  async close(who: Requester, c: Case): Promise<Case> {
    await this.opts.authorizer.authorize(who, 'close', { caseId: c.id });
    const actor = who.userId;
    const next = await this.transition(c.id, ['open', 'contained', 'resolved'], { status: 'closed', closedBy: actor, closedAt: this.opts.now().toISOString() }, 'case.closed', actor, 'Closed');
    await this.opts.queue.enqueue({ type: 'publish' });
    return next;
  }

  private async transition(caseId: string, from: Case['status'][], patch: Partial<Case>, kind: 'case.resolved' | 'case.closed', actor: string, text: string): Promise<Case> {
    for (let i = 0; i < 5; i++) {
      const c = await this.require(caseId);
      if (!from.includes(c.status)) throw new CordonError(ErrorCode.INPUT_INVALID, `case ${c.id} is ${c.status}; it cannot be ${kind === 'case.resolved' ? 'resolved' : 'closed'} now`);
      const at = this.opts.now().toISOString();
      const next = { ...c, ...patch, updatedAt: at, cardDirty: true };
      if (!(await this.store.updateCase(next))) continue;
      await this.store.appendTimeline({ caseId, at, kind, actor, text });
      return next;
    }
    throw new CordonError(ErrorCode.STORE_CONFLICT, `case ${caseId} kept changing; try again`);
  }
}
