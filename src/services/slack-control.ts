import type { WebClient } from '@slack/web-api';
import type { Config } from '../config/load-config';
import type { ContainmentService } from '../containment/containment-service';
import { approvalRuleFor } from '../domain/access';
import { REVERTIBLE, type ActionStatus } from '../domain/actions/action';
import { errorMessage, isCordonError } from '../errors';
import type { JobHandler, JobQueue } from '../jobs/job-queue';
import { InProcessQueue } from '../jobs/in-process-queue';
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

/** Everything the Slack listeners and the worker share. */
export interface SlackControl {
  actions: ActionService;
  cases: CaseService;
  escalation: EscalationService;
  suppression: SuppressionService;
  reports: ReportService;
  access: AccessService;
  queue: JobQueue;
  /** The worker: runs one job (in-process here; the `worker` Lambda on AWS). */
  runJob: JobHandler;
  listenerDeps: ListenerDeps;
}

export interface SlackControlParts {
  config: Config;
  store: Store;
  client: WebClient;
  publisher: CasePublisher;
  containment: ContainmentService;
  log: Logger;
  now: () => Date;
  random: () => number;
  /** Another queue (Lambda); default: in-process. */
  queue?: JobQueue;
}

/** Wires access, cases, actions and the job worker for one Slack front door. */
export function buildSlackControl(p: SlackControlParts): SlackControl & { inProcess?: InProcessQueue } {
  const access = new AccessService(p.client, p.store, p.log, {
    access: p.config.access,
    groupCacheTtlMs: p.config.access.groupCacheTtl,
    teamId: p.config.workspace.teamId,
    now: p.now,
  });
  const cases = new CaseService(p.store, { correlationWindowMs: p.config.triage.correlationWindow, now: p.now, random: p.random });
  const environments = Object.fromEntries(p.config.accounts.map((a) => [a.id, a.environment]));
  // The worker and the service need each other: the queue runs jobs that call the service.
  const ref: { actions?: ActionService; escalation?: EscalationService; suppression?: SuppressionService } = {};
  const reports = new ReportService(p.store, { now: p.now, client: p.client, log: p.log, accountNames: Object.fromEntries(p.config.accounts.map((a) => [a.id, a.name])) });
  // The listener acked long ago: a job that fails tells the person who asked, never drops it.
  const tellRequester = async (channel: string, user: string, err: unknown, what: string): Promise<void> => {
    const text = isCordonError(err) ? `:warning: ${err.message} (${err.code})` : `:boom: ${what}: ${errorMessage(err)}`;
    try {
      await p.client.chat.postEphemeral({ channel, user, text });
    } catch (e) {
      p.log.error({ err: errorMessage(e), userId: user }, `could not tell the requester: ${what}`);
    }
  };
  // A recovered apply or revert runs only if it never started: one that started and died is
  // `interrupted` (the sweep says so), and a person decides what happens to it next.
  const stillToStart = async (actionId: string, from: ActionStatus[]): Promise<boolean> => {
    const a = await p.store.getAction(actionId);
    if (a && from.includes(a.status)) return true;
    p.log.info({ actionId, status: a?.status }, 'recovered job skipped: the action already moved on');
    return false;
  };
  const runJob: JobHandler = async (job, meta) => {
    const svc = ref.actions as ActionService;
    const recovered = meta?.recovered === true;
    switch (job.type) {
      case 'plan':
        try {
          await svc.planAndPost(job.request);
        } catch (err) {
          p.log.warn({ caseId: job.request.caseId, userId: job.request.requestedBy, err: errorMessage(err) }, 'plan failed');
          await p.store.appendTimeline({ caseId: job.request.caseId, at: p.now().toISOString(), kind: 'note', actor: 'cordon', text: `Containment of ${job.request.target} could not be planned: ${isCordonError(err) ? err.message : errorMessage(err)}` });
          await tellRequester(job.channelId, job.request.requestedBy, err, 'Planning failed');
          await p.publisher.flush();
        }
        return;
      case 'report':
        try {
          await reports.publish(job.caseId, job.by);
        } catch (err) {
          p.log.warn({ caseId: job.caseId, userId: job.by, err: errorMessage(err) }, 'report failed');
          await tellRequester(job.channelId, job.by, err, 'The report could not be uploaded');
        }
        return;
      case 'apply':
        if (recovered && !(await stillToStart(job.actionId, ['planned', 'approved']))) return;
        await svc.runApply(job.actionId, job.by);
        await p.publisher.flush();
        return;
      case 'revert':
        if (recovered && !(await stillToStart(job.actionId, REVERTIBLE))) return;
        await svc.runRevert(job.actionId, job.by);
        await p.publisher.flush();
        return;
      case 'bridge':
        await p.publisher.flush();
        await (ref.escalation as EscalationService).buildBridge(job.caseId);
        return;
      case 'publish':
        await p.publisher.flush();
        return;
      case 'suppression-filters':
        await (ref.suppression as SuppressionService).createFilters(job.ruleId);
        return;
    }
  };
  const inProcess = p.queue ? undefined : new InProcessQueue(runJob, p.log, { store: p.store, now: p.now });
  const queue: JobQueue = p.queue ?? (inProcess as InProcessQueue);
  const actions = new ActionService({
    store: p.store,
    containment: p.containment,
    cases,
    queue,
    authorizer: access,
    approvalFor: (target) => {
      const rule = approvalRuleFor({ accountId: target.accountId, environment: environments[target.accountId] ?? 'unknown', kind: target.kind }, p.config.access.approvals);
      return rule ? { rule: rule.name, ttlMs: p.config.access.approvalTtl } : undefined;
    },
    client: p.client,
    publisher: p.publisher,
    reporter: new SlackActionReporter(p.client, p.log),
    log: p.log,
    now: p.now,
  });
  ref.actions = actions;
  const escalation = new EscalationService(p.store, p.client, access, queue, p.log, {
    invite: p.config.escalation.invite,
    inviteGroups: p.config.escalation.inviteGroups,
    ...(p.config.escalation.bridgeUrl ? { bridgeUrl: p.config.escalation.bridgeUrl } : {}),
    repageEveryMs: p.config.escalation.repageEvery,
    now: p.now,
  });
  ref.escalation = escalation;
  const suppression = new SuppressionService(p.store, p.containment, access, queue, p.log, { guarddutyFilters: p.config.triage.guarddutyFilters, now: p.now });
  ref.suppression = suppression;
  return {
    actions,
    escalation,
    suppression,
    reports,
    cases,
    access,
    queue,
    runJob,
    listenerDeps: { store: p.store, actions, cases, authorizer: access, queue, escalation, suppression, reports, client: p.client },
    ...(inProcess ? { inProcess } : {}),
  };
}
