import type { Case, StoredFinding } from '../../../../src/domain/cases/case';
import { isDigestPending, pickActiveCase, planPlacement, type FindingPlacement } from '../../../../src/domain/cases/placement';

const since = '2026-11-22T10:00:00.000Z';
const c = (id: string, status: Case['status'], lastActivityAt: string): Case =>
  ({ id, status, lastActivityAt, version: 3, title: id, accounts: [], regions: [], ownerEmails: [] }) as unknown as Case;

describe('pickActiveCase', () => {
  it('joins the most recently active open or contained case within the window', () => {
    const picked = pickActiveCase(
      [c('old', 'open', '2026-11-22T09:59:59.999Z'), c('a', 'open', '2026-11-22T10:00:00.000Z'), c('b', 'contained', '2026-11-22T11:00:00.000Z'), c('r', 'resolved', '2026-11-22T12:00:00.000Z')],
      since,
    );
    expect(picked?.id).toBe('b');
  });

  it('opens a new case when nothing sharing a key is active', () => {
    expect(pickActiveCase([c('x', 'closed', '2026-11-22T12:00:00.000Z'), c('y', 'open', '2026-11-21T00:00:00.000Z')], since)).toBeUndefined();
  });
});

describe('isDigestPending', () => {
  it('is a digest finding not yet digested', () => {
    expect(isDigestPending({ disposition: 'digest' })).toBe(true);
    expect(isDigestPending({ disposition: 'digest', digestedAt: since })).toBe(false);
    expect(isDigestPending({ disposition: 'cased' })).toBe(false);
  });
});

describe('planPlacement', () => {
  const finding = { id: 'f1', disposition: 'cased', version: 1 } as StoredFinding;
  const placement = (existing: Case): FindingPlacement => ({
    finding,
    claim: {
      draft: c('draft', 'open', since),
      keys: ['k'],
      activeSince: since,
      onJoin: (j) => ({ case: { ...j, title: 'widened' }, events: [{ caseId: j.id, at: since, kind: 'finding.severity_raised', actor: 'cordon', text: 'raised' }] }),
      onCreate: [{ caseId: 'draft', at: since, kind: 'case.opened', actor: 'cordon', text: 'opened' }],
    },
    events: [{ at: since, kind: 'finding.added', actor: 'cordon', text: `added to ${existing.id}` }],
  });

  it('joins: the case widened with its version bumped once, the finding and its events filed under it', () => {
    const existing = c('IR-1', 'open', since);
    const plan = planPlacement(placement(existing), { case: existing, created: false });
    expect(plan.join).toEqual({ case: expect.objectContaining({ id: 'IR-1', title: 'widened', version: 4 }) as Case, expectedVersion: 3 });
    expect(plan.finding.caseId).toBe('IR-1');
    expect(plan.events.map((e) => [e.caseId, e.kind])).toEqual([
      ['IR-1', 'finding.severity_raised'],
      ['IR-1', 'finding.added'],
    ]);
    expect(plan.result).toEqual({ inserted: true, created: false, case: plan.join?.case });
  });

  it('opens: the draft as it is, with the opening events first', () => {
    const draft = c('draft', 'open', since);
    const plan = planPlacement(placement(draft), { case: draft, created: true });
    expect(plan.join).toBeUndefined();
    expect(plan.events.map((e) => e.kind)).toEqual(['case.opened', 'finding.added']);
    expect(plan.result).toEqual({ inserted: true, created: true, case: draft });
  });

  it('stores an uncased finding alone', () => {
    const plan = planPlacement({ finding: { ...finding, disposition: 'digest' }, events: [] }, undefined);
    expect(plan).toEqual({ finding: { ...finding, disposition: 'digest' }, events: [], result: { inserted: true, created: false } });
  });
});
