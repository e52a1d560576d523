import type { Finding } from '../findings/finding';

/**
 * Keys that tie findings about the same incident together (DESIGN §4). Scoped by
 * account where the name alone is not unique across accounts.
 */
export function correlationKeys(f: Finding): string[] {
  const keys = new Set<string>([`finding:${f.id}`]);
  for (const id of f.signalFindingIds) keys.add(`finding:${id}`);
  if (f.isAttackSequence) keys.add(`sequence:${f.id}`);
  if (f.actor.accessKeyId) keys.add(`access-key:${f.actor.accessKeyId}`);
  if (f.actor.userName) keys.add(`principal:${f.accountId}:${f.actor.userName}`);
  else if (f.actor.principalId) keys.add(`principal:${f.accountId}:${f.actor.principalId}`);
  for (const r of f.resources) {
    switch (r.kind) {
      case 'ec2-instance':
        keys.add(`instance:${f.accountId}:${r.id}`);
        break;
      case 's3-bucket':
        keys.add(`bucket:${r.id}`);
        break;
      case 'lambda-function':
        keys.add(`function:${f.accountId}:${f.region}:${r.id}`);
        break;
      case 'eks-cluster':
        keys.add(`cluster:${f.accountId}:${f.region}:${r.id}`);
        break;
      default:
        break;
    }
  }
  return [...keys];
}
