import { approvalExpiresAt, approvalRuleFor, isExpired, type ApprovalRule, type ApprovalTarget } from '../../../../src/domain/access';

const PROD = '111111111111';
const DEV = '222222222222';
const target = (over: Partial<ApprovalTarget> = {}): ApprovalTarget => ({ accountId: DEV, environment: 'dev', kind: 'ec2-instance', ...over });

describe('approvalRuleFor, per intent (issue 17 point 6)', () => {
  it('a rule holds revert too unless its intents say otherwise', () => {
    const both: ApprovalRule[] = [{ name: 'prod', accounts: [PROD] }];
    expect(approvalRuleFor(target({ accountId: PROD }), both, 'revert')?.name).toBe('prod');
    const containOnly: ApprovalRule[] = [{ name: 'prod', accounts: [PROD], intents: ['contain'] }];
    expect(approvalRuleFor(target({ accountId: PROD }), containOnly, 'contain')?.name).toBe('prod');
    expect(approvalRuleFor(target({ accountId: PROD }), containOnly, 'revert')).toBeUndefined();
  });
});

describe('approvalRuleFor', () => {
  it('matches on account', () => {
    const rules: ApprovalRule[] = [{ name: 'prod account', accounts: [PROD] }];
    expect(approvalRuleFor(target({ accountId: PROD }), rules)?.name).toBe('prod account');
    expect(approvalRuleFor(target({ accountId: DEV }), rules)).toBeUndefined();
  });

  it('matches on environment', () => {
    const rules: ApprovalRule[] = [{ name: 'production', environments: ['production', 'staging'] }];
    expect(approvalRuleFor(target({ environment: 'staging' }), rules)?.name).toBe('production');
    expect(approvalRuleFor(target({ environment: 'dev' }), rules)).toBeUndefined();
  });

  it('matches on kind', () => {
    const rules: ApprovalRule[] = [{ name: 'identities', kinds: ['iam-role', 'iam-user'] }];
    expect(approvalRuleFor(target({ kind: 'iam-role' }), rules)?.name).toBe('identities');
    expect(approvalRuleFor(target({ kind: 'lambda-function' }), rules)).toBeUndefined();
  });

  it('needs every listed dimension to match', () => {
    const rules: ApprovalRule[] = [{ name: 'prod instances', accounts: [PROD], environments: ['production'], kinds: ['ec2-instance'] }];
    expect(approvalRuleFor(target({ accountId: PROD, environment: 'production' }), rules)?.name).toBe('prod instances');
    expect(approvalRuleFor(target({ accountId: PROD, environment: 'production', kind: 'access-key' }), rules)).toBeUndefined();
    expect(approvalRuleFor(target({ accountId: DEV, environment: 'production' }), rules)).toBeUndefined();
    expect(approvalRuleFor(target({ accountId: PROD, environment: 'dev' }), rules)).toBeUndefined();
  });

  it('treats an omitted or empty dimension as matching all', () => {
    expect(approvalRuleFor(target(), [{ name: 'everything' }])?.name).toBe('everything');
    expect(approvalRuleFor(target({ kind: 'access-key' }), [{ name: 'keys anywhere', kinds: ['access-key'] }])?.name).toBe('keys anywhere');
    expect(approvalRuleFor(target(), [{ name: 'empty list', accounts: [] }])?.name).toBe('empty list');
  });

  it('returns the first matching rule in config order', () => {
    const rules: ApprovalRule[] = [{ name: 'prod', accounts: [PROD] }, { name: 'roles', kinds: ['iam-role'] }, { name: 'all' }];
    expect(approvalRuleFor(target({ accountId: PROD, kind: 'iam-role' }), rules)?.name).toBe('prod');
    expect(approvalRuleFor(target({ kind: 'iam-role' }), rules)?.name).toBe('roles');
    expect(approvalRuleFor(target(), rules)?.name).toBe('all');
  });

  it('matches nothing without rules', () => {
    expect(approvalRuleFor(target(), [])).toBeUndefined();
  });
});

describe('approval expiry', () => {
  const requested = new Date('2026-11-22T03:00:00.000Z');
  const ttl = 30 * 60_000;
  const expires = approvalExpiresAt(requested, ttl);

  it('expires ttl after the request', () => {
    expect(expires.toISOString()).toBe('2026-11-22T03:30:00.000Z');
  });

  it('is live up to, and expired from, the expiry instant', () => {
    const iso = expires.toISOString();
    expect(isExpired(iso, requested)).toBe(false);
    expect(isExpired(iso, new Date(expires.getTime() - 1))).toBe(false);
    expect(isExpired(iso, expires)).toBe(true);
    expect(isExpired(iso, new Date(expires.getTime() + 1))).toBe(true);
  });

  it('honours an offset in the stored time', () => {
    expect(isExpired('2026-11-22T04:30:00+01:00', new Date('2026-11-22T03:29:59.999Z'))).toBe(false);
    expect(isExpired('2026-11-22T04:30:00+01:00', new Date('2026-11-22T03:30:00Z'))).toBe(true);
  });

  it('treats an unreadable expiry as expired', () => {
    expect(isExpired('not a time', requested)).toBe(true);
    expect(isExpired('', requested)).toBe(true);
  });
});
