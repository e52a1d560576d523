import { closeCase, resolveCase, type Case } from '../domain/cases/case';
import { newCaseId } from '../domain/cases/case-id';
import type { Target } from '../domain/actions/target';
import { targetCorrelationKeys } from '../domain/triage/correlation';
import { CordonError, ErrorCode } from '../errors';
import { updateWithRetry } from '../store/compare-and-set';
import type { CaseStore } from '../store/store';

/** Cases outside triage: the one a channel belongs to, or a manual case for a resource. */
export class CaseService {
  constructor(
    private readonly store: CaseStore,
    private readonly opts: { correlationWindowMs: number; now: () => Date; random: () => number },
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
    const claim = await this.store.claimCase(draft, targetCorrelationKeys(t), new Date(now.getTime() - this.opts.correlationWindowMs).toISOString());
    if (claim.created) {
      await this.store.appendTimeline({ caseId: draft.id, at, kind: 'case.opened', actor: requestedBy, text: `Case opened manually to contain ${t.kind} ${t.ref}` });
    }
    return claim;
  }

  /** Resolve (commander): status resolved, the summary kept, the checklist posted by the caller. */
  async resolve(caseId: string, actor: string, summary: string | undefined): Promise<Case> {
    return this.transition(caseId, (c, at) => resolveCase(c, actor, at, summary), 'case.resolved', actor, `Resolved${summary ? `: ${summary}` : ''}`);
  }

  /** Close (commander): no finding joins a closed case; the channel stays as the record. */
  async close(caseId: string, actor: string): Promise<Case> {
    return this.transition(caseId, (c, at) => closeCase(c, actor, at), 'case.closed', actor, 'Closed');
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

  async note(caseId: string, actor: string, text: string): Promise<void> {
    await this.store.appendTimeline({ caseId, at: this.opts.now().toISOString(), kind: 'note', actor, text });
  }
}
