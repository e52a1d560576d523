import type { Action } from '../../../src/domain/actions/action';
import type { Case, NewTimelineEvent, StoredFinding } from '../../../src/domain/cases/case';
import { parseFinding } from '../../../src/domain/findings/parse-finding';
import type { PrincipalCheck } from '../../../src/domain/findings/principal-check';
import type { SuppressionRule } from '../../../src/domain/triage/suppression';
import { makeFindingDetail } from '../../../sandbox/findings/finding-factory';
import type { FindingPlacement, Store } from '../../../src/store/store';
import { verifyAuditChain } from '../../../src/store/audit-chain';

export const T = (h: number): string => new Date(Date.parse('2026-11-22T00:00:00.000Z') + h * 3_600_000).toISOString();
const WINDOW = T(-24);

export function draft(id: string, at = T(2)): Case {
  return {
    id,
    title: `case ${id}`,
    status: 'open',
    severity: 5,
    band: 'medium',
    accounts: ['111111111111'],
    regions: ['us-east-1'],
    primaryType: 'Recon:EC2/X',
    createdAt: at,
    updatedAt: at,
    lastActivityAt: at,
    mention: false,
    escalate: false,
    ownerEmails: [],
    cardPinned: false,
    cardDirty: false,
    version: 1,
  };
}

export function stored(id: string, patch: Partial<StoredFinding> = {}): StoredFinding {
  const parsed = parseFinding(makeFindingDetail({ id }));
  if (!parsed.ok) throw new Error(parsed.reason);
  return { id, finding: parsed.finding, band: 'medium', disposition: 'cased', firstSeenAt: T(1), lastSeenAt: T(1), cardDirty: false, source: 'test', version: 1, ...patch };
}

function action(id: string, patch: Partial<Action> = {}): Action {
  return {
    id,
    target: { kind: 'iam-user', ref: 'arn:aws:iam::111111111111:user/x', partition: 'aws', accountId: '111111111111', id: 'x' },
    kind: 'iam-user',
    requestedBy: 'U0A',
    dryRun: false,
    status: 'planned',
    plan: [],
    notes: [],
    steps: [],
    createdAt: T(1),
    updatedAt: T(1),
    version: 1,
    ...patch,
  };
}

const ev = (caseId: string, text: string, patch: Partial<NewTimelineEvent> = {}): NewTimelineEvent => ({ caseId, at: T(1), kind: 'note', actor: 'U0A', text, ...patch });

function placement(f: StoredFinding, keys: string[], caseId: string, activeSince = WINDOW): FindingPlacement {
  return {
    finding: f,
    claim: {
      draft: draft(caseId),
      keys,
      activeSince,
      onJoin: (existing) => ({ case: { ...existing, severity: Math.max(existing.severity, 8), lastActivityAt: T(3) }, events: [ev(existing.id, `joined by ${f.id}`)] }),
      onCreate: [ev(caseId, `opened by ${f.id}`)],
    },
    events: [{ at: T(1), kind: 'finding.added', actor: 'cordon', text: `added ${f.id}`, silent: true }],
  };
}

/** The behaviour every Store adapter must have; run against SQLite and DynamoDB. */
/**
 * What someone with write access to the store itself (the database file, or the table
 * without the functions' IAM limits) could do to an audit record, past every guard the
 * store puts up. The chain must still notice.
 */
export interface AuditTamperer {
  /** Changes the actor of record `seq` of `stream`. */
  edit(stream: string, seq: number): Promise<void>;
  remove(stream: string, seq: number): Promise<void>;
  /** Exchanges the contents of two records. */
  swap(stream: string, a: number, b: number): Promise<void>;
  /** Whether the store itself refuses an update or delete of a record (and how it says so). */
  refusesChange(): Promise<void>;
}

