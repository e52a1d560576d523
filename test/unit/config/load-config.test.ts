import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EC2_CONTAINMENT_OVERHEAD_SECONDS, NETWORK_RETRY_DELAYS_MS, WORKER_TIMEOUT_SECONDS } from '../../../src/config/limits';
import { ConfigError, loadConfig } from '../../../src/config/load-config';

const example = readFileSync(join(__dirname, '..', '..', '..', 'cordon.config.example.yaml'), 'utf8');

function load(yaml: string, env: Record<string, string> = {}) {
  return loadConfig({ CORDON_CONFIG: 'x.yaml', ...env }, () => yaml);
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('containmentRole.externalId (issue 17 point 9)', () => {
  it('is at least 16 characters', () => {
    expect(problems(() => load(example.replace('externalId: change-me-to-a-long-random-string', 'externalId: short-id')))).toEqual([
      'x.yaml: containmentRole.externalId: the external id is at least 16 characters (the member-account template requires it)',
    ]);
  });

  it('in serverless mode comes from SSM only: a packaged one is refused, a missing one named', () => {
    const serverless = { CORDON_SSM_PREFIX: '/cordon/dev/' };
    expect(problems(() => load(example, serverless))).toEqual([
      'x.yaml: containmentRole.externalId: in serverless mode the external id comes from SSM (/cordon/dev/containment-external-id); remove it from the packaged config',
    ]);
    const packaged = example.replace('  externalId: change-me-to-a-long-random-string\n', '');
    expect(problems(() => load(packaged, serverless))).toEqual(['/cordon/dev/containment-external-id: not found in SSM (the external id, 16 characters or more; see README, Deploying)']);
    expect(load(packaged, { ...serverless, CORDON_EXTERNAL_ID: 'from-ssm-0123456789' }).containmentRole?.externalId).toBe('from-ssm-0123456789');
  });
});

describe('loadConfig', () => {
  it('accepts the documented example and fills defaults', () => {
    const c = load(example);
    expect(c.accounts).toHaveLength(2);
    expect(c.triage.correlationWindow).toBe(24 * 3600_000);
    expect(c.triage.routing.critical).toEqual({ open: 'case', mention: true, escalate: true });
    expect(c.access.approvalTtl).toBe(30 * 60_000);
    expect(c.env.CORDON_STORE).toBe('sqlite:./cordon.db');
  });

  it('names the key and the reason of each bad value', () => {
    const bad = example
      .replace('id: "111111111111"', 'id: "1111"')
      .replace('correlationWindow: 24h', 'correlationWindow: soon')
      .replace('cidr: 203.0.113.0/24', 'cidr: 999.0.0.0/8');
    expect(problems(() => load(bad))).toEqual([
      'x.yaml: accounts.0.id: an AWS account id is exactly 12 digits (quote it in YAML)',
      'x.yaml: triage.correlationWindow: "soon" is not a duration: use a number followed by s, m, h, d or w (e.g. 90s, 30m, 24h, 7d)',
    ]);
    expect(problems(() => load(example.replace('cidr: 203.0.113.0/24', 'cidr: 999.0.0.0/8')))).toEqual([
      'x.yaml: triage.knownCidrs.0.cidr: "999.0.0.0/8" is not a valid CIDR',
    ]);
  });

  it('refuses unknown keys (typos must not be ignored)', () => {
    expect(problems(() => load(example.replace('prefix: ir', 'prefx: ir')))[0]).toMatch(/channels: Unrecognized key: "prefx"/);
  });

  it('says when the file is missing or not YAML', () => {
    expect(problems(() => loadConfig({ CORDON_CONFIG: '/nope.yaml' }))[0]).toMatch(/\/nope.yaml does not exist/);
    expect(problems(() => load('a: [1,'))[0]).toMatch(/^x.yaml at line \d+:/);
  });

  it('validates the environment', () => {
    expect(problems(() => load(example, { SLACK_BOT_TOKEN: 'xoxp-user', CORDON_STORE: 'mysql:x' }))).toEqual([
      'env SLACK_BOT_TOKEN: a bot token starts with xoxb-',
      'env CORDON_STORE: use sqlite:<path> or dynamodb:<table>',
    ]);
  });
});

describe('containment.untrackSeconds fits the worker timeout', () => {
  it(`refuses an untrack wait that cannot finish inside the worker, naming both numbers`, () => {
    expect(example).toContain('untrackSeconds: 60');
    const withUntrack = (n: number) => example.replace('untrackSeconds: 60', `untrackSeconds: ${n}`);
    expect(load(withUntrack(WORKER_TIMEOUT_SECONDS - EC2_CONTAINMENT_OVERHEAD_SECONDS)).containment.untrackSeconds).toBe(WORKER_TIMEOUT_SECONDS - EC2_CONTAINMENT_OVERHEAD_SECONDS);
    const tooLong = WORKER_TIMEOUT_SECONDS - EC2_CONTAINMENT_OVERHEAD_SECONDS + 1;
    expect(problems(() => load(withUntrack(tooLong)))).toEqual([
      `x.yaml: containment.untrackSeconds: ${tooLong}s plus up to ${EC2_CONTAINMENT_OVERHEAD_SECONDS}s for the rest of an EC2 containment does not fit in the worker's ${WORKER_TIMEOUT_SECONDS}s timeout (functions.worker.timeout in serverless.yml); use at most ${WORKER_TIMEOUT_SECONDS - EC2_CONTAINMENT_OVERHEAD_SECONDS}`,
    ]);
  });

  it('the timeout it checks against is the one serverless.yml gives the worker', () => {
    const yml = readFileSync(join(__dirname, '..', '..', '..', 'serverless.yml'), 'utf8');
    // Read the worker block as text: the file's CloudFormation tags need a custom YAML schema.
    const worker = /^ {2}worker:\n((?: {4}.*\n)+)/m.exec(yml)?.[1] ?? '';
    expect(Number(/^ {4}timeout: (\d+)$/m.exec(worker)?.[1])).toBe(WORKER_TIMEOUT_SECONDS);
  });

  it('the retry budget of the network moves fits the overhead the check assumes', () => {
    // Four bounded phases (groups, hop, isolation, restore) of at most the full backoff each.
    const phases = (4 * NETWORK_RETRY_DELAYS_MS.reduce((a, b) => a + b, 0)) / 1000;
    expect(phases).toBeLessThan(EC2_CONTAINMENT_OVERHEAD_SECONDS);
  });
});

describe('containmentRole.sessionDuration (issue 15, point 18)', () => {
  it('refuses more than one hour: Cordon reaches member accounts by role chaining', () => {
    expect(example).toContain('sessionDuration: 1h');
    expect(load(example.replace('sessionDuration: 1h', 'sessionDuration: 45m')).containmentRole?.sessionDuration).toBe(45 * 60_000);
    expect(problems(() => load(example.replace('sessionDuration: 1h', 'sessionDuration: 2h')))).toEqual([
      'x.yaml: containmentRole.sessionDuration: at most 1h: Cordon reaches member accounts by role chaining, and AWS refuses a chained session longer than one hour',
    ]);
  });

  it('validates containment.protectedPrincipals: names or IAM ARNs', () => {
    expect(load(example).containment.protectedPrincipals).toEqual(['break-glass-admin', 'arn:aws:iam::*:role/security-audit-*']);
    expect(problems(() => load(example.replace('    - break-glass-admin', '    - "not a name"')))[0]).toMatch(/^x\.yaml: containment\.protectedPrincipals\.0: an IAM user or role name, or its ARN/);
  });

  const withPattern = (pattern: string, regions = 'us-east-1'): string =>
    example.replace('    - arn:aws:iam::*:role/security-audit-*', `    - "${pattern}"`).replace('regions: [us-east-1]', `regions: [${regions}]`);

  it('refuses an ARN pattern of no AWS partition, or not of an IAM user or role, naming the key, the value and the right form', () => {
    expect(problems(() => load(withPattern('arn:aws-gov:iam::*:role/BreakGlass')))).toEqual([
      'x.yaml: containment.protectedPrincipals.1: "arn:aws-gov:iam::*:role/BreakGlass": "aws-gov" is not an AWS partition (aws, aws-cn, aws-us-gov); write arn:<partition>:iam::<account or *>:user/<name> or arn:<partition>:iam::<account or *>:role/<name>',
    ]);
    expect(problems(() => load(withPattern('arn:*:iam::*:role/BreakGlass')))[0]).toContain('"*" is not an AWS partition');
    for (const notPrincipal of ['arn:aws:iam::*:group/admins', 'arn:aws:sts::111111111111:assumed-role/BreakGlass/s', 'arn:aws:iam::1234:role/BreakGlass', 'arn:aws:iam:us-east-1:*:role/BreakGlass']) {
      expect(problems(() => load(withPattern(notPrincipal)))).toEqual([
        `x.yaml: containment.protectedPrincipals.1: "${notPrincipal}" is not an IAM user or role ARN pattern; write arn:aws:iam::<account or *>:user/<name> or arn:aws:iam::<account or *>:role/<name> (* matches anything)`,
      ]);
    }
    expect(problems(() => load(example.replace('    - break-glass-admin', '    - "not a name"')))).toEqual([
      'x.yaml: containment.protectedPrincipals.0: an IAM user or role name, or its ARN; * matches anything: "not a name" is neither (an ARN is arn:<partition>:iam::<account or *>:user/<name> or arn:<partition>:iam::<account or *>:role/<name>)',
    ]);
  });

  it("refuses an ARN pattern of another partition than Cordon's: it would protect no principal Cordon acts on", () => {
    // The example's commercial pattern, in a GovCloud deployment.
    expect(problems(() => load(example.replace('regions: [us-east-1]', 'regions: [us-gov-west-1]')))).toEqual([
      'x.yaml: containment.protectedPrincipals.1: "arn:aws:iam::*:role/security-audit-*" is in partition aws, but Cordon works in aws-us-gov (the partition of its regions): it would protect no principal; write arn:aws-us-gov:iam::*:role/security-audit-*',
    ]);
    expect(problems(() => load(`partition: aws-cn\n${withPattern('arn:aws-us-gov:iam::*:role/BreakGlass', 'cn-north-1')}`))).toEqual([
      'x.yaml: containment.protectedPrincipals.1: "arn:aws-us-gov:iam::*:role/BreakGlass" is in partition aws-us-gov, but Cordon works in aws-cn (partition): it would protect no principal; write arn:aws-cn:iam::*:role/BreakGlass',
    ]);
    // In its own partition, and names (which have none), it loads.
    const gov = load(withPattern('arn:aws-us-gov:iam::*:role/BreakGlass', 'us-gov-west-1'));
    expect(gov.partition).toBe('aws-us-gov');
    expect(gov.containment.protectedPrincipals).toEqual(['break-glass-admin', 'arn:aws-us-gov:iam::*:role/BreakGlass']);
  });
});

describe('partition (issue 15, point 17)', () => {
  // The example's protected-principal ARN is a commercial one: a name here, so only the regions differ.
  const withRegions = (regions: string[], head = ''): string =>
    `${head}${example.replace('regions: [us-east-1]', `regions: [${regions.join(', ')}]`).replace('arn:aws:iam::*:role/security-audit-*', 'security-audit-*')}`;

  it('is the one the regions are in, unless given; cn-* is aws-cn, us-gov-* aws-us-gov', () => {
    expect(example).toContain('regions: [us-east-1]');
    expect(load(example).partition).toBe('aws');
    expect(load(withRegions(['cn-north-1', 'cn-northwest-1'])).partition).toBe('aws-cn');
    expect(load(withRegions(['us-gov-west-1'])).partition).toBe('aws-us-gov');
    expect(load(withRegions(['us-gov-east-1'], 'partition: aws-us-gov\n')).partition).toBe('aws-us-gov');
  });

  it('refuses a partition its regions are not in, and regions of two partitions, naming both', () => {
    expect(problems(() => load(withRegions(['us-east-1'], 'partition: aws-cn\n')))).toEqual(['x.yaml: regions.0: us-east-1 is in partition aws, but partition is aws-cn']);
    expect(problems(() => load(withRegions(['cn-north-1', 'us-east-1'])))).toEqual([
      'x.yaml: regions.1: us-east-1 is in partition aws, but regions.0 (cn-north-1) is in aws-cn: one Cordon works in one partition',
    ]);
    expect(problems(() => load(withRegions(['us-east-1'], 'partition: aws-iso\n')))[0]).toMatch(/^x\.yaml: partition: /);
  });
});
