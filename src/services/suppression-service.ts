import { randomBytes } from 'node:crypto';
import type { ActionLedger } from '../containment/action-ledger';
import { isExpired } from '../domain/access/approval-rules';
import { formatDuration } from '../domain/duration';
import { awaitingApproval, hasStopped, matchesEveryType, wideSuppressionReasons, type SuppressionRule } from '../domain/triage/suppression';
import { CordonError, ErrorCode, errorMessage } from '../errors';
import type { Logger } from '../log';
import type { JobQueue } from '../jobs/job-queue';
import type { CaseStore, FindingStore, SuppressionStore } from '../store/store';
import type { Authorizer, Requester } from './action-service';

/** What to suppress: a finding type glob, where, for how long and why. */
export interface SuppressRequest {
  type: string;
  accounts: string[];
  regions: string[];
  forMs?: number;
  reason: string;
  caseId?: string;
  /** The severity of the finding it was made from (Suppress similar): High or Critical needs a second commander. */
  severity?: number;
}

/** What happened to a rule, as the triage channel hears it. */
export type SuppressionEvent = 'new' | 'pending' | 'approved' | 'lifted' | 'expired';

/**
 * Port: the triage channel hears of every new, lifted or expired rule, with who, why and
 * until when; a rule waiting for a second commander comes with an Approve button. The
 * Slack adapter is `slack/outbound/suppression-notices`.
 */
export interface SuppressionNotices {
  announce(rule: SuppressionRule, event: SuppressionEvent, by: string): Promise<void>;
}

export interface SuppressionOptions {
  guarddutyFilters: boolean;
  now: () => Date;
  /** `triage.suppressionMaxExpiry`: no rule lasts longer; a rule without `--for` lasts this long. */
  maxExpiryMs: number;
  /** `access.approvalTtl`: how long a wide rule waits for its second commander. */
  approvalTtlMs: number;
  notices?: SuppressionNotices;
  log?: Logger;
}

/** Severity from which GuardDuty calls a finding High (docs/architecture.md §4). */
const HIGH = 7;

/**
 * Suppression rules made in Slack (commander): stored with author, reason and expiry,
 * applied by triage from then on; with `triage.guarddutyFilters`, also a GuardDuty
 * ARCHIVE filter in each account and region, which exists only while the rule does.
 * Nothing here calls AWS: the filters are made and deleted by the `suppression-filters`
 * job (`GuardDutyFilters`), as cross-account calls are too slow for a listener.
 *
 * Suppression cannot blind triage quietly (issue 17 point 4): a glob matching every type is
 * refused, every rule expires (at most `suppressionMaxExpiry`), a wide rule waits for a
 * second commander, and the triage channel hears of every rule made, lifted or expired.
 */
export class SuppressionService {
  constructor(
    private readonly store: SuppressionStore & Pick<CaseStore, 'appendTimeline'> & Pick<FindingStore, 'listFindings'>,
    private readonly ledger: ActionLedger,
    private readonly authorizer: Authorizer,
    private readonly queue: JobQueue,
    private readonly opts: SuppressionOptions,
  ) {}

  async suppress(who: Requester, req: SuppressRequest): Promise<SuppressionRule> {
    await this.authorizer.authorize(who, 'suppress', { ...(req.caseId ? { caseId: req.caseId } : {}), target: req.type });
    if (matchesEveryType(req.type)) {
      throw new CordonError(ErrorCode.INPUT_INVALID, `\`${req.type.slice(0, 80)}\` matches every finding type and would blind triage; suppress one type or a family (e.g. Recon:EC2/*)`);
    }
    const max = this.opts.maxExpiryMs;
    if (req.forMs !== undefined && req.forMs > max) {
      throw new CordonError(ErrorCode.INPUT_INVALID, `a suppression rule lasts at most ${formatDuration(max)} (triage.suppressionMaxExpiry); ask for less with --for`);
    }
    for (const a of req.accounts) this.ledger.assertAllowed(a);
    const now = this.opts.now();
    const id = `s-${randomBytes(3).toString('hex')}`;
    const seenHigh = req.caseId ? (await this.store.listFindings({ caseId: req.caseId })).filter((f) => f.finding.severity >= HIGH).map((f) => f.finding.type) : [];
    const why = wideSuppressionReasons(req, seenHigh);
    if ((req.severity ?? 0) >= HIGH && !why.some((w) => w.startsWith('it can match High'))) why.push('it was made from a High or Critical finding');
    const rule: SuppressionRule = {
      id,
      reason: req.reason,
      type: req.type,
      ...(req.accounts.length ? { accounts: req.accounts } : {}),
      ...(req.regions.length ? { regions: req.regions } : {}),
      // Every rule ends: without --for it lasts the longest the config allows.
      expires: new Date(now.getTime() + (req.forMs ?? max)).toISOString(),
      author: who.userId,
      createdAt: now.toISOString(),
      ...(req.caseId ? { caseId: req.caseId } : {}),
      ...(why.length ? { approval: { why, expiresAt: new Date(now.getTime() + this.opts.approvalTtlMs).toISOString() } } : {}),
      filters: [],
    };
    // Store first: triage suppresses from now on (once approved, where it must be), whatever
    // GuardDuty does. The filters are cross-account calls, too slow for a listener: a job makes them.
    const wanted = this.opts.guarddutyFilters ? req.accounts.flatMap((accountId) => req.regions.map((region) => ({ accountId, region }))) : [];
    if (wanted.length) rule.filtersPending = wanted;
    await this.store.putSuppression(rule);
    if (req.caseId) {
      await this.store.appendTimeline({
        caseId: req.caseId,
        at: now.toISOString(),
        kind: 'note',
        actor: who.userId,
        text: `Suppression rule ${id} for ${req.type} until ${rule.expires ?? ''}${rule.approval ? ` (waits for a second commander: ${why.join('; ')})` : ''}: ${req.reason}`,
      });
    }
    await this.announce(rule, rule.approval ? 'pending' : 'new', who.userId);
    // Last: the in-process queue starts the job at the next await, and the listener answers first.
    if (wanted.length && !rule.approval) await this.queue.enqueue({ type: 'suppression-filters', ruleId: id });
    return rule;
  }

