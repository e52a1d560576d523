import type { GuardDutyClient } from '@aws-sdk/client-guardduty';
import type { Logger } from '../log';
import type { FindingPipeline, IngestSummary } from '../services/finding-pipeline';
import { emptySummary } from '../services/finding-pipeline';
import type { Store } from '../store/store';

/** GetFindings takes at most 50 ids. */
const PAGE = 50;

/** Checkpoint kept per region and detector. */
interface PollCheckpoint {
  /** Highest `updatedAt` (epoch ms) fully ingested. */
  updatedAtMs: number;
}

/**
 * Polls one region's GuardDuty detectors for findings updated since the checkpoint,
 * oldest first, through the same pipeline as EventBridge. The checkpoint is written
 * after each page, and the query includes the checkpoint's own millisecond, so a
 * restart neither skips a finding nor re-posts one (dedup makes the overlap a no-op).
 */
export class GuardDutyPoller {
  private detectorIds: string[] | undefined;

  constructor(
    private readonly client: GuardDutyClient,
    readonly region: string,
    private readonly pipeline: FindingPipeline,
    private readonly store: Store,
    private readonly log: Logger,
    private readonly opts: { lookbackMs: number; now?: () => Date },
  ) {}

  private key(detectorId: string): string {
    return `poller:${this.region}:${detectorId}`;
  }

  async pollOnce(): Promise<IngestSummary> {
    const summary = emptySummary();
    if (!this.detectorIds) {
      // The GuardDuty module loads on the first poll, not at start: a dynamic import, which the
      // Lambda bundles (ESM, split) keep in a chunk of its own.
      const { ListDetectorsCommand } = await import('@aws-sdk/client-guardduty');
      this.detectorIds = (await this.client.send(new ListDetectorsCommand({}))).DetectorIds ?? [];
      if (this.detectorIds.length === 0) this.log.warn({ region: this.region }, 'no GuardDuty detector in this region');
    }
    for (const detectorId of this.detectorIds) await this.pollDetector(detectorId, summary);
    return summary;
  }

  private async pollDetector(detectorId: string, summary: IngestSummary): Promise<void> {
    const raw = await this.store.getCheckpoint(this.key(detectorId));
    const now = (this.opts.now ?? (() => new Date()))().getTime();
    const checkpoint: PollCheckpoint = raw ? (JSON.parse(raw) as PollCheckpoint) : { updatedAtMs: now - this.opts.lookbackMs };
    let nextToken: string | undefined;
    let highest = checkpoint.updatedAtMs;
    const { ListFindingsCommand, GetFindingsCommand } = await import('@aws-sdk/client-guardduty');
    do {
      const page = await this.client.send(
        new ListFindingsCommand({
          DetectorId: detectorId,
          MaxResults: PAGE,
          FindingCriteria: {
            Criterion: {
              updatedAt: { GreaterThanOrEqual: checkpoint.updatedAtMs },
              'service.archived': { Equals: ['false'] },
            },
          },
          SortCriteria: { AttributeName: 'updatedAt', OrderBy: 'ASC' },
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      const ids = page.FindingIds ?? [];
      if (ids.length) {
        const got = await this.client.send(new GetFindingsCommand({ DetectorId: detectorId, FindingIds: ids }));
        for (const f of got.Findings ?? []) {
          await this.pipeline.ingestDetail(f, `poller:${this.region}`, summary);
          summary.received++;
          const ms = f.UpdatedAt ? Date.parse(f.UpdatedAt) : NaN;
          if (Number.isFinite(ms)) highest = Math.max(highest, ms);
        }
        await this.store.setCheckpoint(this.key(detectorId), JSON.stringify({ updatedAtMs: highest } satisfies PollCheckpoint));
      }
      nextToken = page.NextToken || undefined;
    } while (nextToken);
  }
}
