import type { App } from '@slack/bolt';
import * as z from 'zod';
import { IR_USAGE, parseIrText } from '../../domain/commands/ir-command';
import { BAND_LABEL } from '../../domain/triage/bands';
import { safeText } from '../../domain/text/mrkdwn';
import { CordonError, ErrorCode } from '../../errors';
import type { JobQueue } from '../../jobs/job-queue';
import type { ActionService, Authorizer, Requester } from '../../services/action-service';
import type { CaseService } from '../../services/case-service';
import type { EscalationService } from '../../services/escalation-service';
import type { SuppressionService } from '../../services/suppression-service';
import { STATS_DAYS, type ReportService } from '../../services/report-service';
import { renderStats } from '../blocks/stats-message';
import { renderResolutionChecklist, renderTimelinePage } from '../blocks/timeline-page';
import type { Store } from '../../store/store';
import { SLASH_COMMAND } from '../ids';

/** What `/ir help` lists: only commands this build answers. */
export const IR_HELP = [
  '*Cordon* — `/ir` commands',
  `• \`${IR_USAGE.help}\` — this list`,
  `• \`${IR_USAGE.whoami}\` — your Cordon role and where it comes from`,
  `• \`${IR_USAGE.status}\` — the case of this channel: severity, status, findings, actions`,
  `• \`${IR_USAGE.contain}\` — plan and run containment (outside a case channel it opens a case)`,
  `• \`${IR_USAGE.revert}\` — restore what an action changed (commander)`,
  `• \`${IR_USAGE.note}\` — add a note to the case timeline`,
  `• \`${IR_USAGE.escalate}\` — open the bridge channel and page the escalation contacts`,
  `• \`${IR_USAGE.ack}\` — acknowledge an escalation (stops the re-paging)`,
  `• \`${IR_USAGE.timeline}\` — every event of the case, with UTC time and actor`,
  `• \`${IR_USAGE.report}\` — upload the Markdown report and the phase chart to the case channel`,
  `• \`${IR_USAGE.stats}\` — time to acknowledge, contain and resolve over the last 30 days, by severity`,
  `• \`${IR_USAGE.resolve}\` — mark the case resolved and post the checklist (commander)`,
  `• \`${IR_USAGE.close}\` — close the case (commander)`,
  `• \`${IR_USAGE.suppress}\` — triage suppresses matching findings from now on (commander)`,
  `• \`${IR_USAGE.unsuppress}\` — lift a suppression rule (commander)`,
].join('\n');

const commandBody = z.object({
  text: z.string().max(4000, 'the command is longer than 4000 characters'),
  channel_id: z.string().min(1),
  user_id: z.string().min(1),
  team_id: z.string().min(1),
});

/** The services a listener may call; nothing else. Every one is present: a feature the config leaves out says so itself. */
export interface ListenerDeps {
  store: Store;
  actions: ActionService;
  cases: CaseService;
  access: Authorizer & { describe(userId: string): Promise<string> };
  queue: JobQueue;
  escalation: EscalationService;
  suppression: SuppressionService;
  reports: ReportService;
}

