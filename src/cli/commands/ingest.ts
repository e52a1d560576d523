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

export interface IngestResult {
  summary: IngestSummary;
  slack?: FlushResult;
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
  // Wait out the card-edit debounce so re-sent findings show their new count before we exit.
  const slack = await cordon.slack.publisher.drain(cordon.config.triage.cardEditInterval + 2000);
  return { summary, slack };
}
