import { createHash } from 'node:crypto';
import type { AuditEntry } from './store';

/**
 * The audit trail is tamper-evident (issue 17 point 8): every record carries the hash of
 * the one before it in its stream, so editing, deleting or reordering a record breaks the
 * chain at that record, and `cordon audit verify` names it. A stream is a case's records
 * (`IR-…`) or, for records outside any case, `cordon`: one chain per case keeps appends to
 * different cases from contending for one head.
 */
export const GLOBAL_STREAM = 'cordon';
/** The `prevHash` of a stream's first record. */
export const GENESIS = '0'.repeat(64);

/** The fields the chain adds to an entry, written by the store on append. */
export interface ChainLink {
  stream: string;
  /** 1, 2, 3… within the stream. */
  seq: number;
  prevHash: string;
  hash: string;
}

export type ChainedAuditEntry = AuditEntry & ChainLink;

/** Which stream an entry belongs to. */
export function auditStream(entry: AuditEntry): string {
  return entry.caseId ?? GLOBAL_STREAM;
}

/** JSON with keys sorted at every level, so the hash does not depend on key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The hash of a record: its content (chain fields included, but its own hash) after the previous hash. */
export function hashOf(record: Omit<ChainedAuditEntry, 'hash'>): string {
  const { hash: _ignored, ...rest } = record as ChainedAuditEntry;
  return createHash('sha256').update(`${record.prevHash}\n${canonical(rest)}`).digest('hex');
}

/** The next record of a stream whose last record is `head` (none: the stream starts here). */
export function linkAudit(entry: AuditEntry, head: Pick<ChainLink, 'seq' | 'hash'> | undefined): ChainedAuditEntry {
  const plain = withoutLink(entry);
  const unhashed = { ...plain, stream: auditStream(entry), seq: (head?.seq ?? 0) + 1, prevHash: head?.hash ?? GENESIS };
  return { ...unhashed, hash: hashOf(unhashed) };
}

/** The entry as callers gave it (what `listAudit` returns). */
export function withoutLink(e: AuditEntry | ChainedAuditEntry): AuditEntry {
  const { stream: _s, seq: _q, prevHash: _p, hash: _h, ...plain } = e as ChainedAuditEntry;
  return plain;
}

/** What a store hands the verifier: one stream's records in the store's own order, with where each sits. */
export interface StoredAuditRecord {
  /** The store's key of the record (SQLite row id; DynamoDB sequence in the key). */
  position: number;
  record: ChainedAuditEntry;
}

/** The outcome of walking every stream. */
export type AuditVerification =
  | { ok: true; streams: number; records: number }
  | { ok: false; streams: number; records: number; stream: string; position: number; seq?: number; reason: string };

/** Port: what the verifier reads (both stores implement it). */
export interface AuditChainSource {
  auditStreams(): Promise<string[]>;
  auditStreamRecords(stream: string): Promise<StoredAuditRecord[]>;
}

/**
 * Walks each stream from its first record and stops at the first that does not fit: a
 * sequence gap (a record deleted), a sequence out of place (records swapped), a `prevHash`
 * that is not the previous record's hash, or a hash that does not match the content (edited).
 */
export async function verifyAuditChain(source: AuditChainSource, only?: readonly string[]): Promise<AuditVerification> {
  const all = await source.auditStreams();
  const streams = only ? all.filter((s) => only.includes(s)) : all;
  let records = 0;
  for (const stream of streams) {
    let prev = GENESIS;
    let expected = 1;
    const stored = await source.auditStreamRecords(stream);
    for (const { position, record } of stored) {
      records++;
      const bad = (reason: string): AuditVerification => ({ ok: false, streams: streams.length, records, stream, position, ...(typeof record.seq === 'number' ? { seq: record.seq } : {}), reason });
      if (record.stream !== stream) return bad(`the record says stream ${String(record.stream)}, but it is stored in ${stream}`);
      if (record.seq !== expected) {
        const moved = stored.some((r) => r.record.seq === expected);
        return bad(moved ? `the record is number ${record.seq}, stored where number ${expected} belongs (reordered)` : `record ${expected} of the stream is missing (deleted)`);
      }
      if (record.prevHash !== prev) return bad("its prevHash is not the previous record's hash (a record before it was changed, removed or moved)");
      if (hashOf(record) !== record.hash) return bad('its content does not match its hash (edited)');
      prev = record.hash;
      expected++;
    }
  }
  return { ok: true, streams: streams.length, records };
}

/** One line for a person: the CLI and the case report say it. */
export function describeVerification(v: AuditVerification): string {
  if (v.ok) return `audit trail verified: ${v.records} records in ${v.streams} stream${v.streams === 1 ? '' : 's'}, every hash chain intact`;
  return `audit trail does NOT verify: stream ${v.stream}, record ${v.seq ?? '?'} (stored at ${v.position}): ${v.reason}`;
}
