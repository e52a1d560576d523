import { escapeMrkdwn, safeCode, safeText, truncate } from '../../../../src/domain/text/mrkdwn';

describe('mrkdwn escaping', () => {
  it('neutralises mentions and links', () => {
    expect(escapeMrkdwn('<!channel> <https://evil.example|AWS Console> & co')).toBe(
      '&lt;!channel&gt; &lt;https://evil.example|AWS Console&gt; &amp; co',
    );
  });
  it('truncates without cutting an entity or a surrogate pair', () => {
    expect(truncate('abc&amp;def', 6)).toBe('abc…');
    expect(truncate('ab😀cd', 4)).toBe('ab…');
    expect(truncate('short', 10)).toBe('short');
  });
  it('drops control characters and keeps within the limit', () => {
    const s = safeText('a\u0000b\u0007c' + '<'.repeat(5000), 3000);
    expect(s.startsWith('abc&lt;')).toBe(true);
    expect(s.length).toBeLessThanOrEqual(3000);
  });
  it('cannot break out of a code span', () => {
    expect(safeCode('x` <!here> `y', 50)).toBe("`x' &lt;!here&gt; 'y`");
  });
});
