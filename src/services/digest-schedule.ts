import type { Store } from '../store/store';

const KEY = 'digest:lastPostedAt';

/** Whether the Low-severity digest is due, from the last time it was posted (kept in the store). */
export async function digestDue(store: Store, everyMs: number, now: Date): Promise<boolean> {
  const last = await store.getCheckpoint(KEY);
  if (!last) {
    // First run: start the period now rather than posting at once on every fresh start.
    await store.setCheckpoint(KEY, now.toISOString());
    return false;
  }
  return now.getTime() - Date.parse(last) >= everyMs;
}

export async function markDigestPosted(store: Store, now: Date): Promise<void> {
  await store.setCheckpoint(KEY, now.toISOString());
}
