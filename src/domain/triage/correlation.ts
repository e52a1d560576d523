import type { Target } from '../actions/target';
import type { Finding, FindingResource } from '../findings/finding';

/**
 * The correlation key formats, written once: triage keys a finding by them and a manual
 * case (`/ir contain` outside a case channel) keys its target by them, and a case is
 * joined only when the two spell a key the same way. Scoped by account (and region)
 * where the name alone is not unique.
 */
export const CorrelationKey = {
  finding: (findingId: string): string => `finding:${findingId}`,
  sequence: (findingId: string): string => `sequence:${findingId}`,
  accessKey: (accessKeyId: string): string => `access-key:${accessKeyId}`,
  principal: (accountId: string, name: string): string => `principal:${accountId}:${name}`,
  instance: (accountId: string, instanceId: string): string => `instance:${accountId}:${instanceId}`,
  bucket: (name: string): string => `bucket:${name}`,
  function: (accountId: string, region: string, name: string): string => `function:${accountId}:${region}:${name}`,
  cluster: (accountId: string, region: string, name: string): string => `cluster:${accountId}:${region}:${name}`,
  ecsCluster: (accountId: string, region: string, name: string): string => `ecs-cluster:${accountId}:${region}:${name}`,
  database: (accountId: string, region: string, id: string): string => `db:${accountId}:${region}:${id}`,
  databaseCluster: (accountId: string, region: string, id: string): string => `db-cluster:${accountId}:${region}:${id}`,
} as const;

/** The key of one named resource, where its kind is one Cordon correlates on. */
function resourceKey(f: Finding, r: FindingResource): string | undefined {
  switch (r.kind) {
    case 'ec2-instance':
      return CorrelationKey.instance(f.accountId, r.id);
    case 's3-bucket':
      return CorrelationKey.bucket(r.id);
    case 'lambda-function':
      return CorrelationKey.function(f.accountId, f.region, r.id);
    case 'eks-cluster':
      return CorrelationKey.cluster(f.accountId, f.region, r.id);
    case 'access-key':
      return CorrelationKey.accessKey(r.id);
    case 'ecs-cluster':
      return CorrelationKey.ecsCluster(f.accountId, f.region, r.id);
    case 'rds-instance':
      return CorrelationKey.database(f.accountId, f.region, r.id);
    case 'rds-cluster':
      return CorrelationKey.databaseCluster(f.accountId, f.region, r.id);
    default:
      return undefined;
  }
}

const afterLast = (s: string, sep: string): string => s.slice(s.lastIndexOf(sep) + 1);

/** A sequence's `ResourceV2` as a Cordon resource: uids may be ids or ARNs. */
function sequenceResource(r: { type: string; uid: string; name?: string }): FindingResource | undefined {
  switch (r.type) {
    case 'EC2_INSTANCE': {
      const id = /i-[0-9a-f]{8,17}$/.exec(r.uid)?.[0];
      return id ? { kind: 'ec2-instance', id } : undefined;
    }
    case 'S3_BUCKET':
      return { kind: 's3-bucket', id: r.uid.startsWith('arn:') ? afterLast(r.uid, ':') : r.uid };
    case 'ACCESS_KEY':
      return { kind: 'access-key', id: r.uid };
    case 'EKS_CLUSTER':
      return { kind: 'eks-cluster', id: r.name ?? afterLast(r.uid, '/') };
    case 'ECS_CLUSTER':
      return { kind: 'ecs-cluster', id: r.name ?? afterLast(r.uid, '/') };
    default:
      return undefined;
  }
}

/** Every resource a finding names for correlation: its own, those its API calls affected, and a sequence's. */
export function correlatedResources(f: Finding): FindingResource[] {
  const seq = (f.sequence?.resources ?? []).flatMap((r) => {
    const x = sequenceResource(r);
    return x ? [x] : [];
  });
  return [...f.resources, ...(f.affected ?? []), ...seq];
}

/** Keys that tie findings about the same incident together (docs/architecture.md §4, docs/triage.md). */
export function correlationKeys(f: Finding): string[] {
  const keys = new Set<string>([CorrelationKey.finding(f.id)]);
  for (const id of f.signalFindingIds) keys.add(CorrelationKey.finding(id));
  if (f.isAttackSequence) keys.add(CorrelationKey.sequence(f.id));
  if (f.actor.accessKeyId) keys.add(CorrelationKey.accessKey(f.actor.accessKeyId));
  if (f.actor.userName) keys.add(CorrelationKey.principal(f.accountId, f.actor.userName));
  else if (f.actor.principalId) keys.add(CorrelationKey.principal(f.accountId, f.actor.principalId));
  for (const a of f.sequence?.actors ?? []) {
    if (a.credentialUid) keys.add(CorrelationKey.accessKey(a.credentialUid));
    if (a.userName) keys.add(CorrelationKey.principal(a.accountId ?? f.accountId, a.userName));
  }
  for (const r of correlatedResources(f)) {
    const k = resourceKey(f, r);
    if (k) keys.add(k);
  }
  // A sample shares only with samples: GuardDuty's samples reuse placeholder ids
  // (i-99999999, GeneratedFindingAccessKeyId…) that must never pull a real case in.
  return f.sample ? [...keys].map((k) => `sample:${k}`) : [...keys];
}

/** Correlation keys of a containment target, in the shapes triage uses for findings. */
export function targetCorrelationKeys(t: Target): string[] {
  const account = t.accountId ?? '';
  switch (t.kind) {
    case 'ec2-instance':
      return [CorrelationKey.instance(account, t.id)];
    case 'iam-user':
    case 'iam-role':
      return [CorrelationKey.principal(account, t.id)];
    case 'lambda-function':
      return [CorrelationKey.function(account, t.region ?? '', t.id)];
    case 'access-key':
      return [CorrelationKey.accessKey(t.id)];
  }
}
