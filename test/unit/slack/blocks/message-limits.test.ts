import { WebClient } from '@slack/web-api';
import type { Action, PlanStep } from '../../../../src/domain/actions/action';
import type { StoredFinding, TimelineEvent } from '../../../../src/domain/cases/case';
import { createLogger } from '../../../../src/log';
import { ActionId } from '../../../../src/slack/ids';
import { renderActionMessage, renderStepReply } from '../../../../src/slack/blocks/action-message';
import { blocksText, MESSAGE_TEXT_BUDGET, type RenderedMessage } from '../../../../src/slack/blocks/block-types';
import { renderCaseCard, renderIndexLine } from '../../../../src/slack/blocks/case-card';
import { DIGEST_TEXT_BUDGET, renderDigest } from '../../../../src/slack/blocks/digest-message';
import { renderBridgeMessage } from '../../../../src/slack/blocks/escalation-message';
import { renderFindingCard } from '../../../../src/slack/blocks/finding-card';
import { renderStats } from '../../../../src/slack/blocks/stats-message';
import { renderTimelineEvent } from '../../../../src/slack/blocks/timeline-message';
import { renderResolutionChecklist, renderTimelinePage, TIMELINE_PAGE_SIZE } from '../../../../src/slack/blocks/timeline-page';
import { CasePublisher } from '../../../../src/slack/outbound/case-publisher';
import { slackLogger } from '../../../../src/slack/slack-logger';
import { SqliteStore } from '../../../../src/store/sqlite-store';
import { BLOCK_LIMITS, blocksTextLength, blockViolation, SlackSandbox } from '../../../../sandbox/slack';
import { aCase, anAction } from '../../domain/reports/report-fixtures';
import { stored } from '../../store/store-contract';

/**
 * Issue 16 points 3 and 4: every builder stays inside Slack's documented limits
 * (https://api.slack.com/reference/block-kit/blocks) and the cumulative text limit,
 * whatever the input. Each message is checked by the sandbox's own validator and then
 * actually posted to the sandbox Slack, which refuses what Slack refuses.
 */

const huge = (n: number, ch = 'x') => ch.repeat(n);
const ACCOUNTS_200 = Array.from({ length: 200 }, (_, i) => String(100000000000 + i));

function oversizedFinding(i = 0, patch: Partial<StoredFinding['finding']> = {}): StoredFinding {
  const sf = stored(`f${String(i).padStart(6, '0')}`);
  return {
    ...sf,
    band: 'low',
    disposition: 'digest',
    finding: {
      ...sf.finding,
      title: huge(5000, 'T'),
      description: huge(20_000, 'D'),
      type: `Recon:EC2/${huge(500, 'P')}`,
      resources: Array.from({ length: 300 }, (_, r) => ({ kind: 'ec2-instance' as const, id: `i-${huge(200, String(r % 10))}` })),
      remoteIps: Array.from({ length: 300 }, () => huge(100, '1')),
      actor: { userName: huge(3000, 'u'), accessKeyId: huge(500, 'A') },
      ...patch,
    },
  };
}

function step(i: number): PlanStep {
  return { id: `s${i}`, description: `${huge(1000, 'd')} ${i}`, revertible: i % 2 === 0 } as PlanStep;
}

function oversizedAction(patch: Partial<Action> = {}): Action {
  return anAction({
    target: { kind: 'iam-user', ref: `arn:aws:iam::111111111111:user/${huge(3000, 'n')}`, partition: 'aws', accountId: '111111111111', id: 'n' },
    reason: huge(5000, 'r'),
    plan: Array.from({ length: 300 }, (_, i) => step(i)),
    notes: Array.from({ length: 50 }, () => huge(5000, 'o')),
    status: 'pending_approval',
    approvalRule: huge(1000, 'a'),
    expiresAt: '2026-11-25T02:30:00.000Z',
    ...patch,
  });
}

const event = (i: number, text = huge(10_000, 'e')): TimelineEvent =>
  ({ id: i, caseId: 'IR-20261125-7Q3F', at: '2026-11-25T02:00:00.000Z', kind: 'note', actor: huge(500, 'a'), text });

