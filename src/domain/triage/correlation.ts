import type { Target } from '../actions/target';
import type { Finding } from '../findings/finding';

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
} as const;

/** Keys that tie findings about the same incident together (docs/architecture.md §4). */
export function correlationKeys(f: Finding): string[] {
  const keys = new Set<string>([CorrelationKey.finding(f.id)]);
  for (const id of f.signalFindingIds) keys.add(CorrelationKey.finding(id));
  if (f.isAttackSequence) keys.add(CorrelationKey.sequence(f.id));
  if (f.actor.accessKeyId) keys.add(CorrelationKey.accessKey(f.actor.accessKeyId));
  if (f.actor.userName) keys.add(CorrelationKey.principal(f.accountId, f.actor.userName));
  else if (f.actor.principalId) keys.add(CorrelationKey.principal(f.accountId, f.actor.principalId));
  for (const r of f.resources) {
    switch (r.kind) {
      case 'ec2-instance':
        keys.add(CorrelationKey.instance(f.accountId, r.id));
        break;
      case 's3-bucket':
        keys.add(CorrelationKey.bucket(r.id));
        break;
      case 'lambda-function':
        keys.add(CorrelationKey.function(f.accountId, f.region, r.id));
        break;
      case 'eks-cluster':
        keys.add(CorrelationKey.cluster(f.accountId, f.region, r.id));
        break;
      default:
        break;
    }
  }
  return [...keys];
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
