import { IR_USAGE } from '../../../domain/commands/ir-command';
import { safeText } from '../../../domain/text/mrkdwn';
import { BAND_LABEL } from '../../../domain/triage/bands';
import { renderTimelinePage } from '../../blocks/timeline-page';
import { inCaseChannel } from '../middleware';
import type { SubcommandHandler, SubcommandRequest } from './subcommand';

/** `/ir status`: the case of this channel, its findings and its last actions. */
export const status: SubcommandHandler<'status'> = inCaseChannel<SubcommandRequest<'status'>>('this channel is not a case channel; run `/ir status` in a case channel', async ({ who, case: c, respond, services }) => {
  const { findings, actions } = await services.cases.status(who, c);
  const actionLines = actions.slice(-10).map((a) => `• \`${a.id}\` ${a.kind} ${safeText(a.target.ref, 200)} — ${a.status.replace('_', ' ')}`);
  await respond({
    response_type: 'ephemeral',
    text: [
      `*${c.id}* ${safeText(c.title, 300)}`,
      `${BAND_LABEL[c.band]} (${c.severity}) · ${c.status} · ${findings.length} finding${findings.length === 1 ? '' : 's'} · accounts ${c.accounts.join(', ')}`,
      ...(actionLines.length ? ['*Actions*', ...actionLines] : []),
    ].join('\n'),
  });
});

/** `/ir timeline [page]`. */
export const timeline: SubcommandHandler<'timeline'> = inCaseChannel<SubcommandRequest<'timeline'>>(`run \`${IR_USAGE.timeline}\` in a case channel`, async ({ who, cmd, case: c, respond, services }) => {
  await respond({ response_type: 'ephemeral', ...renderTimelinePage(c.id, await services.cases.timeline(who, c), cmd.page) });
});

/** `/ir note <text>`. */
export const note: SubcommandHandler<'note'> = inCaseChannel<SubcommandRequest<'note'>>(`notes belong to a case: run \`${IR_USAGE.note}\` in a case channel`, async ({ who, cmd, case: c, respond, services }) => {
  await services.cases.note(who, c, cmd.text);
  await respond({ response_type: 'ephemeral', text: 'Note added to the timeline.' });
});

/** `/ir resolve [summary]`: the service posts the checklist. */
export const resolve: SubcommandHandler<'resolve'> = inCaseChannel<SubcommandRequest<'resolve'>>(`run \`${IR_USAGE.resolve}\` in a case channel`, async ({ who, cmd, case: c, respond, services }) => {
  await services.cases.resolve(who, c, cmd.summary);
  await respond({ response_type: 'ephemeral', text: `Case ${c.id} resolved.` });
});

/** `/ir close`. */
export const close: SubcommandHandler<'close'> = inCaseChannel<SubcommandRequest<'close'>>(`run \`${IR_USAGE.close}\` in a case channel`, async ({ who, case: c, respond, services }) => {
  await services.cases.close(who, c);
  await respond({ response_type: 'ephemeral', text: `Case ${c.id} closed.` });
});

/** `/ir merge <case-id>`: folds that case into this channel's case; the publisher archives the other channel. */
export const merge: SubcommandHandler<'merge'> = inCaseChannel<SubcommandRequest<'merge'>>(`run \`${IR_USAGE.merge}\` in the channel of the case that stays`, async ({ who, cmd, case: c, respond, services }) => {
  const r = await services.cases.merge(who, c, cmd.caseId);
  const m = r.moved;
  await respond({ response_type: 'ephemeral', text: `Case ${r.from.id} merged into ${c.id}: ${m.findings} findings, ${m.actions} actions, ${m.events} timeline events moved. Its channel gets a pointer here and is archived.` });
});

/** `/ir split <finding-id>`: moves a wrongly joined finding into a new case. */
export const split: SubcommandHandler<'split'> = inCaseChannel<SubcommandRequest<'split'>>(`run \`${IR_USAGE.split}\` in the channel of the case that holds the finding`, async ({ who, cmd, case: c, respond, services }) => {
  const created = await services.cases.split(who, c, cmd.findingId);
  await respond({ response_type: 'ephemeral', text: `Finding ${safeText(cmd.findingId, 80)} moved into the new case ${created.id}; its channel is being opened.` });
});
