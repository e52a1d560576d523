import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SlackSandbox } from '../../sandbox/slack';
import { toEventBridgeEvent } from '../../sandbox/findings/finding-factory';
import { FIXTURE_DIR } from '../support/fixtures';
import { runCli, testConfigYaml, testWorkspace } from '../support/cli-harness';

// Issue 18 acceptance 1, third part, in Slack: the sequence arrives after two cases opened;
// one case remains, and the other channel keeps a pointer and is archived.
const story = (prefix: string): Record<string, unknown> => {
  const name = ['1-key-discovery', '2-key-credential-access', '5-instance-crypto-dns', '7-attack-sequence'].find((n) => n.startsWith(prefix))!;
  return JSON.parse(readFileSync(join(FIXTURE_DIR, 'stolen-key', `${name}.json`), 'utf8')) as Record<string, unknown>;
};

describe('the stolen-key story in Slack: merge, pointer, archive', () => {
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

  function write(name: string, doc: unknown): string {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(doc));
    return path;
  }

  it('ends in one live case channel; the merged one shows where the case went and is archived', async () => {
    const first = await runCli(['ingest', write('first.json', ['1-', '2-', '5-'].map((p) => toEventBridgeEvent(story(p)))), '--json'], env);
    expect(first.code).toBe(0);
    expect(slack.channels().filter((c) => c.name.startsWith('ir-'))).toHaveLength(2);

    const second = await runCli(['ingest', write('second.json', [toEventBridgeEvent(story('7-'))]), '--json'], env);
    expect(second.code).toBe(0);
    const channels = slack.channels().filter((c) => c.name.startsWith('ir-') && !c.name.endsWith('-bridge'));
    expect(channels).toHaveLength(2);
    const archived = channels.filter((c) => c.is_archived);
    expect(archived).toHaveLength(1);
    const live = channels.find((c) => !c.is_archived)!;
    const pointer = slack.messages(archived[0]!.id).at(-1);
    expect(pointer?.text).toMatch(/merged into IR-/);
    expect(pointer?.text).toContain(live.name);
    // The triage index line of the merged case says where the story went.
    const survivorId = /merged into (IR-\d{8}-[0-9A-Z]+)/.exec(pointer!.text!)![1]!;
    const triage = slack.channels().find((c) => c.name === 'security-triage')!;
    expect(slack.messages(triage.id).filter((m) => JSON.stringify(m.blocks).includes(`merged into *${survivorId}*`))).toHaveLength(1);
    // The moved findings' cards are posted again where the case now lives.
    const cards = slack.messages(live.id).filter((m) => /finding:/.test(m.text ?? ''));
    expect(cards.length).toBeGreaterThanOrEqual(4);
  });
});
