import { loadConfig } from '../../../src/config/load-config';
import { buildCordon } from '../../../src/app/cordon';
import { handler } from '../../../src/handlers/findings';
import { setLambdaCordon } from '../../../src/handlers/runtime';
import { silentLogger } from '../../../src/log';
import { makeFindingDetail, toEventBridgeEvent } from '../../../sandbox/findings/finding-factory';
import { SqliteStore } from '../../../src/store/sqlite-store';
import { testConfigYaml } from '../../support/cli-harness';
import { FINDINGS_CLIENT_OPTIONS } from '../../../src/app/intake';
import type { Job } from '../../../src/jobs/job-queue';
import { SlackSandbox } from '../../../sandbox/slack';
import type { Store } from '../../../src/store/store';

describe('findings Lambda handler', () => {
  afterEach(() => setLambdaCordon(undefined));

  it('ingests an EventBridge GuardDuty event and stores a rejected one with its reason', async () => {
    const store = SqliteStore.open(':memory:');
    const config = loadConfig({ CORDON_CONFIG: 'x.yaml' }, () => testConfigYaml({ triageChannel: 'C0TRIAGE' }));
    setLambdaCordon(buildCordon(config, silentLogger, { store }));
    const d = makeFindingDetail({ accessKeyId: 'AKIALAMBDA0000000001' });
    expect(await handler(toEventBridgeEvent(d))).toMatchObject({ received: 1, cased: 1, casesOpened: [expect.stringMatching(/^IR-/) as unknown] });
    expect(await store.getFinding(String(d.id))).toMatchObject({ source: 'eventbridge', disposition: 'cased' });
    expect(await handler({ ...toEventBridgeEvent(d), source: 'aws.ec2' })).toMatchObject({ rejected: 1 });
    expect((await store.listRejected(1))[0]?.reason).toMatch(/not a GuardDuty finding event/);
  });

  describe('posting', () => {
    let slack: SlackSandbox;
    afterEach(() => slack.close());

    /** The findings function as deployed: its WebClient options, its worker queue elsewhere. */
    async function wired(store: Store) {
      slack = await SlackSandbox.start({ rateLimits: true });
      slack.addUser({ id: 'UALICE', name: 'alice' });
      const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT'] });
      const config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-t', SLACK_API_URL: slack.apiUrl }, () => testConfigYaml({ triageChannel: triage, invite: ['UALICE'] }));
      const jobs: Job[] = [];
      setLambdaCordon(buildCordon(config, silentLogger, { store, webClientOptions: FINDINGS_CLIENT_OPTIONS, queue: { enqueue: (j) => Promise.resolve(void jobs.push(j)) } }));
      return { triage, jobs };
    }

    it('posts a new case\'s card and then the finding\'s card without reading the outbox, then the triage line, then invites', async () => {
      const store = SqliteStore.open(':memory:');
      const outboxReads: string[] = [];
      const leaseTakes: string[] = [];
      const spied = new Proxy(store, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver) as unknown;
          if (prop === 'acquireLease') {
            return (...args: unknown[]) => {
              leaseTakes.push(String(args[0]));
              return (v as (...a: unknown[]) => unknown).apply(target, args);
            };
          }
          if (prop === 'casesToPublish' || prop === 'findingsToPublish' || prop === 'unpostedTimeline') {
            return (...args: unknown[]) => {
              outboxReads.push(`${String(prop)} after ${slack.calls('chat.postMessage').length} posts`);
              return (v as (...a: unknown[]) => unknown).apply(target, args);
            };
          }
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      const { triage } = await wired(spied);
      const d = makeFindingDetail({ accessKeyId: 'AKIALAMBDA0000000002', type: 'Recon:IAMUser/MaliciousIPCaller' });
      const summary = await handler(toEventBridgeEvent(d));
      const caseId = summary.casesOpened[0] as string;
      const c = await store.getCase(caseId);
      const channel = c?.channelId as string;
      // The channel's first two messages are the case card and the finding's card, posted side
      // by side (either may land first); each is stored where it belongs.
      const msgs = slack.messages(channel);
      const cardTs = (await store.getFinding(String(d.id)))?.cardTs;
      expect(new Set(msgs.slice(0, 2).map((m) => m.ts))).toEqual(new Set([c?.cardTs, cardTs]));
      expect(JSON.stringify(msgs.find((m) => m.ts === cardTs)?.blocks)).toContain(String(d.id));
      expect(c).toMatchObject({ cardPinned: true, cardDirty: false, invitedAt: expect.any(String) as unknown });
      // The case was posted under this invocation's claim, not the publisher lease, and the claim is given up.
      expect(c?.publishClaim).toBeUndefined();
      expect(leaseTakes).toEqual([]);
      expect(slack.messages(triage).map((m) => m.ts)).toEqual([c?.indexTs]);
      // Order: channel, the two cards, then the rest; invites last.
      const order = slack.calls().filter((x) => x.httpStatus === 200).map((x) => (x.method === 'chat.postMessage' ? `post ${x.args.channel === triage ? 'triage' : 'case'}` : x.method));
      expect(order.slice(0, 3)).toEqual(['conversations.create', 'post case', 'post case']);
      expect(order.indexOf('post triage')).toBeLessThan(order.indexOf('conversations.invite'));
      // The outbox was never queried: the cards came from what the pipeline placed.
      expect(outboxReads).toEqual([]);
      expect(slack.calls().filter((x) => x.httpStatus === 429)).toEqual([]);
    });

    it('does not ask for a channel again before Slack\'s Retry-After when conversations.create is at its tier limit', async () => {
      const store = SqliteStore.open(':memory:');
      await wired(store);
      slack.setRateLimits({ 'conversations.create': 1 });
      const opened: string[] = [];
      for (const n of [4, 5, 6]) opened.push(...(await handler(toEventBridgeEvent(makeFindingDetail({ accessKeyId: `AKIALAMBDA000000000${n}`, userName: `user-${n}` })))).casesOpened);
      expect(slack.calls('conversations.create').map((x) => x.httpStatus)).toEqual([200, 429]);
      const channels = await Promise.all(opened.map(async (id) => (await store.getCase(id))?.channelId));
      expect(channels.map(Boolean)).toEqual([true, false, false]);
    });

    it('puts a finding that joins the case on its own card (one card per type), under Slack\'s per-channel limit', async () => {
      const store = SqliteStore.open(':memory:');
      await wired(store);
      const a = makeFindingDetail({ accessKeyId: 'AKIALAMBDA0000000003', type: 'Recon:IAMUser/MaliciousIPCaller' });
      const b = makeFindingDetail({ accessKeyId: 'AKIALAMBDA0000000003', type: 'UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B' });
      const caseId = (await handler(toEventBridgeEvent(a))).casesOpened[0] as string;
      expect((await handler(toEventBridgeEvent(b))).casesTouched).toEqual([caseId]);
      const channel = (await store.getCase(caseId))?.channelId as string;
      const cardB = (await store.getFinding(String(b.id)))?.cardTs;
      expect(cardB).toBeDefined();
      expect(cardB).not.toBe((await store.getFinding(String(a.id)))?.cardTs);
      expect(JSON.stringify(slack.messages(channel).find((m) => m.ts === cardB)?.blocks)).toContain(String(b.id));
    });
  });
});
