import type { Config } from '../config/load-config';
import { ActionLedger } from '../containment/action-ledger';
import type { JobQueue } from '../jobs/job-queue';
import type { Logger } from '../log';
import { AccessService } from '../services/access-service';
import { ActionService, type ApprovalPolicy } from '../services/action-service';
import { approvalRuleFor } from '../domain/access';
import { CaseService } from '../services/case-service';
import { EscalationService } from '../services/escalation-service';
import { ReportService } from '../services/report-service';
import { SuppressionService } from '../services/suppression-service';
import { SlackActionReporter } from '../slack/outbound/action-reporter';
import { SlackBridge } from '../slack/outbound/bridge';
import { SlackCaseNotices } from '../slack/outbound/case-notices';
import { SlackGroupDirectory } from '../slack/outbound/group-directory';
import { SlackReportUploader } from '../slack/outbound/report-uploader';
import { SlackSuppressionNotices } from '../slack/outbound/suppression-notices';
import type { Store } from '../store/store';
import type { SlackParts } from './intake';

/**
 * What Slack requests call, every one of them present: a feature that is not
 * configured says so itself (CONFIG.INVALID naming the key) instead of being absent.
 * Nothing here calls AWS: the `slack` function is wired with this alone, so it neither
 * loads the AWS side nor risks Slack's 3 s on it.
 */
export interface Services {
  store: Store;
  access: AccessService;
  cases: CaseService;
  actions: ActionService;
  escalation: EscalationService;
  suppression: SuppressionService;
  reports: ReportService;
  /** Where long work goes: the worker runs it (in this process, or the `worker` function). */
  queue: JobQueue;
}

/** The config's approval rules as a lookup: which rule (if any) holds this target's containment or revert for a second commander. */
export function approvalPolicy(config: Config): ApprovalPolicy {
  const environments = Object.fromEntries(config.accounts.map((a) => [a.id, a.environment]));
  return (target, intent = 'contain') => {
    const rule = approvalRuleFor({ accountId: target.accountId, environment: environments[target.accountId] ?? 'unknown', kind: target.kind }, config.access.approvals, intent);
    return rule ? { rule: rule.name, ttlMs: config.access.approvalTtl } : undefined;
  };
}

/** What {@link buildServices} is built from. */
export interface ServiceParts {
  config: Config;
  store: Store;
  slack: SlackParts;
  log: Logger;
  now: () => Date;
  random: () => number;
  queue: JobQueue;
}

/**
 * Wires access, cases, actions, escalation, suppression and reports over one store and
 * one queue, each given the Slack adapters of its outbound ports (the services import none).
 */
export function buildServices(p: ServiceParts): Services {
  const { client } = p.slack;
  const access = new AccessService(new SlackGroupDirectory(client), p.store, p.log, {
    access: p.config.access,
    groupCacheTtlMs: p.config.access.groupCacheTtl,
    teamId: p.config.workspace.teamId,
    now: p.now,
  });
  const cases = new CaseService(p.store, {
    correlationWindowMs: p.config.triage.correlationWindow,
    now: p.now,
    random: p.random,
    authorizer: access,
    queue: p.queue,
    notices: new SlackCaseNotices(client),
  });
  const ledger = new ActionLedger(p.store, p.config.accounts.map((a) => a.id), p.now);
  const reports = new ReportService(p.store, {
    now: p.now,
    uploader: new SlackReportUploader(client),
    log: p.log,
    accountNames: Object.fromEntries(p.config.accounts.map((a) => [a.id, a.name])),
    requests: { authorizer: access, queue: p.queue },
  });
  const actions = new ActionService({
    store: p.store,
    ledger,
    cases,
    queue: p.queue,
    authorizer: access,
    reporter: new SlackActionReporter(client, p.log),
    now: p.now,
    approvalFor: approvalPolicy(p.config),
    // Containment exists when the config names the member-account role, and only then.
    containment: p.config.containmentRole ? { enabled: true } : { enabled: false, configPath: p.config.configPath },
    partition: p.config.partition,
  });
  const bridge = new SlackBridge(client, p.log, {
    invite: p.config.escalation.invite,
    inviteGroups: p.config.escalation.inviteGroups,
    ...(p.config.escalation.bridgeUrl ? { bridgeUrl: p.config.escalation.bridgeUrl } : {}),
  });
  const escalation = new EscalationService(p.store, bridge, access, p.queue, p.log, {
    repageEveryMs: p.config.escalation.repageEvery,
    ackWithinMs: p.config.escalation.ackWithin,
    now: p.now,
  });
  const suppression = new SuppressionService(p.store, ledger, access, p.queue, {
    guarddutyFilters: p.config.triage.guarddutyFilters,
    now: p.now,
    maxExpiryMs: p.config.triage.suppressionMaxExpiry,
    approvalTtlMs: p.config.access.approvalTtl,
    notices: new SlackSuppressionNotices(client, p.config.channels.triage),
    log: p.log,
  });
  return { store: p.store, access, cases, actions, escalation, suppression, reports, queue: p.queue };
}
