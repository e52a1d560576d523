import type { FindingCriteria, GuardDutyClient } from '@aws-sdk/client-guardduty';
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
    /** `administratorAccount`: where filters are made when GuardDuty is managed by one (issue 15, point 19). */
    private readonly opts: { now: () => Date; administratorAccount?: string },
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
      // With an administrator account, every filter lives there, one per member account, scoped by the accountId criterion.
      const host = this.opts.administratorAccount ?? accountId;
      try {
        const gd = (await this.containment.clientsFor(host, { actionId: ruleId, requestedBy: rule.author ?? 'cordon' }, ['guardduty'])).guardduty(region);
        // Loaded when a filter job first runs (a chunk of its own in the Lambda bundles): the worker's cold start does not parse it.
        const { ListDetectorsCommand } = await import('@aws-sdk/client-guardduty');
        const detectorId = (await gd.send(new ListDetectorsCommand({}))).DetectorIds?.[0];
        const name = host === accountId ? `cordon-${ruleId}` : `cordon-${ruleId}-${accountId}`;
        if (detectorId) await this.createFilter(gd, detectorId, name, rule, place);
        // Reloaded before writing: a lift stored meanwhile must not be overwritten.
        const fresh = (await this.store.getSuppression(ruleId)) ?? rule;
        rule = {
          ...fresh,
          filtersPending: (fresh.filtersPending ?? []).filter((f) => f.accountId !== accountId || f.region !== region),
          // Recorded even when the rule was lifted meanwhile, so the sweep deletes it.
          filters: [
            ...(fresh.filters ?? []).filter((f) => f.accountId !== accountId || f.region !== region),
            ...(detectorId ? [{ accountId, region, detectorId, name, ...(host !== accountId ? { hostAccountId: host } : {}) }] : []),
          ],
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
    const { CreateFilterCommand } = await import('@aws-sdk/client-guardduty');
    try {
      await gd.send(
        new CreateFilterCommand({
          DetectorId: detectorId,
          Name: name,
          Action: 'ARCHIVE',
          Description: filterDescription(`Cordon suppression ${rule.id} by ${rule.author ?? 'cordon'}: ${rule.reason}`),
          FindingCriteria: filterCriteria(rule.type ?? '*', place.accountId, place.region),
          // Idempotent: a create retried after a lost answer makes no second filter.
          ClientToken: `cordon-${rule.id}-${place.accountId}-${place.region}`.slice(0, 64),
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
        const gd = (await this.containment.clientsFor(f.hostAccountId ?? f.accountId, { actionId: rule.id, requestedBy: by }, ['guardduty'])).guardduty(f.region);
        const { DeleteFilterCommand } = await import('@aws-sdk/client-guardduty');
        try {
          await gd.send(new DeleteFilterCommand({ DetectorId: f.detectorId, FilterName: f.name }));
        } catch (err) {
          // GuardDuty answers BadRequest for a filter that is gone, but also for a bad request
          // (a throttled or refused one included): gone only if the detector no longer lists it.
          if ((err as { name?: string }).name !== 'BadRequestException' || (await filterListed(gd, f.detectorId, f.name))) throw err;
        }
      } catch (err) {
        left.push(f);
        this.log.warn({ ruleId: rule.id, accountId: f.accountId, region: f.region, err: errorMessage(err) }, 'GuardDuty filter not removed; the ticker retries');
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
 * Whether the detector still lists the filter; a detector that is gone (BadRequest) holds
 * no filter.
 */
async function filterListed(gd: GuardDutyClient, detectorId: string, name: string): Promise<boolean> {
  let next: string | undefined;
  const { ListFiltersCommand } = await import('@aws-sdk/client-guardduty');
  try {
    do {
      const page = await gd.send(new ListFiltersCommand({ DetectorId: detectorId, MaxResults: 50, ...(next ? { NextToken: next } : {}) }));
      if ((page.FilterNames ?? []).includes(name)) return true;
      next = page.NextToken;
    } while (next);
  } catch (err) {
    if ((err as { name?: string }).name === 'BadRequestException') return false;
    throw err;
  }
  return false;
}

/**
 * A filter description GuardDuty accepts: at most 512 of letters, digits, whitespace and
 * - . : _ { } [ ] ( ) / (https://docs.aws.amazon.com/guardduty/latest/APIReference/API_CreateFilter.html);
 * anything else (a reason typed in Slack: quotes, @, commas, emoji) becomes a space.
 */
export function filterDescription(text: string): string {
  return text
    .replace(/[^A-Za-z0-9\-.:_{}[\]()/ ]/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim()
    .slice(0, 512);
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
