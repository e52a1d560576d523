import type { StoredFinding } from '../../domain/cases/case';
import { safeCode, safeText } from '../../domain/text/mrkdwn';
import { LIMITS, type KnownBlock, type RenderedMessage } from './block-types';

/** Lines per section, so a section stays under its 3000-character limit. */
const LINES_PER_SECTION = 10;
/** Findings listed in one message; the rest go in the next digest message. */
export const DIGEST_MAX_FINDINGS = 400;

/** The Low-severity digest for the triage channel. */
export function renderDigest(findings: StoredFinding[], periodLabel: string): RenderedMessage {
  const lines = findings.map(
    (sf) =>
      `• ${safeCode(sf.finding.type, 90)} ${safeText(sf.finding.title, 100)} · ${safeText(sf.finding.accountId, 20)}/${safeText(sf.finding.region, 20)} · ${sf.finding.count}×`,
  );
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `*Low-severity digest* · ${findings.length} finding${findings.length === 1 ? '' : 's'} ${safeText(periodLabel, 100)}` } },
  ];
  for (let i = 0; i < lines.length && blocks.length < LIMITS.blocks; i += LINES_PER_SECTION) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: lines.slice(i, i + LINES_PER_SECTION).join('\n').slice(0, LIMITS.sectionText) } });
  }
  return { text: `Low-severity digest: ${findings.length} findings`, blocks };
}
