/**
 * Slack treats `<…>` as links and mentions and `&` as an entity start. Escaping
 * these three is Slack's documented rule; it turns `<!channel>` and
 * `<https://evil|AWS Console>` into inert text.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts to `max` characters with an ellipsis, never splitting an escape sequence or a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  const amp = cut.lastIndexOf('&');
  if (amp >= 0 && amp > cut.length - 5 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** Escapes attacker-controlled text and fits it into `max` characters. */
export function safeText(text: string, max: number): string {
  // Control characters have no business in a chat message and can hide text.
  // eslint-disable-next-line no-control-regex
  return truncate(escapeMrkdwn(text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')), max);
}

/** Inline code span that cannot be broken out of with a backtick. */
export function safeCode(text: string, max: number): string {
  return '`' + safeText(text.replace(/`/g, "'"), max - 2) + '`';
}
