import { caseIdParts, isCaseId, newCaseId } from '../../../../src/domain/cases/case-id';

describe('case ids', () => {
  it('accepts what newCaseId makes, and ids grown up to eight characters', () => {
    expect(isCaseId(newCaseId(new Date('2026-11-22T10:00:00Z'), () => 0.5))).toBe(true);
    expect(isCaseId('IR-20261122-7Q3FZZZZ')).toBe(true);
  });

  it('refuses anything else, markup included', () => {
    for (const s of ['IR-20261122-7Q3', 'IR-20261122-7Q3FZZZZZ', 'ir-20261122-7q3f', 'IR-2026112-7Q3F', 'IR-<!channel>', ' IR-20261122-7Q3F']) expect(isCaseId(s)).toBe(false);
  });

  it('splits into date and short id', () => {
    expect(caseIdParts('IR-20261122-7Q3F')).toEqual({ date: '20261122', short: '7q3f' });
  });
});
