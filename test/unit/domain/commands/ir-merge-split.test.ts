import { parseIrText } from '../../../../src/domain/commands/ir-command';

describe('/ir merge and /ir split parsing', () => {
  it('reads a case id (any case) and a finding id', () => {
    expect(parseIrText('merge ir-20261121-7q3f')).toEqual({ ok: true, command: { sub: 'merge', caseId: 'IR-20261121-7Q3F' } });
    expect(parseIrText('split e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0')).toEqual({ ok: true, command: { sub: 'split', findingId: 'e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0' } });
  });

  it.each([
    ['merge', /give the id of the case.*Usage: `\/ir merge <case-id>`/],
    ['merge IR-1 IR-2', /give the id of the case/],
    ['merge case-12', /is not a case id/],
    ['split', /give the id of the finding.*Usage: `\/ir split <finding-id>`/],
    ['split <!channel>', /is not a finding id/],
  ])('refuses `%s` with the right form', (text, error) => {
    const r = parseIrText(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });
});
