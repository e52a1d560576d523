import type { Role } from '../../../../src/config/config-schema';
import {
  AccessErrorCode,
  auditRecord,
  decide,
  INTENTS,
  REQUIRED_ROLE,
  roleAtLeast,
  toAccessError,
  type AccessDenial,
  type AccessRequest,
  type Intent,
} from '../../../../src/domain/access';
import { CordonError } from '../../../../src/errors';

const TEAM = 'T0CORDON';
const ROLES_ASC: Role[] = ['viewer', 'responder', 'commander', 'admin'];

/**
 * docs/architecture.md §6, written out by hand on purpose: deriving it from REQUIRED_ROLE would
 * make the test agree with whatever the table says, right or wrong.
 */
const DESIGN_TABLE: Record<Role, Record<Intent, boolean>> = {
  viewer: {
    status: true, timeline: true, report: true, whoami: true, stats: true,
    contain: false, escalate: false, ack: false, note: false, 'invite-owner': false, 'dry-run': false,
    approve: false, reject: false, revert: false, resolve: false, close: false, suppress: false, unsuppress: false, merge: false, split: false,
  },
  responder: {
    status: true, timeline: true, report: true, whoami: true, stats: true,
    contain: true, escalate: true, ack: true, note: true, 'invite-owner': true, 'dry-run': true,
    approve: false, reject: false, revert: false, resolve: false, close: false, suppress: false, unsuppress: false, merge: false, split: false,
  },
  commander: {
    status: true, timeline: true, report: true, whoami: true, stats: true,
    contain: true, escalate: true, ack: true, note: true, 'invite-owner': true, 'dry-run': true,
    approve: true, reject: true, revert: true, resolve: true, close: true, suppress: true, unsuppress: true, merge: true, split: true,
  },
  admin: {
    status: true, timeline: true, report: true, whoami: true, stats: true,
    contain: true, escalate: true, ack: true, note: true, 'invite-owner': true, 'dry-run': true,
    approve: true, reject: true, revert: true, resolve: true, close: true, suppress: true, unsuppress: true, merge: true, split: true,
  },
};

function request(over: Partial<AccessRequest> & Pick<AccessRequest, 'intent' | 'role'>): AccessRequest {
  return { userId: 'U0ALICE', teamId: TEAM, expectedTeamId: TEAM, source: { kind: 'user' }, ...over };
}

function denial(r: AccessRequest): AccessDenial {
  const d = decide(r);
  if (d.allowed) throw new Error(`expected ${r.intent} by ${r.role} to be refused`);
  return d;
}

describe('decision table (docs/architecture.md §6)', () => {
  it('the hand-written table covers exactly the exported intents', () => {
    for (const role of ROLES_ASC) expect(Object.keys(DESIGN_TABLE[role]).sort()).toEqual([...INTENTS].sort());
  });

  const cases = ROLES_ASC.flatMap((role) => INTENTS.map((intent) => [role, intent, DESIGN_TABLE[role][intent]] as const));
  it.each(cases)('%s → %s allowed: %s', (role, intent, allowed) => {
    // A different requester so the four-eyes rule never masks the table.
    const d = decide(request({ intent, role, requesterId: 'U0SOMEONE' }));
    expect(d.allowed).toBe(allowed);
    if (!d.allowed) expect(d.code).toBe(AccessErrorCode.DENIED);
  });

  it('needed role is the lowest role the table allows', () => {
    for (const intent of INTENTS) {
      const lowest = ROLES_ASC.find((role) => DESIGN_TABLE[role][intent]);
      expect(REQUIRED_ROLE[intent]).toBe(lowest);
      expect(decide(request({ intent, role: 'viewer', requesterId: 'U0SOMEONE' })).needed).toBe(lowest);
    }
  });

  it('roleAtLeast follows viewer < responder < commander < admin', () => {
    ROLES_ASC.forEach((role, i) => ROLES_ASC.forEach((needed, j) => expect(roleAtLeast(role, needed)).toBe(i >= j)));
    expect(roleAtLeast('superuser' as Role, 'viewer')).toBe(false);
  });

  it('the table cannot be widened at run time', () => {
    expect(() => {
      (REQUIRED_ROLE as Record<Intent, Role>).approve = 'viewer';
    }).toThrow(TypeError);
    expect(REQUIRED_ROLE.approve).toBe('commander');
  });
});

describe('workspace', () => {
  it.each(INTENTS)('refuses %s from another workspace even for an admin', (intent) => {
    const d = denial(request({ intent, role: 'admin', teamId: 'T0OTHER', requesterId: 'U0SOMEONE' }));
    expect(d.code).toBe('ACCESS.WRONG_WORKSPACE');
  });

  it('refuses a payload without a team id', () => {
    expect(denial(request({ intent: 'status', role: 'admin', teamId: '' })).code).toBe('ACCESS.WRONG_WORKSPACE');
  });

  it('checks the workspace before the role', () => {
    expect(denial(request({ intent: 'approve', role: 'viewer', teamId: 'T0OTHER' })).code).toBe('ACCESS.WRONG_WORKSPACE');
  });
});

