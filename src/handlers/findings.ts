import type { IngestSummary, PlacedFinding } from '../services/finding-pipeline';
import { lambdaFindingsIntake } from './runtime';

/** The EventBridge rule's target: one GuardDuty Finding event per invocation. */
export async function handler(event: unknown): Promise<IngestSummary> {
  const cordon = await lambdaFindingsIntake();
  const placed: PlacedFinding[] = [];
  const summary = await cordon.pipeline.ingestDocument(event, 'eventbridge', placed);
  cordon.log.info({ summary }, 'findings event ingested');
  // Posting here is safe (no 3 s limit): the new cards, from what was just placed. A re-send
  // or a finding placed the one-by-one way (after a conflict) is not among them: then the
  // whole outbox is flushed, as before. What fails or waits is the ticker's.
  if (cordon.slack) {
    await cordon.slack.publisher.publishPlaced(placed);
    if (placed.length < summary.cased || summary.updated > 0) await cordon.slack.publisher.flush();
  }
  return summary;
}
