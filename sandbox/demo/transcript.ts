import type { SlackSandbox } from '../slack';

/** Emoji Cordon uses, as a terminal shows them. */
const EMOJI: Record<string, string> = {
  white_check_mark: '✓',
  x: '✗',
  warning: '⚠',
  rotating_light: '🚨',
  leftwards_arrow_with_hook: '↩',
  hourglass_flowing_sand: '⏳',
  boom: '💥',
  lock: '🔒',
  no_entry: '⛔',
};

interface Block {
  type?: string;
  text?: { text?: string };
  fields?: { text?: string }[];
  elements?: { type?: string; text?: string | { text?: string } }[];
}

/** The words a person would read first in a message: its text, else its first text block. */
export function messageLine(text: string | undefined, blocks: unknown[] | undefined): string {
  if (text?.trim()) return text;
  for (const b of (blocks ?? []) as Block[]) {
    if (b.text?.text) return b.text.text;
    const field = b.fields?.find((f) => f.text)?.text;
    if (field) return field;
  }
  return '';
}

/**
 * Prints what Cordon posted to the sandbox Slack since the last call, channel by
 * channel, with thread replies indented under their parent: the live transcript of
 * `npm run demo`. Messages are printed once, as they read when printed.
 */
export class SlackTranscript {
  private readonly seen = new Set<string>();

  constructor(
    private readonly slack: SlackSandbox,
    private readonly print: (line: string) => void,
    private readonly width = 118,
  ) {}

  private plain(text: string): string {
    const users = new Map(this.slack.users().map((u) => [u.id, u.name]));
    const channels = new Map(this.slack.channels().map((c) => [c.id, c.name]));
    const flat = text
      .replace(/<@([A-Z0-9]+)>/g, (_, id: string) => `@${users.get(id) ?? id}`)
      .replace(/<#([A-Z0-9]+)(\|[^>]*)?>/g, (_, id: string) => `#${channels.get(id) ?? id}`)
      .replace(/<!subteam\^[A-Z0-9]+(\|([^>]*))?>/g, (_, _l: string, label?: string) => label ?? '@group')
      .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2')
      .replace(/:([a-z_]+):/g, (m, name: string) => EMOJI[name] ?? m)
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&')
      .replace(/\s+/g, ' ')
      .trim();
    return flat.length > this.width ? `${flat.slice(0, this.width - 1)}…` : flat;
  }

  /** Prints new messages and replies; returns how many lines it printed. */
  flush(): number {
    let lines = 0;
    for (const channel of this.slack.channels()) {
      const out: string[] = [];
      for (const m of this.slack.messages(channel.id)) {
        if (m.thread_ts && m.thread_ts !== m.ts) continue;
        const key = `${channel.id}/${m.ts}`;
        if (!this.seen.has(key)) {
          this.seen.add(key);
          const files = (m.files ?? []).map((f) => ` [file ${f.name}]`).join('');
          out.push(`  ${this.plain(messageLine(m.text, m.blocks))}${files}`);
        }
        for (const r of this.slack.replies(channel.id, m.ts).filter((x) => x.ts !== m.ts)) {
          const rkey = `${channel.id}/${r.ts}`;
          if (this.seen.has(rkey)) continue;
          this.seen.add(rkey);
          // A step log reply holds one section per step: one line each, as a reader sees them.
          const sections = ((r.blocks ?? []) as Block[]).filter((b) => b.text?.text);
          const parts = sections.length > 1 ? sections.map((b) => b.text?.text ?? '') : [messageLine(r.text, r.blocks)];
          for (const part of parts) out.push(`      ↳ ${this.plain(part)}`);
        }
      }
      if (out.length) {
        this.print(`  #${channel.name}`);
        for (const l of out) this.print(l);
        lines += out.length + 1;
      }
    }
    return lines;
  }
}
