import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '..', '..');

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

describe('serverless.yml', () => {
  const out = mkdtempSync(join(tmpdir(), 'cordon-sls-'));
  let template: Template;

  beforeAll(async () => {
    // Offline and without AWS credentials: what CI proves.
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' };
    await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js'), 'package', '--package', out], { cwd: ROOT, env, timeout: 240_000 });
    template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  }, 300_000);

  const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

  it('has the four functions on nodejs22.x, each bundle under 5 MB', () => {
    const fns = ofType('AWS::Lambda::Function');
    expect(fns.map(([k]) => k).sort()).toEqual(['FindingsLambdaFunction', 'SlackLambdaFunction', 'TickerLambdaFunction', 'WorkerLambdaFunction']);
    for (const [, f] of fns) expect(f.Properties.Runtime).toBe('nodejs22.x');
    for (const name of ['slack', 'findings', 'worker', 'ticker']) expect(statSync(join(out, `${name}.zip`)).size).toBeLessThan(5 * 1024 * 1024);
  });

  it('routes GuardDuty findings from EventBridge and ticks every minute', () => {
    const rules = ofType('AWS::Events::Rule').map(([, r]) => r.Properties);
    expect(rules).toEqual(expect.arrayContaining([expect.objectContaining({ EventPattern: { source: ['aws.guardduty'], 'detail-type': ['GuardDuty Finding'] } })]));
    expect(rules).toEqual(expect.arrayContaining([expect.objectContaining({ ScheduleExpression: 'rate(1 minute)' })]));
  });

  it('has the table (on demand, point-in-time recovery, TTL) and the worker dead-letter queue', () => {
    const tables = ofType('AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    expect(tables[0]![1].Properties).toMatchObject({ BillingMode: 'PAY_PER_REQUEST', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, TimeToLiveSpecification: { Enabled: true } });
    expect(ofType('AWS::SQS::Queue')).toHaveLength(1);
    const invokeConfigs = ofType('AWS::Lambda::EventInvokeConfig');
    expect(invokeConfigs).toHaveLength(1);
    expect(invokeConfigs[0]![1].Properties).toMatchObject({ FunctionName: { Ref: 'WorkerLambdaFunction' }, DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['WorkerDeadLetterQueue', 'Arn'] } } } });
  });

  it("lets Cordon assume only the configured containment role (CordonContainment when no config is packaged)", () => {
    const configPath = join(ROOT, 'cordon.config.yaml');
    const configured = existsSync(configPath) ? (parse(readFileSync(configPath, 'utf8')) as { containmentRole?: { name?: string } }).containmentRole?.name : undefined;
    const policies = ofType('AWS::IAM::Role').flatMap(([, r]) => (r.Properties.Policies as { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }[] | undefined) ?? []);
    const assume = policies.flatMap((p) => p.PolicyDocument.Statement).filter((st) => [st.Action].flat().includes('sts:AssumeRole'));
    expect(assume).toHaveLength(1);
    expect(assume[0]!.Resource).toEqual(`arn:aws:iam::*:role/${configured ?? 'CordonContainment'}`);
  });

  it('keeps secrets out of the function configuration', () => {
    for (const [, f] of ofType('AWS::Lambda::Function')) {
      const vars = (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(vars)).not.toEqual(expect.arrayContaining(['SLACK_BOT_TOKEN']));
      expect(vars.CORDON_SSM_PREFIX).toBe('/cordon/dev/');
    }
  });
});
