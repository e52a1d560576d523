import type { KnownBlock } from '@slack/types';

export type { KnownBlock };

/** A message ready for chat.postMessage / chat.update: fallback text plus blocks. */
export interface RenderedMessage {
  text: string;
  blocks: KnownBlock[];
}

/** Block Kit limits Cordon renders within (Slack rejects anything larger). */
export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fieldText: 2000,
  fields: 10,
  headerText: 150,
  contextElements: 10,
  fallbackText: 3000,
} as const;

/**
 * Cordon's budget for all the text in one message's blocks. Slack refuses a message whose
 * blocks hold more than about 12,000 characters in total (`msg_blocks_too_long`; not on
 * https://api.slack.com/reference/block-kit/blocks, reported in bolt-js issues 2509 and
 * 2867, where 11,341 counted characters were already refused): stay well below.
 */
export const MESSAGE_TEXT_BUDGET = 9_000;

/** Characters of text in `blocks`, counted as Slack's cumulative limit counts them: every `text` string. */
export function blocksText(blocks: readonly unknown[]): number {
  let total = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'text' && typeof x === 'string') total += x.length;
        else walk(x);
      }
    }
  };
  walk(blocks);
  return total;
}

/**
 * The last safety net of every builder: at most 50 blocks and {@link MESSAGE_TEXT_BUDGET}
 * characters of text. Blocks are kept in order until the budget is spent; the last
 * `keepTail` (the buttons) always stay; a context line says how many were left out.
 */
export function fitMessage(msg: RenderedMessage, keepTail = 0): RenderedMessage {
  if (msg.blocks.length <= LIMITS.blocks && blocksText(msg.blocks) <= MESSAGE_TEXT_BUDGET) return msg;
  const tail = keepTail > 0 ? msg.blocks.slice(-keepTail) : [];
  const body = keepTail > 0 ? msg.blocks.slice(0, -keepTail) : msg.blocks;
  const noteRoom = 120;
  let used = blocksText(tail) + noteRoom;
  const kept: KnownBlock[] = [];
  for (const b of body) {
    const size = blocksText([b]);
    if (kept.length + tail.length + 2 > LIMITS.blocks || used + size > MESSAGE_TEXT_BUDGET) break;
    kept.push(b);
    used += size;
  }
  const left = body.length - kept.length;
  const note: KnownBlock = { type: 'context', elements: [{ type: 'mrkdwn', text: `_…${left} more block${left === 1 ? '' : 's'} not shown: the message reached Slack's size limit._` }] };
  return { text: msg.text, blocks: [...kept, note, ...tail] };
}

/** At most `max` items joined, then "…and N more" (a list from a finding or a case can be any length). */
export function cappedList(items: readonly string[], max: number, sep = ', '): string {
  if (items.length <= max) return items.join(sep);
  return `${items.slice(0, max).join(sep)}${sep}…and ${items.length - max} more`;
}
