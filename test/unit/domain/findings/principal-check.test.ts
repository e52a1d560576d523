import { parseFinding } from '../../../../src/domain/findings/parse-finding';
import {
  CHECK_NOT_COMPLETED,
  judgePrincipal,
  PRINCIPAL_CHECK_GIVE_UP_MS,
  PRINCIPAL_CHECK_GRACE_MS,
  PRINCIPAL_CHECK_MAX_REASKS,
  principalCheckFor,
  principalCheckWords,
  sweepPendingCheck,
  uniqueIdOf,
  type PrincipalCheck,
} from '../../../../src/domain/findings/principal-check';
import type { Finding } from '../../../../src/domain/findings/finding';
import { renderFindingCard } from '../../../../src/slack/blocks/finding-card';
import { ActionId } from '../../../../src/slack/ids';

/** A finding about a key used by `userName` of type `userType`, seen as `principalId`. */
function keyFinding(userType: string, userName: string, principalId?: string): Finding {
  const parsed = parseFinding({
    schemaVersion: '2.0',
    accountId: '111111111111',
    region: 'us-east-1',
    partition: 'aws',
    id: 'abc123',
    type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
    resource: { resourceType: 'AccessKey', accessKeyDetails: { accessKeyId: 'ASIAIOSFODNN7EXAMPLE', userType, userName, ...(principalId ? { principalId } : {}) } },
    service: { count: 1 },
    severity: 8,
    createdAt: '2026-11-22T02:00:00.000Z',
    updatedAt: '2026-11-22T02:00:00.000Z',
    title: 'Credentials used outside AWS',
  });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.finding;
}

const AT = '2026-11-22T03:00:00.000Z';

describe('a finding\'s principal check (issue 15, point 14)', () => {
  it("an assumed-role session's principalId is <RoleId>:<session>: the RoleId before ':' is compared", () => {
    expect(uniqueIdOf('AROAJQABLZS4A3QDU576Q:i-0abc1234def567890')).toBe('AROAJQABLZS4A3QDU576Q');
    expect(uniqueIdOf('AIDAJQABLZS4A3QDU576Q')).toBe('AIDAJQABLZS4A3QDU576Q');
    const check = principalCheckFor(keyFinding('AssumedRole', 'web-role', 'AROAJQABLZS4A3QDU576Q:i-0abc1234def567890'))!;
    expect(check).toMatchObject({ kind: 'iam-role', name: 'web-role', target: 'arn:aws:iam::111111111111:role/web-role', status: 'pending' });
    expect(judgePrincipal(check, 'AROAJQABLZS4A3QDU576Q', AT).status).toBe('verified');
    expect(judgePrincipal(check, 'AROAZZZZZZZZZZZZZZZZZ', AT)).toMatchObject({ status: 'mismatch', foundId: 'AROAZZZZZZZZZZZZZZZZZ' });
    expect(judgePrincipal(check, undefined, AT)).toMatchObject({ status: 'mismatch', reason: 'no role of that name exists now' });
  });

  it('a finding without a principalId cannot be confirmed: unchecked, never guessed', () => {
    expect(principalCheckFor(keyFinding('IAMUser', 'bob'))).toMatchObject({ status: 'unchecked', reason: 'the finding gives no principalId to compare with' });
  });

  it('the card: checking while pending, the mismatch in words, Contain only once verified', () => {
    const f = keyFinding('IAMUser', 'bob<script>', 'AIDAJQABLZS4A3QDU576Q');
    const pending = principalCheckFor(f)!;
    const card = (principalCheck: typeof pending) =>
      renderFindingCard({ id: f.id, finding: f, band: 'high', disposition: 'cased', firstSeenAt: AT, lastSeenAt: AT, cardDirty: false, source: 'test', version: 1, principalCheck });
    const contains = (c: ReturnType<typeof card>) => JSON.stringify(c.blocks).includes(ActionId.CONTAIN);
    expect(contains(card(pending))).toBe(false);
    expect(JSON.stringify(card(pending).blocks)).toContain('Checking that IAM user bob&lt;script&gt; is the principal the finding saw');
    const mismatch = judgePrincipal(pending, 'AIDAZZZZZZZZZZZZZZZZZ', AT);
    expect(contains(card(mismatch))).toBe(false);
    expect(principalCheckWords(mismatch)).toContain("the finding's principalId is AIDAJQABLZS4A3QDU576Q, but the UserId under that name is now AIDAZZZZZZZZZZZZZZZZZ");
    expect(contains(card(judgePrincipal(pending, 'AIDAJQABLZS4A3QDU576Q', AT)))).toBe(true);
    // Escalate and Suppress similar stay.
    expect(JSON.stringify(card(mismatch).blocks)).toContain(ActionId.ESCALATE);
  });
});

