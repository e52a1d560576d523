import { loadConfig } from '../../src/config/load-config';
import { buildCordon } from '../../src/app/cordon';
import { runDrill } from '../../src/cli/commands/drill';
import { silentLogger } from '../../src/log';
import { SlackSandbox } from '../../sandbox/slack';
import { containmentHarness, PROD, REGION } from '../support/aws';
import { runCli, testConfigYaml, testWorkspace } from '../support/cli-harness';

describe('cordon drill', () => {
  it('posts the [DRILL] attack into the configured Slack; containment in the drill case is a dry run', async () => {
    const slack = await SlackSandbox.start({});
    try {
      slack.addUser({ id: 'U0RESP', name: 'resp' });
      const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT', 'U0RESP'] });
      const yaml = testConfigYaml({ triageChannel: triage, invite: ['U0RESP'], extra: 'access:\n  users: { U0RESP: responder }\ncontainment: { untrackSeconds: 0 }' });
      const aws = containmentHarness();
      const config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.apiUrl }, () => yaml);
      const cordon = buildCordon(config, silentLogger, { store: aws.store, clientFactory: aws.factory, sleep: () => Promise.resolve() });
      const lines: string[] = [];
      const r = await runDrill(cordon, { out: (l) => lines.push(l), err: (l) => lines.push(l), readStdin: () => Promise.resolve('') }, false);
      expect(r).toMatchObject({ ok: true, findings: 7 });
      expect(r.caseIds).toHaveLength(1);
      const c = (await cordon.store.getCase(r.caseIds[0]!))!;
      expect(c.title.startsWith('[DRILL] ')).toBe(true);
      expect(c.accounts).toEqual([PROD]);
      const posted = slack.messages(c.channelId!);
      expect(posted.filter((m) => JSON.stringify(m.blocks ?? []).includes('[DRILL]')).length).toBeGreaterThanOrEqual(7);
      expect(lines.join('\n')).toContain('containment there is planned as a dry run only');

      // A responder asks for real containment in the drill case: it is planned, not applied.
      const inst = aws.sb.createInstance({ accountId: PROD, region: REGION });
      const req = await cordon.services().actions.requestContain({ userId: 'U0RESP', teamId: 'T0SANDBOX', channelId: c.channelId! }, { target: `arn:aws:ec2:${REGION}:${PROD}:instance/${inst.instanceId}`, dryRun: false });
      expect(req).toEqual({ caseId: c.id, dryRun: true });
      await cordon.worker().inProcess!.idle();
      expect((await cordon.store.listActions({ caseId: c.id })).map((a) => a.status)).toEqual(['dry_run']);
      expect(aws.sb.mutations()).toEqual([]);
    } finally {
      await slack.close();
    }
  });

  it('needs Slack, and says so', async () => {
    const ws = testWorkspace(testConfigYaml({ triageChannel: 'C0TRIAGE' }));
    const r = await runCli(['drill'], ws.env);
    expect(r.code).toBe(2);
    expect(r.err).toContain('a drill needs Slack');
    expect(r.err).toContain('SLACK_BOT_TOKEN');
  });
});
