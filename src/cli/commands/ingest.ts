import { readFile } from 'node:fs/promises';
import type { Cordon } from '../../app/cordon';
import type { FlushResult } from '../../slack/outbound/case-publisher';
import type { IngestSummary } from '../../services/finding-pipeline';
import { CordonError, ErrorCode } from '../../errors';
import type { CliIo } from '../output';

/** Parses a JSON document, or JSON Lines (one event per line) as an array. */
export function parseIngestText(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (first) {
    const lines = text.split('\n').filter((l) => l.trim());
    if (lines.length > 1) {
      try {
        return lines.map((l) => JSON.parse(l) as unknown);
      } catch {
        // fall through to the first error, which names the position
      }
    }
    throw new CordonError(
      ErrorCode.INPUT_INVALID,
      `${source} is not JSON (${(first as Error).message}); give an EventBridge event, an array of events, GetFindings output, or JSON Lines`,
    );
  }
}

/** What is still not in Slack after `cordon ingest` gave up waiting: counted in the store, not guessed. */
export interface SlackLeft {
  /** Cases without their channel, card or a current card. */
  cases: number;
  /** Finding cards not posted, or not edited to their latest count. */
  cards: number;
  /** Timeline events not posted. */
  events: number;
}

export interface IngestResult {
  summary: IngestSummary;
  slack?: FlushResult & { left: SlackLeft };
}

/** Counting is listing: the store has no count query, and `cordon ingest` runs rarely. */
const COUNT_LIMIT = 1_000_000;

async function leftInStore(cordon: Cordon): Promise<SlackLeft> {
  const [cases, cards, events] = await Promise.all([
    cordon.store.casesToPublish(COUNT_LIMIT),
    cordon.store.findingsToPublish(COUNT_LIMIT),
    cordon.store.unpostedTimeline(COUNT_LIMIT),
  ]);
  return { cases: cases.length, cards: cards.length, events: events.length };
}

function add(a: FlushResult, b: FlushResult): FlushResult {
  return {
    channelsCreated: a.channelsCreated + b.channelsCreated,
    cardsPosted: a.cardsPosted + b.cardsPosted,
    cardsEdited: a.cardsEdited + b.cardsEdited,
    eventsPosted: a.eventsPosted + b.eventsPosted,
    failures: a.failures + b.failures,
    deferred: b.deferred,
    ...(b.nextDueAt !== undefined ? { nextDueAt: b.nextDueAt } : {}),
    ...(a.busy || b.busy ? { busy: true } : {}),
  };
}

/** `cordon ingest <file|->`: replay findings through triage, then bring Slack up to date. */
export async function runIngest(cordon: Cordon, path: string, io: CliIo): Promise<IngestResult> {
  const source = path === '-' ? 'stdin' : path;
  let text: string;
  try {
    text = path === '-' ? await io.readStdin() : await readFile(path, 'utf8');
  } catch (err) {
    throw new CordonError(ErrorCode.INPUT_INVALID, `cannot read ${source}: ${(err as { code?: string }).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseIngestText(text, source);
  } catch (err) {
    // Keep it: an unreadable input is a rejected input, never a silent drop.
    await cordon.store.addRejected({ at: new Date().toISOString(), source: `ingest:${source}`, reason: (err as Error).message, raw: text.slice(0, 65536) });
    throw err;
  }
  const summary = await cordon.pipeline.ingestDocument(doc, `ingest:${source}`);
  if (!cordon.slack) return { summary };
  // One flush takes a batch (e.g. 1,000 cards): flush again while each one gets somewhere
  // and something is left, so 2,000 findings are 2,000 cards, not 1,000 and a "done". Each
  // drain waits out the card-edit debounce so re-sent findings show their new count.
  const publisher = cordon.slack.publisher;
  const wait = cordon.config.triage.cardEditInterval + 2000;
  let total = await publisher.drain(wait);
  let left = await leftInStore(cordon);
  while (!total.busy && left.cases + left.cards + left.events > 0) {
    const next = await publisher.drain(wait);
    total = add(total, next);
    const now = await leftInStore(cordon);
    const progressed = now.cases + now.cards + now.events < left.cases + left.cards + left.events;
    left = now;
    // Slack refuses what is left (the failures say so) or another process holds the publisher: stop and say what is left.
    if (!progressed || next.busy) break;
  }
  return { summary, slack: { ...total, left } };
}