describe('the sweep of pending principal checks', () => {
  const T0 = Date.parse(AT);
  const at = (ms: number) => new Date(T0 + ms);
  const pending = (patch: Partial<PrincipalCheck> = {}): PrincipalCheck => ({ ...principalCheckFor(keyFinding('IAMUser', 'bob', 'AIDAJQABLZS4A3QDU576Q'))!, requestedAt: AT, ...patch });

  it('waits out the grace period from the last ask, then asks again and records it', () => {
    expect(sweepPendingCheck(pending(), at(PRINCIPAL_CHECK_GRACE_MS - 1))).toEqual({ kind: 'wait' });
    const step = sweepPendingCheck(pending(), at(PRINCIPAL_CHECK_GRACE_MS));
    expect(step).toEqual({ kind: 'ask', check: pending({ reaskedAt: at(PRINCIPAL_CHECK_GRACE_MS).toISOString(), reasks: 1 }) });
    const reasked = pending({ reaskedAt: at(5 * 60_000).toISOString(), reasks: 1 });
    expect(sweepPendingCheck(reasked, at(5 * 60_000 + PRINCIPAL_CHECK_GRACE_MS - 1))).toEqual({ kind: 'wait' });
  });

  it('a check never asked for (stored before requests were recorded, or cased later) is asked for at once, and its limits start then', () => {
    const { requestedAt: _r, ...never } = pending();
    expect(sweepPendingCheck(never, at(0))).toEqual({ kind: 'ask', check: { ...never, requestedAt: AT } });
  });

  it(`gives up after ${PRINCIPAL_CHECK_MAX_REASKS} re-asks, or ${PRINCIPAL_CHECK_GIVE_UP_MS / 60_000} minutes, with a verdict the card and a refusal show`, () => {
    const step = sweepPendingCheck(pending({ reaskedAt: at(6 * 60_000).toISOString(), reasks: PRINCIPAL_CHECK_MAX_REASKS }), at(8 * 60_000));
    expect(step.kind).toBe('give-up');
    expect(step.kind !== 'wait' && step.check).toMatchObject({ status: 'unchecked', checkedAt: at(8 * 60_000).toISOString() });
    const words = principalCheckWords((step as { check: PrincipalCheck }).check);
    expect(words).toContain(`Could not confirm that IAM user bob is the principal the finding saw: ${CHECK_NOT_COMPLETED}: asked of the worker 4 times over 8 minutes`);
    // A clock that stopped ticking for half an hour: given up at once, not asked a first time again.
    expect(sweepPendingCheck(pending(), at(PRINCIPAL_CHECK_GIVE_UP_MS)).kind).toBe('give-up');
    expect(sweepPendingCheck(pending(), at(PRINCIPAL_CHECK_GIVE_UP_MS - 1)).kind).toBe('ask');
  });

  it('an answered check is left alone', () => {
    expect(sweepPendingCheck(judgePrincipal(pending(), 'AIDAJQABLZS4A3QDU576Q', AT), at(PRINCIPAL_CHECK_GIVE_UP_MS * 2))).toEqual({ kind: 'wait' });
  });
});