/** Thin listener: validate (zod), authorize and call a service, answer ephemerally. Errors go to the one error handler. */
export function registerIrCommand(app: App, deps: ListenerDeps): void {
  app.command(SLASH_COMMAND, async ({ command, ack, respond, context, client }) => {
    // A Slack retry of a command the first delivery already handled: do nothing twice.
    if ((context.retryNum ?? 0) > 0) {
      await ack();
      return;
    }
    const body = commandBody.safeParse(command);
    if (!body.success) {
      await ack();
      throw new CordonError(ErrorCode.INPUT_INVALID, `the command could not be read (${body.error.issues[0]?.message ?? 'malformed'}); try \`/ir help\``);
    }
    const who: Requester = { userId: body.data.user_id, teamId: body.data.team_id, channelId: body.data.channel_id };
    const parsed = parseIrText(body.data.text);
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', text: `:warning: ${safeText(parsed.error, 1000)}` });
      return;
    }
    const cmd = parsed.command;
    switch (cmd.sub) {
      case 'help':
        await ack({ response_type: 'ephemeral', text: IR_HELP });
        return;
      case 'whoami': {
        await ack();
        const auth = deps.access;
        await auth.authorize(who, 'whoami');
        await respond({ response_type: 'ephemeral', text: await auth.describe(who.userId) });
        return;
      }
      case 'status': {
        await ack();
        await deps.access.authorize(who, 'status');
        const c = await deps.store.getCaseByChannel(who.channelId);
        if (!c) throw new CordonError(ErrorCode.CASE_NOT_FOUND, 'this channel is not a case channel; run `/ir status` in a case channel');
        const [findings, actions] = await Promise.all([deps.store.listFindings({ caseId: c.id }), deps.store.listActions({ caseId: c.id })]);
        const actionLines = actions.slice(-10).map((a) => `• \`${a.id}\` ${a.kind} ${safeText(a.target.ref, 200)} — ${a.status.replace('_', ' ')}`);
        await respond({
          response_type: 'ephemeral',
          text: [
            `*${c.id}* ${safeText(c.title, 300)}`,
            `${BAND_LABEL[c.band]} (${c.severity}) · ${c.status} · ${findings.length} finding${findings.length === 1 ? '' : 's'} · accounts ${c.accounts.join(', ')}`,
            ...(actionLines.length ? ['*Actions*', ...actionLines] : []),
          ].join('\n'),
        });
        return;
      }
      case 'contain': {
        await ack();
        const { caseId, dryRun } = await deps.actions.requestContain(who, {
          target: cmd.target,
          dryRun: cmd.dryRun,
          ...(cmd.reason ? { reason: cmd.reason } : {}),
        });
        const c = await deps.store.getCase(caseId);
        await respond({
          response_type: 'ephemeral',
          text: `${dryRun ? `Dry run${cmd.dryRun ? '' : ' (a drill case changes nothing)'}: planning` : 'Planning'} containment of \`${safeText(cmd.target, 200)}\` in case ${caseId}${c?.channelId ? ` (<#${c.channelId}>)` : ''}. The plan appears in the case channel.`,
        });
        return;
      }
      case 'revert': {
        await ack();
        const a = await deps.actions.requestRevert(who, cmd.actionId);
        await respond({ response_type: 'ephemeral', text: `Reverting \`${a.id}\`; its steps are threaded under the action.` });
        return;
      }
      case 'note': {
        await ack();
        const auth = deps.access;
        const c = await deps.store.getCaseByChannel(who.channelId);
        if (!c) throw new CordonError(ErrorCode.CASE_NOT_FOUND, `notes belong to a case: run \`${IR_USAGE.note}\` in a case channel`);
        await auth.authorize(who, 'note', { caseId: c.id });
        await deps.cases.note(c.id, who.userId, cmd.text);
        await deps.queue.enqueue({ type: 'publish' });
        await respond({ response_type: 'ephemeral', text: 'Note added to the timeline.' });
        return;
      }
      case 'escalate': {
        await ack();
        const r = await deps.escalation.escalate(who, cmd.reason);
        await respond({
          response_type: 'ephemeral',
          text: r.already ? `Case ${r.case.id} is already escalated${r.case.bridgeChannelId ? ` (<#${r.case.bridgeChannelId}>)` : ''}.` : `Escalating ${r.case.id}: the bridge channel is being opened.`,
        });
        return;
      }
      case 'ack': {
        await ack();
        const r = await deps.escalation.acknowledge(who);
        await respond({
          response_type: 'ephemeral',
          text: r.already ? `Already acknowledged by <@${r.case.acknowledgedBy ?? ''}>; nothing changed.` : `Acknowledged: you own case ${r.case.id}.`,
        });
        return;
      }
      case 'timeline': {
        await ack();
        const c = await deps.store.getCaseByChannel(who.channelId);
        if (!c) throw new CordonError(ErrorCode.CASE_NOT_FOUND, `run \`${IR_USAGE.timeline}\` in a case channel`);
        await deps.access.authorize(who, 'timeline', { caseId: c.id });
        await respond({ response_type: 'ephemeral', ...renderTimelinePage(c.id, await deps.store.listTimeline(c.id), cmd.page) });
        return;
      }
      case 'report': {
        await ack();
        const c = await deps.store.getCaseByChannel(who.channelId);
        if (!c) throw new CordonError(ErrorCode.CASE_NOT_FOUND, `run \`${IR_USAGE.report}\` in a case channel, or \`cordon report <case-id>\` from a terminal`);
        await deps.access.authorize(who, 'report', { caseId: c.id });
        // Rendering and three upload calls can outlast Slack's 3 s: the worker does it.
        await deps.queue.enqueue({ type: 'report', caseId: c.id, by: who.userId, channelId: who.channelId });
        await respond({ response_type: 'ephemeral', text: `Building the report for ${c.id}; it will be uploaded to this channel.` });
        return;
      }
      case 'stats': {
        await ack();
        await deps.access.authorize(who, 'stats');
        await respond({ response_type: 'ephemeral', text: renderStats(await deps.reports.stats(), STATS_DAYS) });
        return;
      }
      case 'suppress': {
        await ack();
        const c = await deps.store.getCaseByChannel(who.channelId);
        const rule = await deps.suppression.suppress(who, {
          type: cmd.type,
          accounts: c?.accounts ?? [],
          regions: c?.regions ?? [],
          reason: cmd.reason ?? 'no reason given',
          ...(cmd.forMs ? { forMs: cmd.forMs } : {}),
          ...(c ? { caseId: c.id } : {}),
        });
        await respond({
          response_type: 'ephemeral',
          text: `Suppression rule \`${rule.id}\` for \`${safeText(cmd.type, 100)}\`${rule.expires ? ` until ${rule.expires.slice(0, 16).replace('T', ' ')} UTC` : ''}${rule.filtersPending?.length ? `; its GuardDuty ARCHIVE filter${rule.filtersPending.length === 1 ? ' follows' : `s follow in ${rule.filtersPending.length} account/region pairs`}` : ''}. Lift it with \`/ir unsuppress ${rule.id}\`.`,
        });
        return;
      }
      case 'unsuppress': {
        await ack();
        const c = await deps.store.getCaseByChannel(who.channelId);
        const lifted = await deps.suppression.lift(who, cmd.ruleId, c?.id);
        const pending = lifted.filters?.length ?? 0;
        await respond({
          response_type: 'ephemeral',
          text: pending
            ? `Suppression rule \`${lifted.id}\` no longer applies; its GuardDuty filter${pending === 1 ? ' is' : `s in ${pending} account/region pairs are`} being deleted (Cordon retries until ${pending === 1 ? 'it is' : 'they are'} gone).`
            : `Suppression rule \`${lifted.id}\` lifted.`,
        });
        return;
      }
      case 'resolve':
      case 'close': {
        await ack();
        const c = await deps.store.getCaseByChannel(who.channelId);
        if (!c) throw new CordonError(ErrorCode.CASE_NOT_FOUND, `run \`${IR_USAGE[cmd.sub]}\` in a case channel`);
        await deps.access.authorize(who, cmd.sub, { caseId: c.id });
        const cases = deps.cases;
        if (cmd.sub === 'resolve') {
          await cases.resolve(c.id, who.userId, cmd.summary);
          await client.chat.postMessage({ channel: who.channelId, ...renderResolutionChecklist(c.id, cmd.summary) });
        } else {
          await cases.close(c.id, who.userId);
        }
        await deps.queue.enqueue({ type: 'publish' });
        await respond({ response_type: 'ephemeral', text: `Case ${c.id} ${cmd.sub === 'resolve' ? 'resolved' : 'closed'}.` });
        return;
      }
    }
  });
}
