import { WebClient } from '@slack/web-api';
import type { Action, PlanStep, StepRecord } from '../../../src/domain/actions/action';
import { createLogger } from '../../../src/log';
import { SlackSandbox } from '../../../sandbox/slack';
import { SlackActionReporter } from '../../../src/slack/outbound/action-reporter';
import { slackLogger } from '../../../src/slack/slack-logger';

const step = (n: number): PlanStep => ({ id: `s${n}`, stage: n, op: 'iam.user-deny', description: `Step number ${n}`, params: {}, revertible: true });

describe('SlackActionReporter', () => {
  let slack: SlackSandbox;
  let client: WebClient;
  let channel: string;
  let action: Action;

  beforeEach(async () => {
    slack = await SlackSandbox.start({});
    channel = slack.addChannel({ name: 'ir-case', members: ['UBOT'] });
    client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logger: slackLogger(createLogger('silent')) });
    const parent = await client.chat.postMessage({ channel, text: 'Contain iam-user' });
    const plan = [step(1), step(2), step(3)];
    action = {
      id: 'A-20261122020000-aaaa',
      target: { kind: 'iam-user', ref: 'arn:aws:iam::111111111111:user/ci', partition: 'aws', accountId: '111111111111', id: 'ci' },
      kind: 'iam-user',
      requestedBy: 'U0A',
      dryRun: false,
      status: 'running',
      plan,
      notes: [],
      steps: plan.map((s) => ({ stepId: s.id, status: 'pending' })),
      createdAt: '2026-11-22T02:00:00.000Z',
      updatedAt: '2026-11-22T02:00:00.000Z',
      messageChannel: channel,
      messageTs: parent.ts,
      version: 1,
    };
  });

  afterEach(async () => {
    await slack.close();
  });

  const applied = (s: PlanStep): StepRecord => ({ stepId: s.id, status: 'applied', startedAt: '2026-11-22T02:00:00.000Z', finishedAt: '2026-11-22T02:00:00.100Z' });

  /** Runs `n` steps through the reporter, the clock moving `msPerStep` each, and finishes. */
  async function run(n: number, msPerStep: number): Promise<{ calls: number; reporter: SlackActionReporter }> {
    let now = 0;
    const reporter = new SlackActionReporter(client, createLogger('silent'), () => now);
    action.plan = Array.from({ length: n }, (_, i) => step(i + 1));
    action.steps = action.plan.map((s) => ({ stepId: s.id, status: 'pending' }));
    const before = slack.calls().length;
    for (const s of action.plan) {
      now += msPerStep;
      action.steps = action.steps.map((r) => (r.stepId === s.id ? applied(s) : r));
      await reporter.onStep(action, s, applied(s));
    }
    await reporter.onFinish({ ...action, status: 'applied' });
    return { calls: slack.calls().length - before, reporter };
  }

  it('threads the step log in one reply when the action ends, not a reply per step', async () => {
    const { calls } = await run(9, 10);
    const replies = slack.replies(channel, action.messageTs!);
    expect(replies).toHaveLength(1);
    expect((replies[0]!.text ?? '').split('\n').map((t) => t.replace(/ · .*/, ''))).toEqual(action.plan.map((s) => `:white_check_mark: Step number ${s.id.slice(1)}`));
    // The log reply and the final edit: with the plan message, 3 calls where a step-logging script makes 10.
    expect(calls).toBe(2);
    expect(slack.message(channel, action.messageTs!)!.text).toBeDefined();
  });

  it('a slow containment shows progress, and with its plan message never costs more calls than one post per step plus one', async () => {
    const { calls } = await run(9, 5_000);
    const edits = slack.calls('chat.update').length;
    expect(edits).toBeGreaterThan(1);
    expect(edits - 1).toBeLessThanOrEqual(SlackActionReporter.progressEdits(9));
    expect(1 + calls).toBeLessThanOrEqual(9 + 1);
  });

  it('a long plan\'s log is split into replies of at most 10 steps, every step in order', async () => {
    await run(25, 10);
    const replies = slack.replies(channel, action.messageTs!);
    expect(replies.map((m) => (m.blocks ?? []).length)).toEqual([10, 10, 5]);
    const all = replies.flatMap((m) => (m.text ?? '').split('\n')).map((t) => t.replace(/ · .*/, ''));
    expect(all).toEqual(action.plan.map((s) => `:white_check_mark: Step number ${s.id.slice(1)}`));
  });

  it('a step log Slack refuses leaves the final status edit standing', async () => {
    slack.failNext('chat.postMessage', 'internal_error');
    await run(3, 10);
    expect(slack.replies(channel, action.messageTs!)).toHaveLength(0);
    expect(slack.calls('chat.update').filter((c) => c.response?.ok)).toHaveLength(1);
  });
});