/** Every builder's output for input far past any limit. */
const builders: [string, () => RenderedMessage][] = [
  ['case card (200 accounts, 300 resources)', () => renderCaseCard(aCase({ title: huge(5000), accounts: ACCOUNTS_200, regions: Array.from({ length: 40 }, (_, i) => `${huge(40)}-${i}`) }), [oversizedFinding(1), oversizedFinding(2)])],
  ['triage index line', () => renderIndexLine(aCase({ title: huge(5000) }), 100_000)],
  ['bridge summary (200 accounts)', () => renderBridgeMessage(aCase({ title: huge(5000), accounts: ACCOUNTS_200, escalationReason: huge(5000), channelId: 'C0000000001' }), `https://bridge/${huge(5000)}`)],
  ['finding card', () => renderFindingCard(oversizedFinding())],
  ['action message (300 steps, 50 notes)', () => renderActionMessage(oversizedAction())],
  ['action message with Revert', () => renderActionMessage(oversizedAction({ status: 'applied', steps: [{ stepId: 's0', status: 'applied' }] as Action['steps'] }))],
  ['step reply', () => renderStepReply(step(1), { stepId: 's1', status: 'failed', error: huge(10_000) })],
  ['timeline event', () => renderTimelineEvent(event(1))],
  ['timeline page', () => renderTimelinePage('IR-20261125-7Q3F', Array.from({ length: 500 }, (_, i) => event(i)), 3)],
  ['resolution checklist', () => renderResolutionChecklist('IR-20261125-7Q3F', huge(10_000))],
  ['stats', () => ({ text: 'stats', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: renderStats({ since: '2026-11-01T00:00:00Z', cases: 5, bands: [] }, 30) } }] })],
  ...renderDigest(Array.from({ length: 2000 }, (_, i) => oversizedFinding(i, { type: `Recon:EC2/${huge(500, String(i))}`, accountId: String(100000000000 + (i % 300)) })), huge(500)).map(
    (m, i): [string, () => RenderedMessage] => [`digest message ${i + 1}`, () => m],
  ),
];

describe('every message builder respects Slack limits whatever the input', () => {
  let slack: SlackSandbox;
  let client: WebClient;
  let ch: string;

  beforeAll(async () => {
    slack = await SlackSandbox.start({});
    client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logger: slackLogger(createLogger('silent')) });
    ch = slack.addChannel({ name: 'limits', members: ['UBOT'] });
  });
  afterAll(() => slack.close());

  it.each(builders)('%s: within every block limit and well under the cumulative text limit; Slack takes it', async (_name, build) => {
    const msg = build();
    expect(blockViolation(msg.blocks)).toBeUndefined();
    expect(blocksText(msg.blocks)).toBe(blocksTextLength(msg.blocks));
    expect(blocksText(msg.blocks)).toBeLessThanOrEqual(MESSAGE_TEXT_BUDGET);
    expect(msg.text.length).toBeLessThanOrEqual(BLOCK_LIMITS.messageText);
    const posted = await client.chat.postMessage({ channel: ch, text: msg.text, blocks: msg.blocks });
    expect(slack.message(ch, posted.ts!)?.blocks).toHaveLength(msg.blocks.length);
  });

  it('keeps the buttons when an action message is cut to fit', () => {
    const msg = renderActionMessage(oversizedAction());
    const last = msg.blocks.at(-1) as { type: string; elements: { action_id: string }[] };
    expect(last.type).toBe('actions');
    expect(last.elements.map((e) => e.action_id)).toEqual([ActionId.APPROVE, ActionId.REJECT]);
    expect(JSON.stringify(msg.blocks)).toMatch(/more blocks? not shown/);
  });

  it('names the first accounts of 200 and counts the rest, on the card and the bridge summary', () => {
    for (const msg of [renderCaseCard(aCase({ accounts: ACCOUNTS_200 }), []), renderBridgeMessage(aCase({ accounts: ACCOUNTS_200 }), undefined)]) {
      const text = JSON.stringify(msg.blocks);
      expect(text).toContain('100000000000');
      expect(text).not.toContain('100000000199');
      expect(text).toMatch(/…and 188 more/);
    }
  });

  it('shows every event of a full timeline page (nothing cut to fit)', () => {
    const events = Array.from({ length: TIMELINE_PAGE_SIZE * 2 }, (_, i) => event(i, `event-${i} ${huge(10_000)}`));
    const page = JSON.stringify(renderTimelinePage('IR-20261125-7Q3F', events, 1).blocks);
    for (let i = 0; i < TIMELINE_PAGE_SIZE; i++) expect(page).toContain(`event-${i} `);
    expect(page).not.toMatch(/not shown/);
  });
});

