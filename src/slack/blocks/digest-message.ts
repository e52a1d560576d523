import type { StoredFinding } from '../../domain/cases/case';
import { safeCode, safeText } from '../../domain/text/mrkdwn';
import { blocksText, cappedList, LIMITS, type KnownBlock, type RenderedMessage } from './block-types';

/** Lines per section, so a section stays far under its 3000-character limit. */
const LINES_PER_SECTION = 10;
/** Findings read from the store per digest round; grouping keeps any number of them short. */
export const DIGEST_MAX_FINDINGS = 1000;
/**
 * Text per digest message. Slack refuses more than about 12,000 characters of block text
 * (`msg_blocks_too_long`, see MESSAGE_TEXT_BUDGET); a digest is split well before that.
 */
export const DIGEST_TEXT_BUDGET = 6_000;
/** Sections per message, leaving room for the header. */
const MAX_SECTIONS = 40;

/** One digest message and the findings it accounts for (marked digested once it is posted). */
export interface DigestMessage extends RenderedMessage {
  findingIds: string[];
}

interface Group {
  type: string;
  accountId: string;
  regions: Set<string>;
  findings: number;
  seen: number;
  ids: string[];
}

/** Findings grouped by type and account, largest group first: 400 findings of 3 types read as 3 lines, not 400. */
function groups(findings: StoredFinding[]): Group[] {
  const byKey = new Map<string, Group>();
  for (const sf of findings) {
    const f = sf.finding;
    const key = `${f.type}\u0000${f.accountId}`;
    let g = byKey.get(key);
    if (!g) {
      g = { type: f.type, accountId: f.accountId, regions: new Set(), findings: 0, seen: 0, ids: [] };
      byKey.set(key, g);
    }
    g.regions.add(f.region);
    g.findings++;
    g.seen += f.count;
    g.ids.push(sf.id);
  }
  return [...byKey.values()].sort((a, b) => b.findings - a.findings || a.type.localeCompare(b.type) || a.accountId.localeCompare(b.accountId));
}

function line(g: Group): string {
  const regions = cappedList([...g.regions].sort().map((r) => safeText(r, 20)), 3);
  return `• ${safeCode(g.type, 90)} · ${safeText(g.accountId, 20)} · ${g.findings} finding${g.findings === 1 ? '' : 's'}, seen ${g.seen}× · ${regions}`;
}

/**
 * The Low-severity digest for the triage channel: one line per finding type and account,
 * with counts, in as many messages as it takes to keep each one well inside Slack's
 * limits (50 blocks, 3,000 characters a section, ~12,000 characters of text in all).
 */
export function renderDigest(findings: StoredFinding[], periodLabel: string): DigestMessage[] {
  const parts: { sections: string[][]; ids: string[]; findings: number; groups: number; text: number }[] = [];
  let part: (typeof parts)[number] | undefined;
  for (const g of groups(findings)) {
    const l = line(g);
    if (!part || part.text + l.length + 1 > DIGEST_TEXT_BUDGET || (part.sections.length >= MAX_SECTIONS && (part.sections.at(-1)?.length ?? 0) >= LINES_PER_SECTION)) {
      part = { sections: [], ids: [], findings: 0, groups: 0, text: 0 };
      parts.push(part);
    }
    const last = part.sections.at(-1);
    if (last && last.length < LINES_PER_SECTION) last.push(l);
    else part.sections.push([l]);
    part.ids.push(...g.ids);
    part.findings += g.findings;
    part.groups++;
    part.text += l.length + 1;
  }
  const total = findings.length;
  return parts.map((p, i) => {
    const of = parts.length > 1 ? ` (part ${i + 1} of ${parts.length})` : '';
    const head = `*Low-severity digest* · ${total} finding${total === 1 ? '' : 's'} ${safeText(periodLabel, 100)}${of} · ${p.findings} here, by type and account`;
    const blocks: KnownBlock[] = [
      { type: 'section', text: { type: 'mrkdwn', text: head } },
      ...p.sections.map((lines): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n').slice(0, LIMITS.sectionText) } })),
    ];
    // The packing above keeps both limits; this states them where a future edit would break them.
    if (blocks.length > LIMITS.blocks || blocksText(blocks) > DIGEST_TEXT_BUDGET + 500) throw new Error('digest message over its budget');
    return { text: `Low-severity digest${of}: ${p.findings} of ${total} findings`, blocks, findingIds: p.ids };
  });
}
