import { parseFinding } from '../../../../src/domain/findings/parse-finding';
import { judgePrincipal, principalCheckFor, principalCheckWords, uniqueIdOf } from '../../../../src/domain/findings/principal-check';
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