describe('the Low-severity digest', () => {
  let slack: SlackSandbox;
  let store: SqliteStore;
  let publisher: CasePublisher;
  let triage: string;

  beforeEach(async () => {
    slack = await SlackSandbox.start({});
    triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
    store = SqliteStore.open(':memory:');
    const client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logger: slackLogger(createLogger('silent')) });
    publisher = new CasePublisher(client, store, createLogger('silent'), {
      triageChannel: 'security-triage',
      prefix: 'ir',
      privateChannels: true,
      invite: [],
      inviteGroups: [],
      inviteResourceOwners: false,
      cardEditIntervalMs: 0,
    });
  });
  afterEach(async () => {
    await store.close();
    await slack.close();
  });

  /** `n` Low findings over `types` types and `accounts` accounts, as the pipeline stores them. */
  async function lows(n: number, types: number, accounts: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const sf = stored(`low${String(i).padStart(6, '0')}`);
      await store.insertFinding({
        ...sf,
        band: 'low',
        disposition: 'digest',
        finding: { ...sf.finding, type: `Recon:EC2/PortProbeUnprotectedPort${i % types}`, accountId: String(100000000000 + (i % accounts)), title: `Low thing ${i}` },
      });
    }
  }

  it('400 Low findings give a digest Slack accepts: grouped by type and account, with counts', async () => {
    await lows(400, 8, 5);
    expect(await publisher.postDigest('since the last digest')).toBe(400);
    const posted = slack.messages(triage);
    expect(posted.length).toBeGreaterThanOrEqual(1);
    const text = posted.map((m) => JSON.stringify(m.blocks)).join('\n');
    // 8 types × 5 accounts = 40 groups of 10 findings: one line each, not 400.
    expect(text.match(/PortProbeUnprotectedPort/g)).toHaveLength(40);
    expect(text).toContain('10 findings, seen 10×');
    expect(slack.calls('chat.postMessage').every((c) => c.response?.ok)).toBe(true);
    expect(await store.digestPending(1000)).toEqual([]);
  });

  it('splits across messages when the groups do not fit one, each within the budget', async () => {
    await lows(1200, 200, 6);
    expect(await publisher.postDigest('today')).toBe(1200);
    const posted = slack.messages(triage);
    expect(posted.length).toBeGreaterThan(1);
    for (const m of posted) expect(blocksTextLength(m.blocks)).toBeLessThanOrEqual(DIGEST_TEXT_BUDGET + 500);
    expect(posted[0]!.text).toMatch(/part 1 of \d+/);
    expect(slack.calls('chat.postMessage').every((c) => c.response?.ok)).toBe(true);
  });

  it('a digest message Slack refuses is recorded once in the channel, never retried for ever', async () => {
    await lows(30, 3, 1);
    slack.failNext('chat.postMessage', 'msg_blocks_too_long');
    expect(await publisher.postDigest('today')).toBe(30);
    expect(await store.digestPending(1000)).toEqual([]);
    expect(slack.messages(triage).map((m) => m.text)).toEqual([expect.stringMatching(/30 Low-severity findings could not be listed: Slack refused the digest message \(msg_blocks_too_long\)/) as unknown as string]);
    // The next digest round has nothing left to post.
    expect(await publisher.postDigest('today')).toBe(0);
    expect(slack.calls('chat.postMessage')).toHaveLength(2);
  });

  it('a transient failure leaves the findings for the next tick', async () => {
    await lows(30, 3, 1);
    slack.failNext('chat.postMessage', 'ratelimited');
    await expect(publisher.postDigest('today')).rejects.toThrow();
    expect(await store.digestPending(1000)).toHaveLength(30);
    expect(await publisher.postDigest('today')).toBe(30);
  });
});
