import type { IngestSummary, PlacedFinding } from '../services/finding-pipeline';
import { lambdaFindingsIntake } from './runtime';

/** The EventBridge rule's target: one GuardDuty Finding event per invocation. */
export async function handler(event: unknown): Promise<IngestSummary> {
  const cordon = await lambdaFindingsIntake();
  const placed: PlacedFinding[] = [];
  const checks: string[] = [];
  const publisher = cordon.slack?.publisher;
  // A case this event opens is stored claimed for this invocation's publisher, which posts
  // it straight away without the publisher lease (CasePublisher.newCaseClaim).
  // Its channel is asked for while the store writes the case (CasePublisher.openingCase).
  let summary: IngestSummary;
  try {
    summary = await cordon.pipeline.ingestDocument(event, 'eventbridge', placed, {
      checks,
      ...(publisher ? { claimNewCases: publisher.newCaseClaim(), creating: (draft) => publisher.openingCase(draft) } : {}),
    });
  } catch (err) {
    // What was stored before the failure keeps its checks: a retried event finds those findings
    // stored and would never ask again.
    await cordon.pipeline.requestChecks(checks);
    throw err;
  }
  cordon.log.info({ summary }, 'findings event ingested');
  // Posting here is safe (no 3 s limit): the new cards, from what was just placed, while the
  // principal checks go to the worker. A re-send, a finding placed the one-by-one way (after
  // a conflict) or one that joined a case while it was claimed is not among them: then the
  // whole outbox is flushed, as before. What fails or waits is the ticker's.
  const [posted] = await Promise.all([publisher?.publishPlaced(placed), cordon.pipeline.requestChecks(checks)]);
  if (publisher && (placed.length < summary.cased || summary.updated > 0 || posted?.joinedWhileClaimed)) await publisher.flush();
  return summary;
}
