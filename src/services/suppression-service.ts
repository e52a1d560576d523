import { randomBytes } from 'node:crypto';
import type { ActionLedger } from '../containment/action-ledger';
import { hasStopped, type SuppressionRule } from '../domain/triage/suppression';
import { CordonError, ErrorCode } from '../errors';
import type { JobQueue } from '../jobs/job-queue';
import type { CaseStore, SuppressionStore } from '../store/store';
import type { Authorizer, Requester } from './action-service';

/** What to suppress: a finding type glob, where, for how long and why. */
export interface SuppressRequest {
  type: string;
  accounts: string[];
  regions: string[];
  forMs?: number;
  reason: string;
  caseId?: string;
}

/**
 * Suppression rules made in Slack (commander): stored with author, reason and expiry,
 * applied by triage from then on; with `triage.guarddutyFilters`, also a GuardDuty
 * ARCHIVE filter in each account and region, which exists only while the rule does.
 * Nothing here calls AWS: the filters are made and deleted by the `suppression-filters`
 * job (`GuardDutyFilters`), as cross-account calls are too slow for a listener.
 */
export class SuppressionService {
  constructor(
    private readonly store: SuppressionStore & Pick<CaseStore, 'appendTimeline'>,
    private readonly ledger: ActionLedger,
    private readonly authorizer: Authorizer,
    private readonly queue: JobQueue,
    private readonly opts: { guarddutyFilters: boolean; now: () => Date },
  ) {}

  async suppress(who: Requester, req: SuppressRequest): Promise<SuppressionRule> {
    await this.authorizer.authorize(who, 'suppress', { ...(req.caseId ? { caseId: req.caseId } : {}), target: req.type });
    for (const a of req.accounts) this.ledger.assertAllowed(a);
    const now = this.opts.now();
    const id = `s-${randomBytes(3).toString('hex')}`;
    const rule: SuppressionRule = {
      id,
      reason: req.reason,
      type: req.type,
      ...(req.accounts.length ? { accounts: req.accounts } : {}),
      ...(req.regions.length ? { regions: req.regions } : {}),
      ...(req.forMs ? { expires: new Date(now.getTime() + req.forMs).toISOString() } : {}),
      author: who.userId,
      createdAt: now.toISOString(),
      ...(req.caseId ? { caseId: req.caseId } : {}),
      filters: [],
    };
    // Store first: triage suppresses from now on, whatever GuardDuty does. The filters are
    // cross-account calls, too slow for a listener that must ack: a job creates them.
    const wanted = this.opts.guarddutyFilters ? req.accounts.flatMap((accountId) => req.regions.map((region) => ({ accountId, region }))) : [];
    if (wanted.length) rule.filtersPending = wanted;
    await this.store.putSuppression(rule);
    if (wanted.length) await this.queue.enqueue({ type: 'suppression-filters', ruleId: id });
    if (req.caseId) {
      await this.store.appendTimeline({ caseId: req.caseId, at: now.toISOString(), kind: 'note', actor: who.userId, text: `Suppression rule ${id} for ${req.type}${rule.expires ? ` until ${rule.expires}` : ''}: ${req.reason}` });
    }
    return rule;
  }

  /**
   * `/ir unsuppress <rule-id>`: the rule stops applying at once (`liftRequestedAt`, which
   * triage honours). A rule with GuardDuty filters stays in the active index until the
   * `suppression-filters` job (retried by the ticker's sweep) has deleted every one, and
   * comes back with those filters listed; one without is retired (`liftedAt`) here.
   */
  async lift(who: Requester, ruleId: string, caseId?: string): Promise<SuppressionRule> {
    await this.authorizer.authorize(who, 'unsuppress', { ...(caseId ? { caseId } : {}) });
    const rule = await this.store.getSuppression(ruleId);
    if (!rule || hasStopped(rule)) {
      throw new CordonError(ErrorCode.INPUT_INVALID, `no active suppression rule ${ruleId.slice(0, 40)} (rules made in Slack look like s-1a2b3c)`);
    }
    const now = this.opts.now().toISOString();
    const stopped: SuppressionRule = { ...rule, liftRequestedAt: now, liftedBy: who.userId };
    // A filter still being made is recorded by its job, which sees the lift and deletes it.
    if (!stopped.filters?.length) {
      const retired: SuppressionRule = { ...stopped, filtersPending: [], liftedAt: now };
      await this.store.putSuppression(retired);
      return retired;
    }
    // Stored first: triage stops applying the rule even if GuardDuty is down.
    await this.store.putSuppression(stopped);
    await this.queue.enqueue({ type: 'suppression-filters', ruleId });
    return stopped;
  }
}
