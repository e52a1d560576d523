import { IR_USAGE } from '../../../../src/domain/commands/ir-command';
import { IR_HELP } from '../../../../src/slack/inbound/ir-command';

describe('/ir help', () => {
  it('shows each usage as text: no `<…|…>` that Slack would render as a link', () => {
    expect(IR_HELP).not.toMatch(/[<>]/);
    expect(IR_HELP).toContain('/ir contain &lt;arn|access-key-id&gt; [--dry-run] [reason]');
  });

  it('lists every subcommand the parser knows', () => {
    for (const usage of Object.values(IR_USAGE)) expect(IR_HELP).toContain(usage.replace(/</g, '&lt;').replace(/>/g, '&gt;'));
  });
});
