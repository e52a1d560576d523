import type { IngestSummary } from '../services/finding-pipeline';
import { lambdaFindingsIntake } from './runtime';

/** The EventBridge rule's target: one GuardDuty Finding event per invocation. */
export async function handler(event: unknown): Promise<IngestSummary> {
  const cordon = await lambdaFindingsIntake();
  const summary = await cordon.pipeline.ingestDocument(event, 'eventbridge');
  cordon.log.info({ summary }, 'findings event ingested');
  // Posting here is safe (no 3 s limit); what fails is retried by the ticker.
  if (cordon.slack) await cordon.slack.publisher.flush();
  return summary;
}
