import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFindingDetail } from '../../../../sandbox/findings/finding-factory';
import type { StoredFinding } from '../../../../src/domain/cases/case';
import type { Finding } from '../../../../src/domain/findings/finding';
import { parseFinding } from '../../../../src/domain/findings/parse-finding';
import { correlationKeys } from '../../../../src/domain/triage/correlation';
import { renderCaseCard } from '../../../../src/slack/blocks/case-card';
import { renderFindingCard } from '../../../../src/slack/blocks/finding-card';
import { FIXTURE_DIR } from '../../../support/fixtures';
import { aCase } from '../reports/report-fixtures';

// Issue 18 point 4: every GuardDuty resource type is named by its own identifiers.
// Shapes per the GuardDuty API reference (test/fixtures/README.md cites each page).
const ACCT = '111111111111';
const REG = 'us-east-1';

function withResource(type: string, resource: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const d = makeFindingDetail({ type, severity: 8 });
  return { ...d, ...extra, resource };
}

function parsed(detail: Record<string, unknown>): Finding {
  const r = parseFinding(detail);
  if (!r.ok) throw new Error(r.reason);
  return r.finding;
}

function stored(f: Finding): StoredFinding {
  return { id: f.id, finding: f, band: 'high', disposition: 'cased', firstSeenAt: '2026-11-22T02:00:00.000Z', lastSeenAt: '2026-11-22T02:00:00.000Z', cardDirty: false, source: 't', version: 1 };
}

const cases: [string, Record<string, unknown>, string[], string[]][] = [
  [
    'ECS: cluster, task, container image',
    withResource('CryptoCurrency:Runtime/BitcoinTool.B', {
      resourceType: 'ECSCluster',
      ecsClusterDetails: {
        name: 'payments-cluster',
        arn: `arn:aws:ecs:${REG}:${ACCT}:cluster/payments-cluster`,
        status: 'ACTIVE',
        taskDetails: { arn: `arn:aws:ecs:${REG}:${ACCT}:task/payments-cluster/0123456789abcdef0`, definitionArn: `arn:aws:ecs:${REG}:${ACCT}:task-definition/payments:7`, containers: [{ name: 'api', image: 'example.com/payments-api:1.4.2' }] },
      },
    }),
    ['ECS cluster', 'payments-cluster', 'ECS task', '0123456789abcdef0', 'image', 'example.com/payments-api:1.4.2'],
    [`ecs-cluster:${ACCT}:${REG}:payments-cluster`],
  ],
  [
    'RDS: instance, cluster, database user',
    withResource('CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin', {
      resourceType: 'RDSDBInstance',
      rdsDbInstanceDetails: { dbInstanceIdentifier: 'orders-db-1', dbClusterIdentifier: 'orders-cluster', engine: 'aurora-postgresql', dbInstanceArn: `arn:aws:rds:${REG}:${ACCT}:db:orders-db-1` },
      rdsDbUserDetails: { user: 'report_reader', application: 'psql', database: 'orders' },
    }),
    ['RDS instance', 'orders-db-1', 'RDS cluster', 'orders-cluster', 'database user', 'report_reader'],
    [`db:${ACCT}:${REG}:orders-db-1`, `db-cluster:${ACCT}:${REG}:orders-cluster`],
  ],
  [
    'EKS: cluster, namespace, workload, Kubernetes user',
    withResource('PrivilegeEscalation:Kubernetes/PrivilegedContainer', {
      resourceType: 'EKSCluster',
      eksClusterDetails: { name: 'prod-eks', arn: `arn:aws:eks:${REG}:${ACCT}:cluster/prod-eks` },
      kubernetesDetails: { kubernetesUserDetails: { username: 'system:serviceaccount:default:builder', uid: 'u-1' }, kubernetesWorkloadDetails: { name: 'miner', type: 'pods', namespace: 'default' } },
    }),
    ['EKS cluster', 'prod-eks', 'namespace', 'default', 'workload', 'pods/miner', 'Kubernetes user', 'system:serviceaccount:default:builder'],
    [`cluster:${ACCT}:${REG}:prod-eks`],
  ],
  [
    'S3 bucket',
    withResource('Exfiltration:S3/AnomalousBehavior', { resourceType: 'S3Bucket', s3BucketDetails: [{ name: 'payroll-exports', arn: 'arn:aws:s3:::payroll-exports' }] }),
    ['S3 bucket', 'payroll-exports'],
    ['bucket:payroll-exports'],
  ],
  [
    'Lambda function',
    withResource('Backdoor:Lambda/C&CActivity.B', { resourceType: 'Lambda', lambdaDetails: { functionName: 'thumbnailer', functionArn: `arn:aws:lambda:${REG}:${ACCT}:function:thumbnailer` } }),
    ['Lambda function', 'thumbnailer'],
    [`function:${ACCT}:${REG}:thumbnailer`],
  ],
  [
    'EC2 instance and EBS volume (Malware Protection)',
    withResource('Execution:EC2/MaliciousFile', {
      resourceType: 'Instance',
      instanceDetails: { instanceId: 'i-0fedcba9876543210' },
      ebsVolumeDetails: { scannedVolumeDetails: [{ volumeArn: `arn:aws:ec2:${REG}:${ACCT}:volume/vol-0123456789abcdef0`, deviceName: '/dev/xvda' }] },
    }),
    ['EC2 instance', 'i-0fedcba9876543210', 'EBS volume', 'vol-0123456789abcdef0'],
    [`instance:${ACCT}:i-0fedcba9876543210`],
  ],
  [
    'access key',
    withResource('UnauthorizedAccess:IAMUser/MaliciousIPCaller', { resourceType: 'AccessKey', accessKeyDetails: { accessKeyId: 'AKIAEXAMPLE000000009', userName: 'bob', userType: 'IAMUser', principalId: 'AIDAX' } }),
    ['access key', 'AKIAEXAMPLE000000009', 'IAM user', 'bob'],
    ['access-key:AKIAEXAMPLE000000009', `principal:${ACCT}:bob`],
  ],
  [
    'container',
    withResource('Execution:Runtime/NewBinaryExecuted', { resourceType: 'Container', containerDetails: { id: 'abc123', name: 'sidecar', image: 'example.com/sidecar:2' } }),
    ['container', 'sidecar', 'image', 'example.com/sidecar:2'],
    [],
  ],
  [
    'attack sequence',
    JSON.parse(readFileSync(join(FIXTURE_DIR, 'stolen-key', '7-attack-sequence.json'), 'utf8')) as Record<string, unknown>,
    ['attack sequence', 'sequence-7f3c2a91'],
    ['access-key:AKIAIOSFODNN7EXAMPLE', 'principal:111122223333:ci-deployer', 'instance:111122223333:i-0abcdef1234567890', 'bucket:example-payroll-exports'],
  ],
];

describe('every resource type is named (issue 18 point 4)', () => {
  it.each(cases)('%s', (_name, detail, shown, keys) => {
    const f = parsed(detail);
    const card = JSON.stringify(renderFindingCard(stored(f)).blocks);
    for (const s of shown) expect(card).toContain(s);
    expect(card).not.toContain('none named_');
    const caseCard = JSON.stringify(renderCaseCard(aCase(), [stored(f)]).blocks);
    expect(caseCard).not.toMatch(/Resources\*\\n_none named_/);
    expect(correlationKeys(f)).toEqual(expect.arrayContaining(keys));
  });
});
