import type { IngestSummary, PlacedFinding } from '../services/finding-pipeline';
import { lambdaFindingsIntake } from './runtime';

/** The EventBridge rule's target: one GuardDuty Finding event per invocation. */
export async function handler(event: unknown): Promise<IngestSummary> {
  const cordon = await lambdaFindingsIntake();
  const placed: PlacedFinding[] = [];
  const summary = await cordon.pipeline.ingestDocument(event, 'eventbridge', placed);
  cordon.log.info({ summary }, 'findings event ingested');
  // Posting here is safe (no 3 s limit): the new cards first, from what was just placed,
  // then the rest of the outbox. What fails is retried by the ticker.
  if (cordon.slack) await cordon.slack.publisher.publishPlaced(placed);
  return summary;
}