  /**
   * A second commander approves a wide rule (the Approve button in the triage channel):
   * the same four-eyes decision as containment, and the same expiry of pending approvals.
   */
  async approve(who: Requester, ruleId: string): Promise<SuppressionRule> {
    const rule = await this.store.getSuppression(ruleId);
    await this.authorizer.authorize(who, 'approve', { target: ruleId.slice(0, 40), ...(rule?.author ? { requesterId: rule.author } : {}), ...(rule?.caseId ? { caseId: rule.caseId } : {}) });
    if (!rule || hasStopped(rule)) throw new CordonError(ErrorCode.INPUT_INVALID, `no active suppression rule ${ruleId.slice(0, 40)}`);
    if (!rule.approval || rule.approval.approvedBy) throw new CordonError(ErrorCode.STORE_CONFLICT, `suppression rule ${rule.id} is not waiting for approval`);
    const now = this.opts.now();
    if (isExpired(rule.approval.expiresAt, now)) {
      throw new CordonError(ErrorCode.INPUT_INVALID, `the approval for suppression rule ${rule.id} expired at ${rule.approval.expiresAt.slice(11, 16)} UTC; make the rule again`);
    }
    const approved: SuppressionRule = { ...rule, approval: { ...rule.approval, approvedBy: who.userId, approvedAt: now.toISOString() } };
    await this.store.putSuppression(approved);
    await this.announce(approved, 'approved', who.userId);
    if (approved.filtersPending?.length) await this.queue.enqueue({ type: 'suppression-filters', ruleId: rule.id });
    return approved;
  }

  /** Ticker: each rule that has expired is announced once in the triage channel. */
  async announceExpired(): Promise<string[]> {
    const now = this.opts.now();
    const out: string[] = [];
    for (const r of await this.store.activeSuppressions()) {
      if (r.expiryAnnouncedAt || !r.expires || Date.parse(r.expires) > now.getTime() || awaitingApproval(r)) continue;
      // Lifted by a person before it expired: that was announced as a lift.
      if (r.liftedBy && r.liftedBy !== 'cordon') continue;
      const marked: SuppressionRule = { ...r, expiryAnnouncedAt: now.toISOString() };
      await this.store.putSuppression(marked);
      await this.announce(marked, 'expired', 'cordon');
      out.push(r.id);
    }
    return out;
  }

  /** Slack being down must not undo a rule that is stored: the failure is logged. */
  private async announce(rule: SuppressionRule, event: SuppressionEvent, by: string): Promise<void> {
    try {
      await this.opts.notices?.announce(rule, event, by);
    } catch (err) {
      this.opts.log?.error({ ruleId: rule.id, event, err: errorMessage(err) }, 'could not announce a suppression rule in the triage channel');
    }
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
      await this.announce(retired, 'lifted', who.userId);
      return retired;
    }
    // Stored first: triage stops applying the rule even if GuardDuty is down.
    await this.store.putSuppression(stopped);
    // Announced before the job is handed over: the in-process queue runs it as soon as this awaits.
    await this.announce(stopped, 'lifted', who.userId);
    await this.queue.enqueue({ type: 'suppression-filters', ruleId });
    return stopped;
  }
}
