import type { WebClient } from '@slack/web-api';
import type { Config } from '../config/load-config';
import { ActionLedger } from '../containment/action-ledger';
import type { JobQueue } from '../jobs/job-queue';
import type { Logger } from '../log';
import { SlackActionReporter } from '../slack/action-reporter';
import type { CasePublisher } from '../slack/case-publisher';
import type { ListenerDeps } from '../slack/listeners/ir-command';
import type { Store } from '../store/store';
import { AccessService } from './access-service';
import { ActionService } from './action-service';
import { CaseService } from './case-service';
import { EscalationService } from './escalation-service';
import { ReportService } from './report-service';
import { SuppressionService } from './suppression-service';

/**
 * What the Slack listeners call. Nothing here calls AWS: the `slack` function is wired
 * with this alone, so it neither loads the AWS side nor risks Slack's 3 s on it.
 */
export interface FrontDoorControl {
  actions: ActionService;
  cases: CaseService;
  escalation: EscalationService;
  suppression: SuppressionService;
  reports: ReportService;
  access: AccessService;
  queue: JobQueue;
  listenerDeps: ListenerDeps;
}

export interface FrontDoorParts {
  config: Config;
  store: Store;
  client: WebClient;
  publisher: CasePublisher;
  log: Logger;
  now: () => Date;
  random: () => number;
  /** Where jobs go: the worker runs them (in this process, or another function). */
  queue: JobQueue;
}

/** Wires access, cases, actions, escalation, suppression and reports for one Slack front door. */
export function buildFrontDoor(p: FrontDoorParts): FrontDoorControl {
  const access = new AccessService(p.client, p.store, p.log, {
    access: p.config.access,
    groupCacheTtlMs: p.config.access.groupCacheTtl,
    teamId: p.config.workspace.teamId,
    now: p.now,
  });
  const cases = new CaseService(p.store, { correlationWindowMs: p.config.triage.correlationWindow, now: p.now, random: p.random });
  const ledger = new ActionLedger(p.store, p.config.accounts.map((a) => a.id), p.now);
  const reports = new ReportService(p.store, { now: p.now, client: p.client, log: p.log, accountNames: Object.fromEntries(p.config.accounts.map((a) => [a.id, a.name])) });
  const actions = new ActionService({ store: p.store, ledger, cases, queue: p.queue, authorizer: access, reporter: new SlackActionReporter(p.client, p.log), now: p.now });
  const escalation = new EscalationService(p.store, p.client, access, p.queue, p.log, {
    invite: p.config.escalation.invite,
    inviteGroups: p.config.escalation.inviteGroups,
    ...(p.config.escalation.bridgeUrl ? { bridgeUrl: p.config.escalation.bridgeUrl } : {}),
    repageEveryMs: p.config.escalation.repageEvery,
    now: p.now,
  });
  const suppression = new SuppressionService(p.store, ledger, access, p.queue, { guarddutyFilters: p.config.triage.guarddutyFilters, now: p.now });
  return {
    actions,
    escalation,
    suppression,
    reports,
    cases,
    access,
    queue: p.queue,
    listenerDeps: { store: p.store, actions, cases, authorizer: access, queue: p.queue, escalation, suppression, reports, client: p.client },
  };
}
