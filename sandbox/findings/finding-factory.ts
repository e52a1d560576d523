// The envelope is the product's (cordon drill uses it); re-exported so tests and benches
// build a finding and its event from one place.
export { toEventBridgeEvent } from '../../src/domain/findings/eventbridge-event';

/** Options for a generated GuardDuty finding `detail` (camelCase, as EventBridge sends it). */
export interface FindingSpec {
  id?: string;
  type?: string;
  severity?: number;
  accountId?: string;
  region?: string;
  title?: string;
  description?: string;
  count?: number;
  updatedAt?: string;
  createdAt?: string;
  /** IAM user behind an access key (AccessKey resource). */
  userName?: string;
  accessKeyId?: string;
  /** EC2 instance resource instead of an access key. */
  instanceId?: string;
  tags?: Record<string, string>;
  remoteIp?: string;
  bucket?: string;
}

let seq = 0;

/** A real-shaped GuardDuty finding detail for tests, benchmarks and the demo. */
export function makeFindingDetail(spec: FindingSpec = {}): Record<string, unknown> {
  seq++;
  const accountId = spec.accountId ?? '111111111111';
  const region = spec.region ?? 'us-east-1';
  const id = spec.id ?? `${seq.toString(16).padStart(8, '0')}${'f'.repeat(24)}`;
  const type = spec.type ?? (spec.instanceId ? 'UnauthorizedAccess:EC2/SSHBruteForce' : 'UnauthorizedAccess:IAMUser/MaliciousIPCaller');
  const at = spec.updatedAt ?? '2026-11-22T02:00:00.000Z';
  const tags = Object.entries(spec.tags ?? {}).map(([key, value]) => ({ key, value }));
  const remoteIpDetails = {
    ipAddressV4: spec.remoteIp ?? '198.51.100.7',
    organization: { asn: '64500', asnOrg: 'Example ASN', isp: 'Example ISP', org: 'Example Org' },
    country: { countryName: 'Exampleland' },
  };
  const accessKeyDetails = {
    accessKeyId: spec.accessKeyId ?? 'AKIAEXAMPLE000000001',
    principalId: 'AIDAEXAMPLE',
    userName: spec.userName ?? 'alice',
    userType: 'IAMUser',
  };
  const resource: Record<string, unknown> = spec.instanceId
    ? {
        resourceType: 'Instance',
        instanceDetails: {
          instanceId: spec.instanceId,
          instanceType: 't3.micro',
          launchTime: '2026-11-20T10:00:00.000Z',
          tags,
          networkInterfaces: [{ networkInterfaceId: 'eni-0abc', publicIp: '203.0.113.10', securityGroups: [] }],
        },
      }
    : spec.bucket
      ? {
          resourceType: 'S3Bucket',
          accessKeyDetails,
          s3BucketDetails: [{ arn: `arn:aws:s3:::${spec.bucket}`, name: spec.bucket, type: 'Destination', tags }],
        }
      : { resourceType: 'AccessKey', accessKeyDetails };
  return {
    schemaVersion: '2.0',
    accountId,
    region,
    partition: 'aws',
    id,
    arn: `arn:aws:guardduty:${region}:${accountId}:detector/abc123/finding/${id}`,
    type,
    resource,
    service: {
      serviceName: 'guardduty',
      detectorId: 'abc123',
      action: spec.instanceId
        ? { actionType: 'NETWORK_CONNECTION', networkConnectionAction: { connectionDirection: 'INBOUND', remoteIpDetails, protocol: 'TCP', blocked: false } }
        : { actionType: 'AWS_API_CALL', awsApiCallAction: { api: 'ListBuckets', serviceName: 's3.amazonaws.com', callerType: 'Remote IP', remoteIpDetails } },
      resourceRole: 'TARGET',
      eventFirstSeen: spec.createdAt ?? at,
      eventLastSeen: at,
      archived: false,
      count: spec.count ?? 1,
    },
    severity: spec.severity ?? 5,
    createdAt: spec.createdAt ?? at,
    updatedAt: at,
    title: spec.title ?? `Generated finding ${id.slice(0, 8)}`,
    description: spec.description ?? 'A generated finding.',
  };
}
