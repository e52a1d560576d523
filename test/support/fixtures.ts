import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Real-shaped GuardDuty fixtures kept in the repository (see test/fixtures/README.md for their source and licence). */
export const FIXTURE_DIR = join(__dirname, '..', 'fixtures', 'guardduty');

export function loadFixtures(): { name: string; detail: Record<string, unknown> }[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((name) => ({ name, detail: JSON.parse(readFileSync(join(FIXTURE_DIR, name), 'utf8')) as Record<string, unknown> }));
}

/** Deep-converts keys to PascalCase, as GetFindings returns them. */
export function pascalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pascalize);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k[0]!.toUpperCase() + k.slice(1), pascalize(x)]));
  }
  return v;
}

/**
 * A High GuardDuty finding (EventBridge detail) about IAM user `userName`'s access key, seen
 * by GuardDuty as `principalId` (absent: GuardDuty named no principal id), at `at`.
 */
export function keyFindingDetail(opts: { id: string; account: string; region: string; userName: string; principalId?: string; at?: Date }): Record<string, unknown> {
  const { id, account, region, userName, principalId } = opts;
  const t = (opts.at ?? new Date()).toISOString();
  return {
    schemaVersion: '2.0',
    accountId: account,
    region,
    partition: 'aws',
    id,
    arn: `arn:aws:guardduty:${region}:${account}:detector/12abc34d567e8fa901bc2d34e56789f0/finding/${id}`,
    type: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller',
    resource: { resourceType: 'AccessKey', accessKeyDetails: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', userType: 'IAMUser', userName, ...(principalId ? { principalId } : {}) } },
    service: { serviceName: 'guardduty', count: 1, action: { actionType: 'AWS_API_CALL', awsApiCallAction: { api: 'ListBuckets', serviceName: 's3.amazonaws.com', remoteIpDetails: { ipAddressV4: '198.51.100.7' } } } },
    severity: 8,
    createdAt: t,
    updatedAt: t,
    title: `API called from a malicious IP by ${userName}`,
    description: 'An API was invoked from a known malicious IP address.',
  };
}
