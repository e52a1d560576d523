import { CreateFilterCommand, DeleteFilterCommand, ListDetectorsCommand, type FindingCriteria, type GuardDutyClient } from '@aws-sdk/client-guardduty';
import type { ContainmentService } from '../containment/containment-service';
import { awaitingApproval, hasStopped, type SuppressionRule } from '../domain/triage/suppression';
import { errorMessage } from '../errors';
import type { Logger } from '../log';
import type { Store } from '../store/store';

/**
 * The GuardDuty side of suppression rules: the ARCHIVE filter in each account and region
 * of a rule, made while the rule applies and deleted once it stops. Runs where jobs run
 * (the `suppression-filters` job, and the ticker for what failed), never in a listener.
 * The rule document is the record of the filters still to make or delete: a lifted or
 * expired rule stops applying at once but stays in the active index (no `liftedAt`) until
 * every filter is gone, so no Store change is needed for the retry.
 */
export class GuardDutyFilters {
  constructor(
    private readonly store: Store,
    private readonly containment: ContainmentService,
    private readonly log: Logger,
    private readonly opts: { now: () => Date },
  ) {}

  /** Job: brings the rule's filters in line with it: made while it applies, deleted once it stopped. */
  async sync(ruleId: string): Promise<void> {
    const rule = await this.store.getSuppression(ruleId);
    if (!rule || rule.liftedAt) return;
    if (hasStopped(rule)) await this.retire(rule, rule.liftedBy ?? 'cordon');
    else await this.createFilters(ruleId);
  }

  /**
   * Creates the rule's pending GuardDuty ARCHIVE
   * filters. Each one is recorded as it is made, so a re-run makes only what is left;
   * a filter already made under the rule's name is taken as made. A rule that stopped
   * applying meanwhile gets no new filter.
   */
  async createFilters(ruleId: string): Promise<void> {
    let rule = await this.store.getSuppression(ruleId);
    for (const place of [...(rule?.filtersPending ?? [])]) {
      if (!rule || hasStopped(rule) || awaitingApproval(rule)) return;
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
