import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { lambdaBuildOptions } from '../../bench/coldstart-bench';

const ROOT = join(__dirname, '..', '..');

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const FUNCTIONS = ['slack', 'findings', 'worker', 'ticker'] as const;

/**
 * Clients whose calls run in member accounts, with the assumed containment role's
 * credentials (the member-account template grants those, not the function's role).
 * Lambda is both: Invoke hands work to Cordon's own worker; the rest contains functions.
 */
// auto-scaling: Standby for an Auto Scaling member (issue 15, point 4), in the member account.
const MEMBER_ACCOUNT_CLIENTS = new Set(['ec2', 'iam', 'guardduty', 'lambda', 'auto-scaling']);
const OWN_ACCOUNT_CALLS = new Set(['lambda:Invoke']);

/** Where an SDK command's IAM action is not `<service>:<Command>` (the Service Authorization Reference). */
const IAM_ACTION: Record<string, string[]> = {
  'lambda:Invoke': ['lambda:InvokeFunction'],
  // Cordon always passes session tags naming the Slack user, and that user as SourceIdentity (src/aws/aws-clients.ts).
  'sts:AssumeRole': ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
};

/**
 * Calls a bundle holds but never makes on Lambda, each with why: granting them would be
 * power no function uses.
 */
const NEVER_ON_LAMBDA: Record<string, string> = {
  'dynamodb:CreateTable': 'DynamoDbStore.createTable is for tests and local runs; serverless.yml creates the table',
};

/**
 * The AWS actions a function's own role needs, derived from its bundle: the Cordon source
 * files esbuild kept (bytes in the output), the SDK commands they construct, and for
 * DynamoDB transactions the item operations they write (TransactWriteItems is authorized
 * per item: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
 */
