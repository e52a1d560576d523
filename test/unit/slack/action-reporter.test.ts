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

  it('posts a step line Slack refused again when the action ends, so the thread has every step', async () => {
    const reporter = new SlackActionReporter(client, createLogger('silent'));
    for (const s of action.plan) {
      if (s.id === 's2') slack.failNext('chat.postMessage', 'internal_error');
      action.steps = action.steps.map((r) => (r.stepId === s.id ? applied(s) : r));
      await reporter.onStep(action, s, applied(s));
    }
    const before = slack.replies(channel, action.messageTs!).map((m) => m.text ?? '');
    expect(before.map((t) => t.replace(/ · .*/, ''))).toEqual([':white_check_mark: Step number 1', ':white_check_mark: Step number 3']);

    await reporter.onFinish({ ...action, status: 'applied' });
    const lines = slack.replies(channel, action.messageTs!).map((m) => (m.text ?? '').replace(/ · .*/, ''));
    expect(lines.sort()).toEqual([':white_check_mark: Step number 1', ':white_check_mark: Step number 2', ':white_check_mark: Step number 3']);
    // A second finish has nothing left to post.
    await reporter.onFinish({ ...action, status: 'applied' });
    expect(slack.replies(channel, action.messageTs!)).toHaveLength(3);
  });
});
