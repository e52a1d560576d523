import { resolveRole, type RoleMapping } from '../../../../src/domain/access';

const access: RoleMapping = {
  default: 'viewer',
  users: { U0ALICE: 'commander', U0BOB: 'responder', U0DAVE: 'viewer' },
  groups: { S0ONCALL: 'responder', S0LEADS: 'commander', S0ALSOLEADS: 'commander', S0ADMINS: 'admin' },
};

describe('resolveRole', () => {
  it('uses the explicit user mapping', () => {
    expect(resolveRole({ userId: 'U0ALICE', userGroups: [] }, access)).toEqual({ role: 'commander', source: { kind: 'user' } });
  });

  it('uses a group mapping', () => {
    expect(resolveRole({ userId: 'U0CAROL', userGroups: ['S0ONCALL'] }, access)).toEqual({
      role: 'responder',
      source: { kind: 'group', groupId: 'S0ONCALL' },
    });
  });

  it('falls back to the default for an unknown user', () => {
    expect(resolveRole({ userId: 'U0NOBODY', userGroups: ['S0UNMAPPED'] }, access)).toEqual({ role: 'viewer', source: { kind: 'default' } });
    expect(resolveRole({ userId: 'U0NOBODY', userGroups: [] }, { ...access, default: 'responder' })).toEqual({
      role: 'responder',
      source: { kind: 'default' },
    });
  });

  it('takes the highest of user, groups and default', () => {
    expect(resolveRole({ userId: 'U0BOB', userGroups: ['S0ONCALL', 'S0ADMINS'] }, access)).toEqual({
      role: 'admin',
      source: { kind: 'group', groupId: 'S0ADMINS' },
    });
    expect(resolveRole({ userId: 'U0ALICE', userGroups: ['S0ONCALL'] }, access)).toEqual({ role: 'commander', source: { kind: 'user' } });
    // A user mapped lower than the default still gets the default.
    expect(resolveRole({ userId: 'U0DAVE', userGroups: [] }, { ...access, default: 'responder' })).toEqual({
      role: 'responder',
      source: { kind: 'default' },
    });
  });

  it('prefers the user mapping on a tie', () => {
    expect(resolveRole({ userId: 'U0ALICE', userGroups: ['S0LEADS'] }, access).source).toEqual({ kind: 'user' });
    expect(resolveRole({ userId: 'U0DAVE', userGroups: [] }, access).source).toEqual({ kind: 'user' });
  });

  it('prefers the first group in config order on a tie, whatever order Slack lists them', () => {
    expect(resolveRole({ userId: 'U0CAROL', userGroups: ['S0ALSOLEADS', 'S0LEADS'] }, access)).toEqual({
      role: 'commander',
      source: { kind: 'group', groupId: 'S0LEADS' },
    });
  });

  it('prefers a group over the default on a tie', () => {
    expect(resolveRole({ userId: 'U0CAROL', userGroups: ['S0ONCALL'] }, { ...access, default: 'responder' }).source).toEqual({
      kind: 'group',
      groupId: 'S0ONCALL',
    });
  });

  it('ignores inherited object keys posing as users or groups', () => {
    expect(resolveRole({ userId: 'constructor', userGroups: ['__proto__', 'toString'] }, access)).toEqual({
      role: 'viewer',
      source: { kind: 'default' },
    });
  });
});