async function ownRoleNeeds(fn: string): Promise<string[]> {
  const out = await build({ ...lambdaBuildOptions(), absWorkingDir: ROOT, entryPoints: [join(ROOT, 'src', 'handlers', `${fn}.ts`)], outfile: join(tmpdir(), `cordon-needs-${fn}.js`), write: false, metafile: true, logLevel: 'silent' });
  const metafile: Metafile | undefined = out.metafile;
  if (!metafile) throw new Error('esbuild returned no metafile');
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined)!;
  const files = Object.entries(output.inputs).filter(([f, i]) => f.startsWith('src/') && i.bytesInOutput > 0).map(([f]) => readFileSync(join(ROOT, f), 'utf8'));
  const needs = new Set<string>();
  // Clients loaded on first use (cold start, issue 19 point 5) are reached through a loader such as
  // `const sdkSts = (): typeof import('@aws-sdk/client-sts') => require(…)`, possibly from another file.
  const loaders = new Map<string, string>();
  for (const text of files) {
    for (const m of text.matchAll(/(?:const|function)\s+(\w+)\s*=?\s*\(\)\s*:\s*typeof import\('@aws-sdk\/client-([a-z0-9-]+)'\)/g)) loaders.set(m[1]!, m[2]!);
  }
  for (const text of files) {
    const clientOf = new Map<string, string>();
    for (const m of text.matchAll(/import \{([^}]*)\} from '@aws-sdk\/client-([a-z0-9-]+)'/gs)) for (const name of m[1]!.split(',')) clientOf.set(name.trim().replace(/^type /, ''), m[2]!);
    for (const m of text.matchAll(/\{([^}]*)\}\s*=\s*require\('@aws-sdk\/client-([a-z0-9-]+)'\)/gs)) for (const name of m[1]!.split(',')) clientOf.set(name.trim(), m[2]!);
    for (const m of text.matchAll(/new (?:\((\w+)\(\)\.)?([A-Z][A-Za-z0-9]+)Command\)?\(/g)) {
      const command = m[2]!;
      const client = m[1] ? loaders.get(m[1]) : clientOf.get(`${command}Command`);
      if (!client) throw new Error(`${command}Command is constructed but not imported from an SDK client`);
      const call = `${client}:${command}`;
      if (MEMBER_ACCOUNT_CLIENTS.has(client) && !OWN_ACCOUNT_CALLS.has(call)) continue;
      if (call in NEVER_ON_LAMBDA) continue;
      for (const action of IAM_ACTION[call] ?? [call]) needs.add(action);
      if (call === 'dynamodb:TransactWriteItems') {
        for (const item of text.matchAll(/\b(Put|Update|Delete|ConditionCheck): \{/g)) needs.add(`dynamodb:${item[1]!}Item`);
      }
    }
  }
  return [...needs].sort();
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

  it('names no partition literally: every ARN it builds is in the partition it is deployed to (issue 15, point 17)', () => {
    expect(JSON.stringify(template).match(/arn:aws(-cn|-us-gov)?:[^"]*/g) ?? []).toEqual([]);
  });

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

  const roleOf = (fn: string): Statement[] => {
    const f = template.Resources[`${fn[0]!.toUpperCase()}${fn.slice(1)}LambdaFunction`]!;
    const roleId = (f.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const role = template.Resources[roleId]!;
    expect(role.Type).toBe('AWS::IAM::Role');
    return (role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
  };
  const actionsOf = (statements: Statement[]) => [...new Set(statements.filter((st) => st.Effect === 'Allow').flatMap((st) => [st.Action].flat()))].sort();

  it('gives each function a role of its own', () => {
    const roles = FUNCTIONS.map((fn) => (template.Resources[`${fn[0]!.toUpperCase()}${fn.slice(1)}LambdaFunction`]!.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]);
    expect(new Set(roles).size).toBe(4);
    // No provider-wide role that every function would share.
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it.each(FUNCTIONS)("the %s role holds exactly what its bundle calls, plus its logs (and the worker's dead-letter queue)", async (fn) => {
    const needs = await ownRoleNeeds(fn);
    const platform = ['logs:CreateLogStream', 'logs:PutLogEvents', ...(fn === 'worker' ? ['sqs:SendMessage'] : [])];
    expect(actionsOf(roleOf(fn))).toEqual([...needs, ...platform].sort());
    // Each log grant is the function's own log group.
    const logs = roleOf(fn).find((st) => [st.Action].flat().includes('logs:PutLogEvents'))!;
    expect(JSON.stringify(logs.Resource)).toContain(`/aws/lambda/cordon-dev-${fn}:*`);
  }, 60_000);

  it('lets only the worker and the ticker assume the member-account role, and only the configured one', () => {
    const configPath = join(ROOT, 'cordon.config.yaml');
    const configured = existsSync(configPath) ? (parse(readFileSync(configPath, 'utf8')) as { containmentRole?: { name?: string } }).containmentRole?.name : undefined;
    const assumers = FUNCTIONS.filter((fn) => actionsOf(roleOf(fn)).includes('sts:AssumeRole'));
    expect(assumers).toEqual(['worker', 'ticker']);
    for (const fn of assumers) {
      const assume = roleOf(fn).filter((st) => [st.Action].flat().includes('sts:AssumeRole'));
      expect(assume).toHaveLength(1);
      expect(assume[0]!.Resource).toEqual({ 'Fn::Sub': `arn:\${AWS::Partition}:iam::*:role/${configured ?? 'CordonContainment'}` });
    }
  });

  it('lets no function update or delete an audit record or its index entries (the audit trail is append-only)', () => {
    for (const fn of FUNCTIONS) {
      const deny = roleOf(fn).filter((st) => st.Effect === 'Deny');
      expect(deny).toEqual([
        expect.objectContaining({
          Action: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          Resource: { 'Fn::GetAtt': ['CordonTable', 'Arn'] },
          Condition: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*', 'IDX#audit*'] } },
        }),
      ]);
    }
    // The prefixes are the store's: every audit item key it writes starts with one of them.
    const code = readFileSync(join(ROOT, 'src', 'store', 'dynamodb-store.ts'), 'utf8');
    const auditKeys = [...code.matchAll(/`((?:AUDIT|IDX#audit)[^`$]*)/g)].map((m) => m[1]!);
    expect(auditKeys.length).toBeGreaterThan(4);
    for (const k of auditKeys) expect(k.startsWith('AUDIT#') || k.startsWith('IDX#audit')).toBe(true);
  });

  it('keeps secrets out of the function configuration', () => {
    for (const [, f] of ofType('AWS::Lambda::Function')) {
      const vars = (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(vars)).not.toEqual(expect.arrayContaining(['SLACK_BOT_TOKEN']));
      expect(vars.CORDON_SSM_PREFIX).toBe('/cordon/dev/');
    }
  });
});
