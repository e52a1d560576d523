import { AwsSandbox, sandboxClientFactory as sandboxFactory } from '../../sandbox/aws';
import type { ClientFactory } from '../../src/aws/aws-clients';
import { CrossAccountClients } from '../../src/aws/aws-clients';
import { ContainmentService } from '../../src/containment/containment-service';
import { silentLogger } from '../../src/log';
import { SqliteStore } from '../../src/store/sqlite-store';
import type { AccountState } from '../../sandbox/aws/sim-state';
import type { Partition } from '../../src/domain/actions/target';

export const SECURITY_ACCOUNT = '999999999999';
export const PROD = '111111111111';
export const SANDBOX = '222222222222';
export const OUTSIDE = '333333333333';
export const REGION = 'us-east-1';
export const ROLE = 'CordonContainment';
export const EXTERNAL_ID = 'test-external-id';

export function sandboxClientFactory(sb: AwsSandbox, opts: { maxAttempts?: number; retryMode?: 'standard' | 'adaptive'; region?: string } = {}): ClientFactory {
  return sandboxFactory(sb, SECURITY_ACCOUNT, opts);
}

/** A sandbox with the containment role in the production and sandbox accounts, and a ContainmentService over it. */
export function containmentHarness(
  opts: {
    untrackSeconds?: number;
    snapshots?: boolean;
    externalId?: string;
    maxAttempts?: number;
    retryMode?: 'standard' | 'adaptive';
    /** `containment.protectedPrincipals` (the containment role is always protected, as in the composition root). */
    protectedPrincipals?: string[];
    /** One virtual clock for AWS and Cordon: Cordon's sleeps (backoff, the untrack wait) move it on. */
    clock?: { now: () => number; sleep: (ms: number) => void };
    /** Every account (Cordon's and the members) in this partition, Cordon's region `region` (default us-east-1). */
    partition?: { partition: Partition; region: string };
  } = {},
) {
  const p = opts.partition?.partition ?? 'aws';
  const accountPartitions = Object.fromEntries([SECURITY_ACCOUNT, PROD, SANDBOX, OUTSIDE].map((a) => [a, p]));
  const sb = new AwsSandbox({ seed: 7, accountPartitions, ...(opts.clock ? { clock: opts.clock.now } : {}) });
  for (const account of [PROD, SANDBOX, OUTSIDE]) {
    sb.createMemberRole(account, ROLE, { trustedPrincipalArn: `arn:${p}:iam::${SECURITY_ACCOUNT}:role/sandbox-admin`, externalId: EXTERNAL_ID });
  }
  const store = SqliteStore.open(':memory:');
  const factory = sandboxClientFactory(sb, {
    ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
    ...(opts.retryMode ? { retryMode: opts.retryMode } : {}),
    ...(opts.partition ? { region: opts.partition.region } : {}),
  });
  const accounts = new CrossAccountClients(factory, {
    roleName: ROLE,
    externalId: opts.externalId ?? EXTERNAL_ID,
    sessionSeconds: 3600,
    allowedAccounts: [PROD, SANDBOX],
    partition: p,
  });
  let r = 0.3;
  const service = new ContainmentService(store, accounts, factory, silentLogger, {
    partition: p,
    settings: { untrackSeconds: opts.untrackSeconds ?? 0, snapshots: opts.snapshots ?? true, protectedPrincipals: [ROLE, ...(opts.protectedPrincipals ?? [])] },
    random: () => (r = (r + 0.618) % 1),
    sleep: (ms) => {
      opts.clock?.sleep(ms);
      return Promise.resolve();
    },
    ...(opts.clock ? { now: () => new Date((opts.clock as { now: () => number }).now()) } : {}),
  });
  return { sb, store, service, factory };
}

/** What revert keeps on purpose, removed before comparing with the state before. */
export const EVIDENCE = ['EBS snapshots', 'the cordon:released tag', "Cordon's shared untrack/isolation groups", 'the revocation of credentials issued before containment'];

export function withoutEvidence(s: AccountState): AccountState {
  const c = structuredClone(s);
  for (const r of Object.values(c.regions)) {
    r.ec2.snapshots = {};
    for (const i of Object.values(r.ec2.instances)) i.tags = i.tags.filter((t) => t.Key !== 'cordon:released');
    for (const [id, g] of Object.entries(r.ec2.securityGroups)) if (g.tags.some((t) => t.Key === 'cordon:purpose')) delete r.ec2.securityGroups[id];
  }
  // Revocations of credentials issued before containment: the role's, the user's, and each instance's (issue 15, point 10;
  // an instance's is its cordon-instance-<id>, swapped from deny-all to the revocation on Revert).
  for (const holder of [...Object.values(c.iam.roles), ...Object.values(c.iam.users)]) {
    for (const name of Object.keys(holder.inlinePolicies)) if (name.startsWith('cordon-revoke-') || name.startsWith('cordon-instance-')) delete holder.inlinePolicies[name];
  }
  return c;
}
