import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SlackSandbox } from './slack-sandbox';
import type { SandboxMessage } from './slack-state';

/** A running read-only view of the sandbox Slack. */
export interface SandboxWebView {
  url: string;
  close(): Promise<void>;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Slack emoji Cordon posts, drawn with characters every system font has (and coloured dots for severity). */
const EMOJI: Record<string, string> = {
  red_circle: '<span class="dot" style="color:#d93f3f">●</span>',
  large_orange_circle: '<span class="dot" style="color:#f08a24">●</span>',
  large_yellow_circle: '<span class="dot" style="color:#e0b000">●</span>',
  large_blue_circle: '<span class="dot" style="color:#3c6edc">●</span>',
  white_circle: '<span class="dot" style="color:#999">○</span>',
  white_check_mark: '<span style="color:#2ea05a">✔</span>',
  x: '<span style="color:#d93f3f">✘</span>',
  warning: '⚠',
  rotating_light: '<span style="color:#d93f3f">⚑</span>',
  leftwards_arrow_with_hook: '↩',
  boom: '✸',
  gear: '⚙',
  hourglass_flowing_sand: '⌛',
  no_entry: '⛔',
  no_entry_sign: '⊘',
  alarm_clock: '⏰',
};

interface Names {
  users: Map<string, string>;
  channels: Map<string, string>;
}

/**
 * Slack mrkdwn to HTML, enough to read what Cordon posted. The text was escaped by
 * Cordon for Slack (`&lt;` …); it is unescaped once here and escaped again for HTML,
 * so nothing a finding carried becomes markup in the page.
 */
function mrkdwn(text: string, n: Names): string {
  const links: string[] = [];
  const withTokens = text.replace(/<([^>]+)>/g, (_, inner: string) => {
    const [target = '', label] = inner.split('|');
    let html: string;
    if (target.startsWith('@')) html = `<span class="mention">@${esc(n.users.get(target.slice(1)) ?? target.slice(1))}</span>`;
    else if (target.startsWith('#')) html = `<span class="mention">#${esc(n.channels.get(target.slice(1)) ?? label ?? target.slice(1))}</span>`;
    else if (target.startsWith('!')) html = `<span class="mention">@${esc(label ?? target.slice(1).split('^')[0] ?? '')}</span>`;
    else if (/^https?:\/\//.test(target)) html = `<a href="${esc(target)}" rel="noreferrer">${esc(label ?? target)}</a>`;
    else html = esc(inner);
    links.push(html);
    return `\u0000${links.length - 1}\u0000`;
  });
  const unescaped = withTokens.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return esc(unescaped)
    .replace(/```([\s\S]*?)```/g, '<pre>$1</pre>')
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/(^|[\s(])\*([^*\n]+)\*/g, '$1<b>$2</b>')
    .replace(/(^|[\s(])_([^_\n]+)_/g, '$1<i>$2</i>')
    .replace(/:([a-z_]+):/g, (m, name: string) => EMOJI[name] ?? m)
    .replace(/\n/g, '<br>')
    // eslint-disable-next-line no-control-regex -- NUL cannot occur in Slack text, so it marks the links set aside above.
    .replace(/\u0000(\d+)\u0000/g, (_, i: string) => links[Number(i)] ?? '');
}

interface Block {
  type?: string;
  text?: { type?: string; text?: string };
  fields?: { text?: string }[];
  elements?: { type?: string; text?: string | { text?: string }; style?: string; action_id?: string }[];
}

function renderBlocks(blocks: unknown[], n: Names): string {
  return (blocks as Block[])
    .map((b) => {
      switch (b.type) {
        case 'header':
          return `<h3>${esc(b.text?.text ?? '')}</h3>`;
        case 'section':
          return `<div class="section">${b.text?.text ? mrkdwn(b.text.text, n) : ''}${b.fields?.length ? `<div class="fields">${b.fields.map((f) => `<div>${mrkdwn(f.text ?? '', n)}</div>`).join('')}</div>` : ''}</div>`;
        case 'context':
          return `<div class="context">${(b.elements ?? []).map((e) => (typeof e.text === 'string' ? mrkdwn(e.text, n) : '')).join(' · ')}</div>`;
        case 'actions':
          return `<div class="actions">${(b.elements ?? [])
            .map((e) => `<button disabled class="${esc(e.style ?? '')}" data-action-id="${esc(e.action_id ?? '')}">${esc(typeof e.text === 'object' ? (e.text.text ?? '') : (e.text ?? ''))}</button>`)
            .join('')}</div>`;
        case 'divider':
          return '<hr>';
        default:
          return '';
      }
    })
    .join('');
}

function renderMessage(m: SandboxMessage, n: Names, cls: string): string {
  const body = m.blocks?.length ? renderBlocks(m.blocks, n) : mrkdwn(m.text ?? '', n);
  const files = (m.files ?? []).map((f) => `<div class="file">📎 ${esc(f.name)}</div>`).join('');
  const who = m.user === 'UBOT' ? 'Cordon' : (n.users.get(m.user) ?? m.user);
  const time = new Date(Number(m.ts.split('.')[0]) * 1000).toISOString().slice(11, 19);
  return `<div class="${cls}" data-ts="${esc(m.ts)}"><div class="meta"><b>${esc(who)}</b> <span>${time}</span>${m.edits ? ` <span>(edited ${m.edits}×)</span>` : ''}</div>${body}${files}</div>`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:0;display:flex;color:#1d1c1d}
nav{width:300px;background:#3f0e40;color:#fff;min-height:100vh;padding:12px;box-sizing:border-box}
nav a{color:#e8d9e8;display:block;padding:3px 0;text-decoration:none;word-break:break-all}nav a.here{color:#fff;font-weight:bold}
main{flex:1;padding:16px 24px;max-width:1000px}.message{border-bottom:1px solid #eee;padding:8px 0}
.thread{margin:6px 0 0 24px;border-left:3px solid #ddd;padding-left:12px}.reply{padding:4px 0;font-size:13px}
.meta span{color:#888;font-size:12px}.fields{display:grid;grid-template-columns:1fr 1fr;gap:4px}.context{color:#666;font-size:12px}
button{margin:4px 6px 0 0;padding:4px 10px;border:1px solid #bbb;border-radius:4px;background:#fff}button.primary{background:#007a5a;color:#fff}button.danger{background:#e01e5a;color:#fff}
code{background:#f4f4f4;padding:1px 3px}.mention{background:#e8f5fa;color:#1264a3}.file{color:#1264a3}`;

/** Serves the sandbox Slack read-only on 127.0.0.1: channels, messages from their blocks, threads, buttons (shown, not clickable). */
export async function startSandboxWebView(slack: SlackSandbox, opts: { port?: number } = {}): Promise<SandboxWebView> {
  const page = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const channels = slack.channels().filter((c) => !c.is_im);
    const n: Names = { users: new Map(slack.users().map((u) => [u.id, u.name])), channels: new Map(channels.map((c) => [c.id, c.name])) };
    const id = url.pathname.startsWith('/c/') ? decodeURIComponent(url.pathname.slice(3)) : channels.find((c) => c.name.startsWith('ir-') && !c.name.endsWith('-bridge'))?.id ?? channels[0]?.id;
    const current = channels.find((c) => c.id === id);
    if (req.method !== 'GET' || (url.pathname !== '/' && !current)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const nav = channels.map((c) => `<a href="/c/${encodeURIComponent(c.id)}" data-channel="${esc(c.name)}" class="${c.id === id ? 'here' : ''}"># ${esc(c.name)}${c.is_private ? ' <small>(private)</small>' : ''}</a>`).join('');
    const messages = current
      ? slack
          .messages(current.id)
          .filter((m) => !m.thread_ts || m.thread_ts === m.ts)
          .map((m) => {
            const replies = slack.replies(current.id, m.ts).filter((r) => r.ts !== m.ts);
            const thread = replies.length ? `<div class="thread" data-thread="${esc(m.ts)}">${replies.map((r) => renderMessage(r, n, 'reply')).join('')}</div>` : '';
            return renderMessage(m, n, 'message').replace(/<\/div>$/, `${thread}</div>`);
          })
          .join('')
      : '';
    const topic = current?.topic ? `<p class="context">${mrkdwn(current.topic, n)}</p>` : '';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" });
    res.end(`<!doctype html><html><head><meta charset="utf-8"><title>${esc(current ? `#${current.name}` : 'Sandbox Slack')} — Cordon sandbox</title><style>${STYLE}</style></head><body><nav><b>Sandbox Slack</b> (read-only)${nav}</nav><main><h2 data-testid="channel-title">${current ? `# ${esc(current.name)}` : 'No channels yet'}</h2>${topic}${messages}</main></body></html>`);
  };
  const server = createServer(page);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
