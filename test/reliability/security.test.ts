import { Writable } from 'node:stream';
import { readServerlessYaml } from '../../bench/serverless-yaml';
import { loadConfig } from '../../src/config/load-config';
import { buildCordon } from '../../src/app/cordon';
import { createLogger } from '../../src/log';
import { makeFindingDetail, toEventBridgeEvent } from '../../sandbox/findings/finding-factory';
import { SlackSandbox } from '../../sandbox/slack';
import { buttonBody, commandBody, postSigned } from '../../sandbox/slack/signed-requests';
import { startSlack } from '../../src/slack/inbound/bolt-app';
import { ActionId } from '../../src/slack/ids';
import { containmentHarness, PROD, REGION, SANDBOX } from '../support/aws';
import { testConfigYaml } from '../support/cli-harness';
import { recordFigures } from './figures';



interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

describe('security checks', () => {
  it("the functions' roles have no wildcard action, and every wildcard resource is one of the justified few", () => {
    const doc = readServerlessYaml<{ resources: { Resources: Record<string, { Type: string; Properties: { Policies?: { PolicyDocument: { Statement: Statement[] } }[] } }> } }>();
    const roles = Object.values(doc.resources.Resources).filter((r) => r.Type === 'AWS::IAM::Role');
    expect(roles).toHaveLength(4);
    const statements = roles.flatMap((r) => (r.Properties.Policies ?? []).flatMap((p) => p.PolicyDocument.Statement));
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    // The one Deny is the audit trail's: no function updates or deletes an audit item (docs/permissions.md).
    const denies = statements.filter((s) => s.Effect !== 'Allow');
    expect(denies).toHaveLength(4);
    for (const d of denies) expect(d).toMatchObject({ Effect: 'Deny', Action: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem'], Condition: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*', 'IDX#audit*'] } } });
    // Wildcard resources, each with its reason (docs/reliability.md lists them too).
    const justified: Record<string, string> = {
      'sts:GetAccessKeyInfo': 'GetAccessKeyInfo supports no resource-level permission: AWS requires "*"',
      'sts:AssumeRole': 'the member role in any account; the account allowlist is enforced in code before every call',
      'sts:TagSession': 'goes with AssumeRole',
      'sts:SetSourceIdentity': 'goes with AssumeRole (the acting person in CloudTrail)',
      'ssm:GetParameters': 'only /cordon/<stage>/*',
      'logs:CreateLogStream': "the streams of the function's own log group only",
      'logs:PutLogEvents': "the streams of the function's own log group only",
    };
    for (const s of statements) {
      if (s.Effect === 'Deny') continue;
      const resources = JSON.stringify(s.Resource);
      if (!resources.includes('*')) continue;
      for (const a of Array.isArray(s.Action) ? s.Action : [s.Action]) {
        if (!justified[a]) throw new Error(`${a} has a wildcard resource ${resources} without a reason`);
      }
    }
    recordFigures('security-bot-role', { statements: statements.length, actions: actions.length, wildcardActions: 0, justifiedWildcardResources: Object.keys(justified) });
  });

  it('tokens, signing secrets and AWS secret keys never reach the log, at trace level, through success and failure', async () => {
    const TOKEN = 'xoxb-1111-2222-SECRETBOTTOKEN';
    const SECRET = 'signing-SECRET-0123456789abcdef';
    let logged = '';
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((logged += chunk.toString()), done()) });
    const log = createLogger('trace', sink);
    const slack = await SlackSandbox.start({});
    slack.addUser({ id: 'U0RESP', name: 'resp' });
    const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT', 'U0RESP'] });
    const aws = containmentHarness();
    const config = loadConfig(
      { CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'trace' },
      () => testConfigYaml({ triageChannel: triage, invite: ['U0RESP'], extra: 'access:\n  users: { U0RESP: responder }\ncontainment: { untrackSeconds: 0 }' }),
    );
    const cordon = buildCordon(config, log, { store: aws.store, clientFactory: aws.factory, sleep: () => Promise.resolve(), webClientOptions: { retryConfig: { retries: 1, factor: 1, minTimeout: 10, maxTimeout: 10 } } });
    const front = await startSlack(config, cordon.services(), log);
    const events = `${front.address as string}/slack/events`;
    try {
      await cordon.pipeline.ingestDocument(toEventBridgeEvent(makeFindingDetail({ accessKeyId: 'AKIALOGS000000000001' })), 'test');
      slack.failNext('conversations.create', 'invalid_auth');
      await cordon.slack!.publisher.flush();
      slack.failNext('chat.postMessage', { httpStatus: 503 }, 3);
      await cordon.slack!.publisher.flush();
      const inst = aws.sb.createInstance({ accountId: SANDBOX, region: REGION });
      aws.sb.failCall('CreateSnapshot', { code: 'InternalError', httpStatus: 500, times: 2 });
      await postSigned(events, commandBody({ text: `contain arn:aws:ec2:${REGION}:${SANDBOX}:instance/${inst.instanceId}`, user: 'U0RESP', channel: triage, responseUrl: slack.responseUrl() }), { secret: SECRET });
      await postSigned(events, commandBody({ text: `contain arn:aws:ec2:${REGION}:${PROD}:instance/i-0123456789abcdef0`, user: 'U0RESP', channel: triage }), { secret: 'forged-secret-000000000000000000' });
      await postSigned(events, buttonBody({ actionId: ActionId.APPROVE, value: 'A-20261122020000-zzzz', user: 'U0RESP', channel: triage }), { secret: SECRET });
      await new Promise((r) => setTimeout(r, 100));
      await cordon.worker().inProcess!.idle();
    } finally {
      await front.stop();
      await slack.close();
    }
    const issued = aws.sb.issuedSecrets();
    expect(issued.length).toBeGreaterThan(0);
    expect(logged.length).toBeGreaterThan(2000);
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain('SECRETBOTTOKEN');
    expect(logged).not.toContain(SECRET);
    for (const s of issued) expect(logged).not.toContain(s);
    recordFigures('security-logs', { logBytes: logged.length, secretsChecked: 2 + issued.length, leaks: 0 });
  });
});
