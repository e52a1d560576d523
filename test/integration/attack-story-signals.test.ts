import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SlackSandbox } from '../../sandbox/slack';
import type { SandboxMessage } from '../../sandbox/slack/slack-state';
import { toEventBridgeEvent } from '../../sandbox/findings/finding-factory';
import { FIXTURE_DIR } from '../support/fixtures';
import { runCli, testConfigYaml, testWorkspace } from '../support/cli-harness';

// Issue 18 point 1: a signal's own card says it is part of the attack sequence, whether the
// sequence arrives after the signal's card was posted (the card is edited) or before it.
const NAMES = ['1-key-discovery', '2-key-credential-access', '3-key-runinstances', '4-key-s3-exfiltration', '5-instance-crypto-dns', '6-key-cloudtrail-disabled-low', '7-attack-sequence'];
const load = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(FIXTURE_DIR, 'stolen-key', `${name}.json`), 'utf8')) as Record<string, unknown>;
const SEQUENCE_ID = '0a7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e';
const SIGNALS = ['a1c9b2d3e4f5a6b7c8d9e0f1a2b3c4d5', 'b2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7', 'c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8', 'd4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9', 'e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0'];
/** The same key's RunInstances again, under an id the sequence does not name: not a signal. */
const OTHER_ID = '99e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8';
function other(): Record<string, unknown> {
  const f = load('3-key-runinstances');
  return { ...f, id: OTHER_ID, arn: String(f.arn).replace(/[0-9a-f]{32}$/, OTHER_ID) };
}

const LINK = /Signal of attack sequence \*Potential compromised credentials in an attack sequence\.\* \(finding `0a7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e`\)/;

/** The finding ids a card is about (one card per finding type per case), from its console links. */
function cardFindingIds(m: SandboxMessage): string[] {
  return [...JSON.stringify(m.blocks ?? []).matchAll(/fId=([0-9a-f]+)/g)].map((x) => x[1]!);
}

describe('signal cards link to their attack sequence', () => {
  let slack: SlackSandbox;
  let env: Record<string, string>;
  let dir: string;

  beforeEach(async () => {
    slack = await SlackSandbox.start({});
    slack.addUser({ id: 'U0ALICE', name: 'alice', email: 'alice@example.com' });
    slack.addUserGroup({ id: 'S0RESPOND', handle: 'responders', users: ['U0ALICE'] });
    const triageChannel = slack.addChannel({ name: 'security-triage', members: ['UBOT', 'U0ALICE'] });
    const ws = testWorkspace(testConfigYaml({ triageChannel, responderGroup: 'S0RESPOND', invite: ['U0ALICE'] }));
    dir = ws.dir;
    env = { ...ws.env, SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.apiUrl };
  });

  afterEach(async () => {
    await slack.close();
  });

  async function ingest(name: string, findings: Record<string, unknown>[]): Promise<void> {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(findings.map((f) => toEventBridgeEvent(f))));
    const r = await runCli(['ingest', path, '--json'], env);
    expect(r.code).toBe(0);
  }

  /** The finding cards of the one live case channel, by finding id. */
  function liveCards(): Map<string, SandboxMessage> {
    const live = slack.channels().filter((c) => c.name.startsWith('ir-') && !c.name.endsWith('-bridge') && !c.is_archived);
    expect(live).toHaveLength(1);
    const cards = new Map<string, SandboxMessage>();
    for (const m of slack.messages(live[0]!.id)) {
      for (const id of /finding:/.test(m.text ?? '') ? cardFindingIds(m) : []) cards.set(id, m);
    }
    return cards;
  }

  function expectLinked(cards: Map<string, SandboxMessage>): void {
    expect([...cards.keys()].sort()).toEqual([...SIGNALS, SEQUENCE_ID, OTHER_ID].sort());
    for (const id of SIGNALS) expect(JSON.stringify(cards.get(id)!.blocks)).toMatch(LINK);
    expect(JSON.stringify(cards.get(SEQUENCE_ID)!.blocks)).not.toMatch(/Signal of attack sequence/);
    // The other RunInstances finding shares its type's card with the signal, which says only one of the two is a signal.
    const shared = cards.get(OTHER_ID)!;
    expect(shared).toBe(cards.get('c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8'));
    expect(JSON.stringify(shared.blocks)).toMatch(/1 of these 2 findings/);
  }

  it('edits the posted cards of signals when the sequence arrives after them', async () => {
    await ingest('signals.json', [...NAMES.slice(0, 6).map(load), other()]);
    const before = liveCardsAll();
    for (const m of before) expect(JSON.stringify(m.blocks)).not.toMatch(/Signal of attack sequence/);
    await ingest('sequence.json', [load('7-attack-sequence')]);
    const cards = liveCards();
    expectLinked(cards);
    // At least the surviving case's signal cards were edited in place, not posted again.
    expect(SIGNALS.some((id) => cards.get(id)!.edits > 0)).toBe(true);
  });

  it('posts signal cards already linked when the sequence arrived first', async () => {
    await ingest('sequence.json', [load('7-attack-sequence')]);
    await ingest('signals.json', [...NAMES.slice(0, 6).map(load), other()]);
    expectLinked(liveCards());
  });

  it('links them when all arrive in one batch', async () => {
    await ingest('all.json', [...NAMES.map(load), other()]);
    expectLinked(liveCards());
  });

  function liveCardsAll(): SandboxMessage[] {
    return slack
      .channels()
      .filter((c) => c.name.startsWith('ir-') && !c.name.endsWith('-bridge'))
      .flatMap((c) => slack.messages(c.id))
      .filter((m) => /finding:/.test(m.text ?? ''));
  }
});