describe('approval (four eyes)', () => {
  it('refuses an admin approving their own request', () => {
    const d = denial(request({ intent: 'approve', role: 'admin', userId: 'U0ALICE', requesterId: 'U0ALICE' }));
    expect(d.code).toBe('ACCESS.SELF_APPROVAL');
    expect(d.reason).toMatch(/another commander/);
  });

  it('refuses a commander approving their own request', () => {
    expect(denial(request({ intent: 'approve', role: 'commander', requesterId: 'U0ALICE' })).code).toBe('ACCESS.SELF_APPROVAL');
  });

  it('lets a different commander approve', () => {
    expect(decide(request({ intent: 'approve', role: 'commander', userId: 'U0BOB', requesterId: 'U0ALICE' }))).toEqual({
      allowed: true,
      intent: 'approve',
      role: 'commander',
      source: { kind: 'user' },
      needed: 'commander',
    });
  });

  it('refuses a responder approving someone else’s request', () => {
    const d = denial(request({ intent: 'approve', role: 'responder', userId: 'U0BOB', requesterId: 'U0ALICE' }));
    expect(d.code).toBe('ACCESS.DENIED');
    expect(d.reason).toBe('You are a responder; `approve` needs commander or above.');
  });

  it('refuses an approval when the requester is unknown', () => {
    expect(denial(request({ intent: 'approve', role: 'admin' })).code).toBe('ACCESS.DENIED');
  });

  it('lets the requester reject (withdraw) their own request', () => {
    expect(decide(request({ intent: 'reject', role: 'commander', requesterId: 'U0ALICE' })).allowed).toBe(true);
  });
});

describe('reasons', () => {
  it.each([
    ['viewer', 'contain', 'You are a viewer; `contain` needs responder or above.'],
    ['viewer', 'dry-run', 'You are a viewer; `dry-run` needs responder or above.'],
    ['responder', 'revert', 'You are a responder; `revert` needs commander or above.'],
    ['viewer', 'suppress', 'You are a viewer; `suppress` needs commander or above.'],
  ] as const)('%s asking for %s', (role, intent, reason) => {
    const d = denial(request({ intent, role }));
    expect(d.reason).toBe(reason);
    expect(d.role).toBe(role);
  });

  it('every role refusal names the user’s role and the needed role', () => {
    for (const role of ROLES_ASC) {
      for (const intent of INTENTS) {
        const d = decide(request({ intent, role, requesterId: 'U0SOMEONE' }));
        if (d.allowed) continue;
        expect(d.reason).toContain(role);
        expect(d.reason).toContain(d.needed);
        expect(d.reason).toContain(`\`${intent}\``);
      }
    }
  });
});

describe('toAccessError', () => {
  it('carries the code, the reason and the roles', () => {
    const err = toAccessError(denial(request({ intent: 'contain', role: 'viewer' })));
    expect(err).toBeInstanceOf(CordonError);
    expect(err.code).toBe('ACCESS.DENIED');
    expect(err.message).toBe('You are a viewer; `contain` needs responder or above.');
    expect(err.details).toEqual({ intent: 'contain', role: 'viewer', needed: 'responder' });
  });

  it.each([
    [request({ intent: 'status', role: 'admin', teamId: 'T0OTHER' }), 'ACCESS.WRONG_WORKSPACE'],
    [request({ intent: 'approve', role: 'admin', requesterId: 'U0ALICE' }), 'ACCESS.SELF_APPROVAL'],
  ])('uses the decision code (%#)', (r, code) => {
    expect(toAccessError(denial(r)).code).toBe(code);
  });
});

describe('auditRecord', () => {
  const at = new Date('2026-11-22T03:00:00Z');

  it('records an allowed decision without refusal fields', () => {
    const r = request({ intent: 'contain', role: 'responder', source: { kind: 'group', groupId: 'S0IR' }, target: 'arn:aws:iam::123456789012:user/x' });
    const rec = auditRecord(r, decide(r), at);
    expect(rec).toEqual({
      at: '2026-11-22T03:00:00.000Z',
      userId: 'U0ALICE',
      teamId: TEAM,
      intent: 'contain',
      role: 'responder',
      roleSource: { kind: 'group', groupId: 'S0IR' },
      allowed: true,
      target: 'arn:aws:iam::123456789012:user/x',
    });
    expect(JSON.parse(JSON.stringify(rec))).toEqual(rec);
  });

  it('records a denied decision with code and reason', () => {
    const r = request({ intent: 'approve', role: 'admin', source: { kind: 'default' }, requesterId: 'U0ALICE', target: 'A-20261122030000-ab12' });
    const rec = auditRecord(r, decide(r), at);
    expect(rec).toMatchObject({ allowed: false, code: 'ACCESS.SELF_APPROVAL', roleSource: { kind: 'default' }, requesterId: 'U0ALICE' });
    expect(rec.reason).toMatch(/another commander/);
    expect(JSON.parse(JSON.stringify(rec))).toEqual(rec);
  });

  it('does not share the source object with the request', () => {
    const source = { kind: 'group' as const, groupId: 'S0IR' };
    const r = request({ intent: 'status', role: 'viewer', source });
    const rec = auditRecord(r, decide(r), at);
    source.groupId = 'S0CHANGED';
    expect(rec.roleSource).toEqual({ kind: 'group', groupId: 'S0IR' });
  });
});
