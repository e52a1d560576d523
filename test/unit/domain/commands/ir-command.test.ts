import { parseIrText } from '../../../../src/domain/commands/ir-command';

describe('parseIrText', () => {
  it.each([
    ['', { sub: 'help' }],
    ['contain arn:aws:iam::111111111111:user/x --dry-run because', { sub: 'contain', target: 'arn:aws:iam::111111111111:user/x', dryRun: true, reason: 'because' }],
    ['revert A-20261122020000-ab12', { sub: 'revert', actionId: 'A-20261122020000-ab12', keepOff: [] }],
    [
      'revert A-20261122020000-ab12 --keep-off AKIAAAAAAAAAAAAAAAAA AKIABBBBBBBBBBBBBBBB AKIAAAAAAAAAAAAAAAAA',
      { sub: 'revert', actionId: 'A-20261122020000-ab12', keepOff: ['AKIAAAAAAAAAAAAAAAAA', 'AKIABBBBBBBBBBBBBBBB'] },
    ],
    ['revert A-20261122020000-ab12 --restore-open', { sub: 'revert', actionId: 'A-20261122020000-ab12', keepOff: [], restoreOpen: true }],
    [
      'revert A-20261122020000-ab12 --keep-off AKIAAAAAAAAAAAAAAAAA --restore-open',
      { sub: 'revert', actionId: 'A-20261122020000-ab12', keepOff: ['AKIAAAAAAAAAAAAAAAAA'], restoreOpen: true },
    ],
    ['revert A-20261122020000-ab12 --restore-open --keep-off AKIAAAAAAAAAAAAAAAAA', { sub: 'revert', actionId: 'A-20261122020000-ab12', keepOff: ['AKIAAAAAAAAAAAAAAAAA'], restoreOpen: true }],
    ['note  two  words', { sub: 'note', text: 'two  words' }],
    ['escalate data leaving', { sub: 'escalate', reason: 'data leaving' }],
    ['timeline 3', { sub: 'timeline', page: 3 }],
    ['suppress Recon:EC2/* --for 7d scanners', { sub: 'suppress', type: 'Recon:EC2/*', forMs: 604_800_000, reason: 'scanners' }],
    ['unsuppress s-1a2b3c', { sub: 'unsuppress', ruleId: 's-1a2b3c' }],
    ['STATUS', { sub: 'status' }],
    ['report', { sub: 'report' }],
    ['stats', { sub: 'stats' }],
  ])('%j', (text, command) => expect(parseIrText(text)).toEqual({ ok: true, command }));

  it.each([
    ['contain', /say what to contain. Usage: `\/ir contain/],
    ['contain x --force', /unknown option `--force`/],
    ['revert', /give exactly one action id/],
    ['revert A-1', /not an action id/],
    ['revert A-20261122020000-ab12 A-20261122020000-ab13', /unknown option `A-20261122020000-ab13`/],
    ['revert A-20261122020000-ab12 --keep-off', /--keep-off needs at least one access key id/],
    ['revert A-20261122020000-ab12 --restore-open --keep-off', /--keep-off needs at least one access key id/],
    ['revert A-20261122020000-ab12 --restore-opne', /unknown option `--restore-opne`; only --keep-off <access-key-id>… and --restore-open follow the action id/],
    ['revert A-20261122020000-ab12 --keep-off ASIAAAAAAAAAAAAAAAAA', /not a long-term access key id/],
    ['status now', /takes no arguments/],
    ['report IR-20261122-7Q3F', /`\/ir report` takes no arguments. Usage: `\/ir report`/],
    ['stats 90d', /`\/ir stats` takes no arguments/],
    ['timeline zero', /the page is a number/],
    ['suppress not-a-type', /is not a finding type/],
    ['suppress Recon:EC2/X --for soon', /--for needs a number followed by/],
    ['unsuppress 42', /give one rule id/],
    ['rm -rf /', /`rm` is not an \/ir command/],
    ['note \u0007', /the command contains an invisible character \(U\+0007\); type it again without it/],
    ['contain arn:aws:iam::111111111111:user/a\u0007b', /invisible character \(U\+0007\)/],
    ['note \u202eevil', /invisible character \(U\+202E\)/],
    ['note', /the note is empty/],
  ])('%j is refused with the right form', (text, error) => {
    const r = parseIrText(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });
});
