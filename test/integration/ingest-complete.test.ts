import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SlackSandbox } from '../../sandbox/slack';
import { makeFindingDetail, toEventBridgeEvent } from '../../sandbox/findings/finding-factory';
import { runCli, testConfigYaml, testWorkspace } from '../support/cli-harness';

// Issue 16 point 10: `cordon ingest` finishes only when what it ingested is in Slack, or
// says exactly what is left. One flush takes a batch of 1,000 cards; more findings than
// that used to leave the rest unposted behind a summary saying "deferred": 0.

describe('cordon ingest brings Slack all the way up to date', () => {
  it('posts a card for each of 1,100 distinct findings over 11 instances (more than one flush batch)', async () => {
    const slack = await SlackSandbox.start({});
    try {
      const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
      const ws = testWorkspace(testConfigYaml({ triageChannel: triage }));
      const events = Array.from({ length: 1100 }, (_, i) =>
        toEventBridgeEvent(makeFindingDetail({ instanceId: `i-0${String(i % 11).padStart(16, '0')}`, type: `Recon:EC2/PortProbeUnprotectedPort${i}`, severity: 5 })),
      );
      const file = join(ws.dir, 'many.json');
      writeFileSync(file, JSON.stringify(events));
      const r = await runCli(['ingest', file, '--json'], { ...ws.env, SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.apiUrl });
      const out = JSON.parse(r.out) as { ok: boolean; cased: number; slack: { cardsPosted: number; left: { cases: number; cards: number; events: number } } };
      expect(out.cased).toBe(1100);
      const cards = slack.channels().filter((c) => c.name.startsWith('ir-')).flatMap((c) => slack.messages(c.id).filter((m) => /finding:/.test(m.text ?? '')));
      expect(cards).toHaveLength(1100);
      expect(out.slack.cardsPosted).toBe(1100);
      expect(out.slack.left).toEqual({ cases: 0, cards: 0, events: 0 });
      expect(r.code).toBe(0);
    } finally {
      await slack.close();
    }
  }, 120_000);

  it('says exactly what is left when Slack refuses part of it, and exits 1', async () => {
    const slack = await SlackSandbox.start({});
    try {
      const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
      const ws = testWorkspace(testConfigYaml({ triageChannel: triage }));
      const file = join(ws.dir, 'one.json');
      writeFileSync(file, JSON.stringify([toEventBridgeEvent(makeFindingDetail({ accessKeyId: 'AKIALEFTOVER00000001', severity: 5 }))]));
      // Slack will not create the channel, this time or the next ones.
      slack.failNext('conversations.create', 'restricted_action', 50);
      const r = await runCli(['ingest', file], { ...ws.env, SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.apiUrl });
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/not yet in Slack: 1 case\(s\), 0 finding card\(s\), \d+ timeline event\(s\); they are stored/);
    } finally {
      await slack.close();
    }
  }, 60_000);
});
