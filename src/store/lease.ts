import { randomUUID } from 'node:crypto';
import type { LeaseStore } from './store';

/** One lease as its holder sees it. */
export interface LeaseSpec {
  name: string;
  /** This holder's name: unique per process and holder (see {@link leaseOwner}). */
  owner: string;
  /** How long the lease lasts unless renewed: a dead holder's lease runs out after this. */
  ttlMs: number;
  now: () => Date;
}

/** A lease owner name no other process (nor this one restarted) shares. */
export function leaseOwner(kind: string): string {
  return `${kind}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

/** Takes the lease, or renews it when this owner holds it already. */
export function takeLease(store: LeaseStore, lease: LeaseSpec): Promise<boolean> {
  const now = lease.now();
  return store.acquireLease(lease.name, lease.owner, new Date(now.getTime() + lease.ttlMs).toISOString(), now.toISOString());
}

/**
 * Runs `fn` holding the lease: taken once, renewed on a timer while `fn` runs (not per
 * step: one slow call must not let it run out), released after. `held: false` when
 * someone else holds it; `fn` did not run.
 */
export async function withLease<T>(store: LeaseStore, lease: LeaseSpec, fn: () => Promise<T>): Promise<{ held: true; value: T } | { held: false }> {
  if (!(await takeLease(store, lease))) return { held: false };
  const renew = setInterval(() => void takeLease(store, lease).catch(() => undefined), Math.max(1000, lease.ttlMs / 3));
  try {
    return { held: true, value: await fn() };
  } finally {
    clearInterval(renew);
    await store.releaseLease(lease.name, lease.owner);
  }
}