export function describeStoreContract(name: string, make: () => Promise<{ store: Store; cleanup(): Promise<void>; tamper?: AuditTamperer }>): void {
  describe(`Store contract: ${name}`, () => {
    let s: Store;
    let cleanup: () => Promise<void>;
    let tamper: AuditTamperer | undefined;
    beforeEach(async () => {
      const made = await make();
      s = made.store;
      tamper = made.tamper;
      cleanup = () => made.cleanup();
    });
    afterEach(async () => {
      await s.close();
      await cleanup();
    });

    describe('the audit trail is hash-chained per stream', () => {
      const fill = async (): Promise<void> => {
        for (let i = 1; i <= 4; i++) await s.appendAudit({ at: T(i), actor: `U0${i}`, event: `e${i}`, caseId: 'IR-20261122-AAAA', detail: { n: i } });
        await s.appendAudit({ at: T(5), actor: 'U0X', event: 'whoami' });
      };

      it('links each record to the one before it in its stream, and an untouched trail verifies', async () => {
        await fill();
        expect(await s.auditStreams()).toEqual(['IR-20261122-AAAA', 'cordon']);
        const recs = (await s.auditStreamRecords('IR-20261122-AAAA')).map((r) => r.record);
        expect(recs.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
        expect(recs[0]!.prevHash).toBe('0'.repeat(64));
        for (let i = 1; i < recs.length; i++) expect(recs[i]!.prevHash).toBe(recs[i - 1]!.hash);
        expect(await verifyAuditChain(s)).toEqual({ ok: true, streams: 2, records: 5 });
        // Callers see their entries as they gave them.
        expect((await s.listAudit({ caseId: 'IR-20261122-AAAA' }))[0]).toEqual({ at: T(1), actor: 'U01', event: 'e1', caseId: 'IR-20261122-AAAA', detail: { n: 1 } });
      });

      it('concurrent appends to one stream each get their own place in the chain', async () => {
        await Promise.all(Array.from({ length: 8 }, (_, i) => s.appendAudit({ at: T(i), actor: 'U0R', event: `r${i}`, caseId: 'IR-20261122-RACE' })));
        expect((await s.auditStreamRecords('IR-20261122-RACE')).map((r) => r.record.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        expect((await verifyAuditChain(s)).ok).toBe(true);
      });

      it('the store refuses to change or remove a record', async () => {
        await fill();
        await tamper?.refusesChange();
      });

      it.each([
        ['edited', (t: AuditTamperer) => t.edit('IR-20261122-AAAA', 2), 2, /edited/],
        ['deleted', (t: AuditTamperer) => t.remove('IR-20261122-AAAA', 2), 3, /record 2 of the stream is missing/],
        ['swapped', (t: AuditTamperer) => t.swap('IR-20261122-AAAA', 2, 3), 3, /stored where number 2 belongs/],
      ] as const)('a record %s is named by the verifier', async (_what, act, seq, reason) => {
        await fill();
        await act(tamper!);
        const v = await verifyAuditChain(s);
        expect(v).toMatchObject({ ok: false, stream: 'IR-20261122-AAAA', seq });
        expect(v.ok ? '' : v.reason).toMatch(reason);
      });
    });

    it('pings', async () => {
      await expect(s.ping()).resolves.toBeUndefined();
    });

    it('claims: joins an open case sharing a key in the window, else opens one; never joins a closed case', async () => {
      expect((await s.claimCase(draft('IR-20261122-AAAA'), ['key:a', 'user:x'], WINDOW)).created).toBe(true);
      expect(await s.claimCase(draft('IR-20261122-BBBB'), ['user:x', 'bucket:y'], WINDOW)).toMatchObject({ created: false, case: { id: 'IR-20261122-AAAA' } });
      expect((await s.claimCase(draft('IR-20261122-CCCC'), ['bucket:y'], WINDOW)).case.id).toBe('IR-20261122-AAAA');
      expect((await s.claimCase(draft('IR-20261122-DDDD'), ['key:a'], T(30))).created).toBe(true);
      const d = (await s.getCase('IR-20261122-DDDD'))!;
      expect(await s.updateCase({ ...d, status: 'closed' })).toBe(true);
      expect((await s.claimCase(draft('IR-20261122-EEEE', T(40)), ['key:a'], T(30))).created).toBe(true);
      await expect(s.claimCase(draft('IR-20261122-EEEE'), ['other'], WINDOW)).rejects.toMatchObject({ code: 'STORE.CONFLICT' });
    });

    it('claims concurrently: ten claims on one key make exactly one case', async () => {
      const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => s.claimCase(draft(`IR-20261122-C00${i}`), ['key:race'], WINDOW)));
      expect(claims.filter((c) => c.created)).toHaveLength(1);
      expect(new Set(claims.map((c) => c.case.id)).size).toBe(1);
      expect(await s.listCases()).toHaveLength(1);
    });

    it('compare-and-set: a stale write changes nothing; a good one bumps the version', async () => {
      await s.claimCase(draft('IR-20261122-AAAA'), [], WINDOW);
      const a = (await s.getCase('IR-20261122-AAAA'))!;
      const b = (await s.getCase('IR-20261122-AAAA'))!;
      expect(await s.updateCase({ ...a, title: 'first' })).toBe(true);
      expect(await s.updateCase({ ...b, title: 'second' })).toBe(false);
      expect(await s.getCase('IR-20261122-AAAA')).toMatchObject({ title: 'first', version: 2 });
      const f = stored('f1');
      expect(await s.insertFinding(f)).toBe(true);
      expect(await s.insertFinding(f)).toBe(false);
      const f2 = { ...f };
      expect(await s.updateFinding(f2)).toBe(true);
      expect(f2.version).toBe(2);
      expect(await s.updateFinding({ ...f, title: 'x' } as StoredFinding)).toBe(false);
      const act = action('A-20261122010000-aaaa');
      expect(await s.insertAction(act)).toBe(true);
      expect(await s.insertAction(act)).toBe(false);
      const running = { ...act, status: 'running' as const };
      expect(await s.updateAction(running)).toBe(true);
      expect(running.version).toBe(2);
      expect(await s.updateAction({ ...act, status: 'failed' })).toBe(false);
      expect((await s.getAction(act.id))!.status).toBe('running');
      expect((await s.listActions({ status: ['planned'] })).map((x) => x.id)).toEqual([]);
      expect((await s.listActions({ status: ['running'] })).map((x) => x.id)).toEqual([act.id]);
    });

    it('one live action per target: of two plans racing for one target exactly one is stored, and the target is free again once it ends', async () => {
      const ids = ['A-20261122010000-aaaa', 'A-20261122010000-bbbb', 'A-20261122010000-cccc', 'A-20261122010000-dddd'];
      const results = await Promise.all(ids.map((id) => s.insertAction(action(id), { exclusiveTarget: true })));
      expect(results.filter(Boolean)).toHaveLength(1);
      const live = await s.listActions({ status: ['planned'] });
      expect(live).toHaveLength(1);
      const winner = live[0]!;
      expect(ids[results.indexOf(true)]).toBe(winner.id);
      // A dry run and another target are never blocked.
      expect(await s.insertAction(action('A-20261122010000-eeee', { dryRun: true, status: 'dry_run' }), { exclusiveTarget: true })).toBe(true);
      const other = action('A-20261122010000-ffff', { target: { kind: 'iam-user', ref: 'arn:aws:iam::111111111111:user/y', partition: 'aws', accountId: '111111111111', id: 'y' } });
      expect(await s.insertAction(other, { exclusiveTarget: true })).toBe(true);
      // Reverted: the next plan on the target goes through.
      expect(await s.updateAction({ ...winner, status: 'reverted' })).toBe(true);
      expect(await s.insertAction(action('A-20261122020000-gggg'), { exclusiveTarget: true })).toBe(true);
      expect(await s.insertAction(action('A-20261122020000-hhhh'), { exclusiveTarget: true })).toBe(false);
    });

    it('places findings: opens, joins (onJoin applied), refuses a repeat, and keeps the batch order', async () => {
      const [r1, r2, r3] = await s.placeFindings([
        placement(stored('f1'), ['k:1'], 'IR-20261122-AAAA'),
        placement(stored('f2'), ['k:1', 'k:2'], 'IR-20261122-BBBB'),
        placement(stored('f3', { firstSeenAt: T(0) }), ['k:3'], 'IR-20261122-CCCC'),
      ]);
      expect(r1).toMatchObject({ inserted: true, created: true, case: { id: 'IR-20261122-AAAA' } });
      expect(r2).toMatchObject({ inserted: true, created: false, case: { id: 'IR-20261122-AAAA', severity: 8 } });
      expect(r3).toMatchObject({ inserted: true, created: true, case: { id: 'IR-20261122-CCCC' } });
      expect(await s.getCase('IR-20261122-AAAA')).toMatchObject({ severity: 8, lastActivityAt: T(3) });
      expect((await s.getFinding('f2'))!.caseId).toBe('IR-20261122-AAAA');
      const before = await s.listTimeline('IR-20261122-AAAA');
      expect(before.map((e) => e.text)).toEqual(['opened by f1', 'added f1', 'joined by f2', 'added f2']);
      expect(await s.placeFinding(placement(stored('f2'), ['k:9'], 'IR-20261122-DDDD'))).toEqual({ inserted: false });
      expect(await s.listTimeline('IR-20261122-AAAA')).toEqual(before);
      expect(await s.getCase('IR-20261122-DDDD')).toBeUndefined();
      // k:2 came with f2: it now leads to the same case.
      expect((await s.claimCase(draft('IR-20261122-EEEE'), ['k:2'], WINDOW)).case.id).toBe('IR-20261122-AAAA');
      // A finding without a claim (digest) opens nothing.
      expect(await s.placeFinding({ finding: stored('f4', { disposition: 'digest' }), events: [] })).toEqual({ inserted: true, created: false });
    });

    it('lists findings by case and disposition in first-seen order; publish and digest queues', async () => {
      await s.claimCase(draft('IR-20261122-AAAA'), [], WINDOW);
      await s.claimCase(draft('IR-20261122-BBBB'), [], WINDOW);
      await s.insertFinding(stored('f2', { caseId: 'IR-20261122-AAAA', firstSeenAt: T(2) }));
      await s.insertFinding(stored('f1', { caseId: 'IR-20261122-AAAA', firstSeenAt: T(1) }));
      await s.insertFinding(stored('f3', { caseId: 'IR-20261122-BBBB', firstSeenAt: T(0) }));
      await s.insertFinding(stored('d1', { disposition: 'digest', firstSeenAt: T(5) }));
      await s.insertFinding(stored('d2', { disposition: 'digest', firstSeenAt: T(4) }));
      await s.insertFinding(stored('s1', { disposition: 'suppressed', suppressedBy: 'r1' }));
      expect((await s.listFindings({ caseId: 'IR-20261122-AAAA' })).map((f) => f.id)).toEqual(['f1', 'f2']);
      expect((await s.listFindings({ disposition: 'digest' })).map((f) => f.id)).toEqual(['d2', 'd1']);
      expect((await s.listFindings({})).map((f) => f.id)).toEqual(['f3', 'f1', 's1', 'f2', 'd2', 'd1']);
      // Only attack sequences, when asked: a case's other findings are left unread.
      expect(await s.listFindings({ caseId: 'IR-20261122-AAAA', attackSequence: true })).toEqual([]);
      await s.claimCase(draft('IR-20261122-QQQQ'), [], WINDOW);
      const seq = stored('q1', { caseId: 'IR-20261122-QQQQ', firstSeenAt: T(3) });
      await s.insertFinding({ ...seq, finding: { ...seq.finding, isAttackSequence: true } });
      await s.insertFinding(stored('q2', { caseId: 'IR-20261122-QQQQ', firstSeenAt: T(2) }));
      expect((await s.listFindings({ caseId: 'IR-20261122-QQQQ', attackSequence: true })).map((f) => f.id)).toEqual(['q1']);
      expect((await s.listFindings({ caseId: 'IR-20261122-QQQQ' })).map((f) => f.id)).toEqual(['q2', 'q1']);
      // Only findings of cases that have a channel are published.
      expect(await s.findingsToPublish(10)).toEqual([]);
      const a = (await s.getCase('IR-20261122-AAAA'))!;
      await s.updateCase({ ...a, channelId: 'C0AAAA' });
      expect((await s.findingsToPublish(10)).map((f) => f.id)).toEqual(['f1', 'f2']);
      expect((await s.findingsToPublish(1)).map((f) => f.id)).toEqual(['f1']);
      const f1 = (await s.getFinding('f1'))!;
      await s.updateFinding({ ...f1, cardTs: '1.1' });
      expect((await s.findingsToPublish(10)).map((f) => f.id)).toEqual(['f2']);
      expect((await s.digestPending(10)).map((f) => f.id)).toEqual(['d2', 'd1']);
      await s.markDigested(['d2'], T(6));
      expect((await s.digestPending(10)).map((f) => f.id)).toEqual(['d1']);
      expect((await s.getFinding('d2'))!.digestedAt).toBe(T(6));
    });

    it('pending principal checks: cased findings whose check was last asked for by a time, longest-waiting first; a verdict takes one off', async () => {
      await s.claimCase(draft('IR-20261122-PPPP'), [], WINDOW);
      const check = (patch: Partial<PrincipalCheck>): PrincipalCheck => ({ target: 'arn:aws:iam::111111111111:user/x', kind: 'iam-user', name: 'x', principalId: 'AIDAEXAMPLE', status: 'pending', ...patch });
      const inCase = { caseId: 'IR-20261122-PPPP' };
      await s.insertFinding(stored('p-late', { ...inCase, principalCheck: check({ requestedAt: T(3) }) }));
      await s.insertFinding(stored('p-early', { ...inCase, principalCheck: check({ requestedAt: T(1) }) }));
      // Asked for again at T(4): it waits from then, not from its first request.
      await s.insertFinding(stored('p-reasked', { ...inCase, principalCheck: check({ requestedAt: T(0), reaskedAt: T(4), reasks: 1 }) }));
      // Stored before requests were recorded: due at once.
      await s.placeFindings([{ finding: stored('p-legacy', { ...inCase, principalCheck: check({}) }), events: [] }]);
      await s.insertFinding(stored('p-verified', { ...inCase, principalCheck: check({ status: 'verified', requestedAt: T(0) }) }));
      await s.insertFinding(stored('p-digest', { disposition: 'digest', principalCheck: check({ requestedAt: T(0) }) }));
      await s.insertFinding(stored('p-none', inCase));
      expect((await s.pendingPrincipalChecks(T(3), 10)).map((f) => f.id)).toEqual(['p-legacy', 'p-early', 'p-late']);
      expect((await s.pendingPrincipalChecks(T(2), 10)).map((f) => f.id)).toEqual(['p-legacy', 'p-early']);
      expect((await s.pendingPrincipalChecks(T(9), 2)).map((f) => f.id)).toEqual(['p-legacy', 'p-early']);
      expect((await s.pendingPrincipalChecks(T(9), 10)).map((f) => f.id)).toEqual(['p-legacy', 'p-early', 'p-late', 'p-reasked']);
      // A re-ask moves it later; a verdict takes it off.
      const early = (await s.getFinding('p-early'))!;
      expect(await s.updateFinding({ ...early, principalCheck: check({ requestedAt: T(1), reaskedAt: T(5), reasks: 1 }) })).toBe(true);
      const late = (await s.getFinding('p-late'))!;
      expect(await s.updateFinding({ ...late, principalCheck: check({ status: 'unchecked', requestedAt: T(3), reason: 'the check could not be completed' }) })).toBe(true);
      expect((await s.pendingPrincipalChecks(T(4), 10)).map((f) => f.id)).toEqual(['p-legacy', 'p-reasked']);
      expect((await s.pendingPrincipalChecks(T(9), 10)).map((f) => f.id)).toEqual(['p-legacy', 'p-reasked', 'p-early']);
    });

    it('finds cases by channel and status; the publish queue holds only unfinished ones', async () => {
      for (const id of ['IR-20261122-BBBB', 'IR-20261122-AAAA', 'IR-20261122-CCCC']) await s.claimCase(draft(id), [], WINDOW);
      expect((await s.listCases()).map((c) => c.id)).toEqual(['IR-20261122-AAAA', 'IR-20261122-BBBB', 'IR-20261122-CCCC']);
      const b = (await s.getCase('IR-20261122-BBBB'))!;
      await s.updateCase({ ...b, channelId: 'C0BBBB', invitedAt: T(1), cardTs: '1.2', cardPinned: true, indexTs: '1.3', status: 'contained' });
      const c = (await s.getCase('IR-20261122-CCCC'))!;
      await s.updateCase({ ...c, status: 'closed' });
      expect((await s.getCaseByChannel('C0BBBB'))!.id).toBe('IR-20261122-BBBB');
      expect(await s.getCaseByChannel('C0NONE')).toBeUndefined();
      expect((await s.listCases({ status: ['open', 'contained'] })).map((x) => x.id)).toEqual(['IR-20261122-AAAA', 'IR-20261122-BBBB']);
      expect((await s.casesToPublish(10)).map((x) => x.id)).toEqual(['IR-20261122-AAAA']);
    });

    it('timeline: ids increase, silent events count as posted, posting takes an event off the queue', async () => {
      await s.claimCase(draft('IR-20261122-AAAA'), [], WINDOW);
      await s.claimCase(draft('IR-20261122-BBBB'), [], WINDOW);
      const e1 = await s.appendTimeline(ev('IR-20261122-AAAA', 'one'));
      const e2 = await s.appendTimeline(ev('IR-20261122-AAAA', 'two', { silent: true }));
      const e3 = await s.appendTimeline(ev('IR-20261122-BBBB', 'three'));
      expect(e2.id).toBeGreaterThan(e1.id);
      expect(e3.id).toBeGreaterThan(e2.id);
      expect(e2.postedTs).toBe('silent');
      expect(await s.unpostedTimeline(10)).toEqual([]);
      const a = (await s.getCase('IR-20261122-AAAA'))!;
      await s.updateCase({ ...a, channelId: 'C0AAAA' });
      expect((await s.unpostedTimeline(10)).map((e) => e.text)).toEqual(['one']);
      await s.markTimelinePosted(e1.id, '9.9');
      expect(await s.unpostedTimeline(10)).toEqual([]);
      expect((await s.listTimeline('IR-20261122-AAAA')).map((e) => [e.id, e.text, e.postedTs])).toEqual([
        [e1.id, 'one', '9.9'],
        [e2.id, 'two', 'silent'],
      ]);
    });

    it('keeps rejected inputs, newest first, and actions, audit, suppressions and checkpoints', async () => {
      const r1 = await s.addRejected({ at: T(1), source: 'ingest', reason: 'id: empty', raw: '{}' });
      const r2 = await s.addRejected({ at: T(2), source: 'ingest', reason: 'bad', findingId: 'f9', raw: '[]' });
      expect(r2.id).toBeGreaterThan(r1.id);
      expect(await s.listRejected(1)).toEqual([{ id: r2.id, at: T(2), source: 'ingest', reason: 'bad', findingId: 'f9', raw: '[]' }]);
      expect((await s.listRejected(10)).map((r) => r.id)).toEqual([r2.id, r1.id]);

      await s.insertAction(action('A-20261122020000-bbbb', { caseId: 'IR-1', createdAt: T(2) }));
      await s.insertAction(action('A-20261122010000-aaaa', { caseId: 'IR-1', createdAt: T(1) }));
      await s.insertAction(action('A-20261122030000-cccc', { caseId: 'IR-2', createdAt: T(3), status: 'applied' }));
      expect((await s.listActions({ caseId: 'IR-1' })).map((a) => a.id)).toEqual(['A-20261122010000-aaaa', 'A-20261122020000-bbbb']);
      expect((await s.listActions({})).map((a) => a.id)).toEqual(['A-20261122010000-aaaa', 'A-20261122020000-bbbb', 'A-20261122030000-cccc']);
      expect((await s.listActions({ status: ['applied', 'planned'] })).map((a) => a.id)).toEqual(['A-20261122010000-aaaa', 'A-20261122020000-bbbb', 'A-20261122030000-cccc']);
      expect((await s.listActions({ caseId: 'IR-1', status: ['applied'] })).map((a) => a.id)).toEqual([]);

      await s.appendAudit({ at: T(1), actor: 'U0A', event: 'e1', caseId: 'IR-1', actionId: 'A-1', allowed: true });
      await s.appendAudit({ at: T(2), actor: 'U0B', event: 'e2', caseId: 'IR-1' });
      await s.appendAudit({ at: T(3), actor: 'U0C', event: 'e3', actionId: 'A-1', allowed: false, detail: { why: 'x' } });
      expect((await s.listAudit({ caseId: 'IR-1' })).map((e) => e.event)).toEqual(['e1', 'e2']);
      expect((await s.listAudit({ actionId: 'A-1' })).map((e) => e.event)).toEqual(['e1', 'e3']);
      expect((await s.listAudit({})).map((e) => e.event)).toEqual(['e1', 'e2', 'e3']);

      const rule: SuppressionRule = { id: 's-1a2b3c', reason: 'scanners', type: 'Recon:EC2/*', author: 'U0A', createdAt: T(1) };
      await s.putSuppression(rule);
      await s.putSuppression({ ...rule, id: 's-2b3c4d' });
      expect((await s.activeSuppressions()).map((r) => r.id)).toEqual(['s-1a2b3c', 's-2b3c4d']);
      await s.putSuppression({ ...rule, liftedAt: T(2) });
      expect((await s.activeSuppressions()).map((r) => r.id)).toEqual(['s-2b3c4d']);
      expect((await s.getSuppression('s-1a2b3c'))!.liftedAt).toBe(T(2));
      expect(await s.getSuppression('s-000000')).toBeUndefined();

      expect(await s.getCheckpoint('poller:us-east-1')).toBeUndefined();
      await s.setCheckpoint('poller:us-east-1', '1');
      await s.setCheckpoint('poller:us-east-1', '2');
      expect(await s.getCheckpoint('poller:us-east-1')).toBe('2');
    });

    it('jobs: recorded once, listed oldest first, gone when deleted', async () => {
      await s.putJob({ id: 'J-2', enqueuedAt: T(2), job: { type: 'publish' } });
      await s.putJob({ id: 'J-1', enqueuedAt: T(1), job: { type: 'apply', actionId: 'A-20261122010000-aaaa', by: 'U0A', target: 'arn:aws:iam::111111111111:user/x' } });
      await s.putJob({ id: 'J-1', enqueuedAt: T(3), job: { type: 'publish' } });
      expect(await s.listJobs(10)).toEqual([
        { id: 'J-1', enqueuedAt: T(1), job: { type: 'apply', actionId: 'A-20261122010000-aaaa', by: 'U0A', target: 'arn:aws:iam::111111111111:user/x' } },
        { id: 'J-2', enqueuedAt: T(2), job: { type: 'publish' } },
      ]);
      expect((await s.listJobs(1)).map((j) => j.id)).toEqual(['J-1']);
      await s.deleteJob('J-1');
      await s.deleteJob('J-9');
      expect((await s.listJobs(10)).map((j) => j.id)).toEqual(['J-2']);
    });

    it('leases: one holder at a time; the holder renews; an ended lease can be taken; release only by the holder', async () => {
      expect(await s.acquireLease('publisher', 'p1', T(1), T(0))).toBe(true);
      expect(await s.acquireLease('publisher', 'p2', T(1), T(0))).toBe(false);
      expect(await s.acquireLease('publisher', 'p1', T(2), T(0.5))).toBe(true);
      expect(await s.acquireLease('publisher', 'p2', T(3), T(1.5))).toBe(false);
      expect(await s.acquireLease('other', 'p2', T(3), T(1.5))).toBe(true);
      // p1's renewed lease ended at T(2): p2 may take it then, and p1's release leaves p2's alone.
      expect(await s.acquireLease('publisher', 'p2', T(3), T(2))).toBe(true);
      await s.releaseLease('publisher', 'p1');
      expect(await s.acquireLease('publisher', 'p1', T(4), T(2.5))).toBe(false);
      await s.releaseLease('publisher', 'p2');
      expect(await s.acquireLease('publisher', 'p1', T(4), T(2.5))).toBe(true);
    });

    it('leases: of ten racing for a free lease, exactly one wins', async () => {
      const won = await Promise.all(Array.from({ length: 10 }, (_, i) => s.acquireLease('race', `p${i}`, T(1), T(0))));
      expect(won.filter(Boolean)).toHaveLength(1);
    });
  });
}
