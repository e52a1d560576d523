import { randomBytes } from 'node:crypto';
import { CreateFilterCommand, DeleteFilterCommand, ListDetectorsCommand, type FindingCriteria, type GuardDutyClient } from '@aws-sdk/client-guardduty';
import type { ContainmentService } from '../containment/containment-service';
import { hasStopped, type SuppressionRule } from '../domain/triage/suppression';
import { CordonError, ErrorCode, errorMessage } from '../errors';
import type { JobQueue } from '../jobs/job-queue';
import type { Logger } from '../log';
import type { Store } from '../store/store';
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
 * The rule document is the record of the filters still to delete: a lifted or expired
 * rule stops applying at once but stays in the active index (no `liftedAt`) until the
 * ticker's sweep has deleted every one, so no Store change is needed for the retry.
 */
export class SuppressionService {
  constructor(
    private readonly store: Store,
    private readonly containment: ContainmentService,
    private readonly authorizer: Authorizer,
    private readonly queue: JobQueue,
    private readonly log: Logger,
    private readonly opts: { guarddutyFilters: boolean; now: () => Date },
  ) {}

  async suppress(who: Requester, req: SuppressRequest): Promise<SuppressionRule> {
    await this.authorizer.authorize(who, 'suppress', { ...(req.caseId ? { caseId: req.caseId } : {}), target: req.type });
    for (const a of req.accounts) this.containment.resolveAllowed(a);
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
   * Job (and the ticker, for what failed): creates the rule's pending GuardDuty ARCHIVE
   * filters. Each one is recorded as it is made, so a re-run makes only what is left;
   * a filter already made under the rule's name is taken as made. A rule that stopped
   * applying meanwhile gets no new filter.
   */
  async createFilters(ruleId: string): Promise<void> {
    let rule = await this.store.getSuppression(ruleId);
    for (const place of [...(rule?.filtersPending ?? [])]) {
      if (!rule || hasStopped(rule)) return;
      const { accountId, region } = place;
      try {
        const gd = (await this.containment.clientsFor(accountId, { actionId: ruleId, requestedBy: rule.author ?? 'cordon' })).guardduty(region);
        const detectorId = (await gd.send(new ListDetectorsCommand({}))).DetectorIds?.[0];
        const name = `cordon-${ruleId}`;
        if (detectorId) await this.createFilter(gd, detectorId, name, rule, place);
        // Reloaded before writing: a lift stored meanwhile must not be overwritten.
        const fresh = (await this.store.getSuppression(ruleId)) ?? rule;
        rule = {
          ...fresh,
          filtersPending: (fresh.filtersPending ?? []).filter((f) => f.accountId !== accountId || f.region !== region),
          // Recorded even when the rule was lifted meanwhile, so the sweep deletes it.
          filters: [...(fresh.filters ?? []).filter((f) => f.accountId !== accountId || f.region !== region), ...(detectorId ? [{ accountId, region, detectorId, name }] : [])],
        };
        if (hasStopped(fresh)) {
          // Lifted while this filter was being made: it goes again at once (the sweep retries).
          const { liftedAt: _retired, ...stopped } = rule;
          await this.retire({ ...stopped, liftRequestedAt: fresh.liftRequestedAt ?? fresh.liftedAt }, 'cordon');
          return;
        }
        await this.store.putSuppression(rule);
      } catch (err) {
        this.log.warn({ ruleId, accountId, region, err: errorMessage(err) }, 'GuardDuty filter not created; the rule applies in Cordon, the ticker retries');
      }
    }
  }

  private async createFilter(gd: GuardDutyClient, detectorId: string, name: string, rule: SuppressionRule, place: { accountId: string; region: string }): Promise<void> {
    try {
      await gd.send(
        new CreateFilterCommand({
          DetectorId: detectorId,
          Name: name,
          Action: 'ARCHIVE',
          Description: `Cordon suppression ${rule.id} by ${rule.author ?? 'cordon'}: ${rule.reason}`.slice(0, 512),
          FindingCriteria: filterCriteria(rule.type ?? '*', place.accountId, place.region),
        }),
      );
    } catch (err) {
      // A run cut off after CreateFilter and before recording it: the filter is there.
      if ((err as { name?: string }).name === 'BadRequestException' && /already exists/i.test(errorMessage(err))) return;
      throw err;
    }
  }

  /** Ticker: filters that could not be created yet, for rules that still apply. */
  async retryPendingFilters(): Promise<void> {
    for (const r of await this.store.activeSuppressions()) {
      if (r.filtersPending?.length && !hasStopped(r)) await this.createFilters(r.id);
    }
  }

  /**
   * `/ir unsuppress <rule-id>`: the rule stops applying at once (`liftRequestedAt`, which
   * triage honours) and its GuardDuty filters go. It leaves the active index (`liftedAt`)
   * only when no filter is left; a delete that fails is retried by the ticker's sweep.
   */
  async lift(who: Requester, ruleId: string, caseId?: string): Promise<SuppressionRule> {
    await this.authorizer.authorize(who, 'unsuppress', { ...(caseId ? { caseId } : {}) });
    const rule = await this.store.getSuppression(ruleId);
    if (!rule || hasStopped(rule)) {
      throw new CordonError(ErrorCode.INPUT_INVALID, `no active suppression rule ${ruleId.slice(0, 40)} (rules made in Slack look like s-1a2b3c)`);
    }
    const stopped: SuppressionRule = { ...rule, liftRequestedAt: this.opts.now().toISOString(), liftedBy: who.userId };
    // Stored before any AWS call: triage stops applying the rule even if GuardDuty is down.
    await this.store.putSuppression(stopped);
    return this.retire(stopped, who.userId);
  }

  /**
   * Deletes the rule's remaining filters and stores what is left; with none left the rule
   * is retired (`liftedAt`, out of the active index), otherwise it stays for the next sweep.
   */
  private async retire(rule: SuppressionRule, by: string): Promise<SuppressionRule> {
    const left: NonNullable<SuppressionRule['filters']> = [];
    for (const f of rule.filters ?? []) {
      try {
        const gd = (await this.containment.clientsFor(f.accountId, { actionId: rule.id, requestedBy: by })).guardduty(f.region);
        await gd.send(new DeleteFilterCommand({ DetectorId: f.detectorId, FilterName: f.name }));
      } catch (err) {
        // GuardDuty answers BadRequest for a filter (or detector) that no longer exists: gone.
        if ((err as { name?: string }).name !== 'BadRequestException') {
          left.push(f);
          this.log.warn({ ruleId: rule.id, accountId: f.accountId, region: f.region, err: errorMessage(err) }, 'GuardDuty filter not removed; the ticker retries');
        }
      }
    }
    // Nothing more is created for a rule that stopped applying.
    const next: SuppressionRule = { ...rule, filters: left, filtersPending: [], ...(left.length === 0 ? { liftedAt: this.opts.now().toISOString() } : {}) };
    await this.store.putSuppression(next);
    return next;
  }

  /**
   * Ticker: rules that stopped applying (expired, or lifted with a filter delete that
   * failed) lose their remaining GuardDuty filters and are retired once none is left.
   * Returns the ids retired by this sweep.
   */
  async sweepExpired(): Promise<string[]> {
    const now = this.opts.now().getTime();
    const done: string[] = [];
    for (const r of await this.store.activeSuppressions()) {
      const expired = r.expires !== undefined && Date.parse(r.expires) <= now;
      if (!expired && !r.liftRequestedAt) continue;
      const stopped: SuppressionRule = { ...r, liftRequestedAt: r.liftRequestedAt ?? r.expires, liftedBy: r.liftedBy ?? 'cordon' };
      if ((await this.retire(stopped, 'cordon')).liftedAt) done.push(r.id);
    }
    return done;
  }
}

/**
 * The GuardDuty side of a rule in one account and region: its type (a Cordon glob
 * becomes `Matches`, which takes `*` the same way), account and region.
 */
export function filterCriteria(type: string, accountId: string, region: string): FindingCriteria {
  return {
    Criterion: {
      type: type.includes('*') ? { Matches: [type] } : { Equals: [type] },
      accountId: { Equals: [accountId] },
      region: { Equals: [region] },
    },
  };
}
