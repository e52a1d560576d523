import type { TimelineKind } from './case';

/**
 * What each timeline event is called where people read it (timeline lines, `/ir timeline`,
 * the report). The kinds stay as stored: they are the record's keys, not sentences.
 */
export const TIMELINE_LABEL: Readonly<Record<TimelineKind, string>> = Object.freeze({
  'case.opened': 'Case opened',
  'finding.added': 'Finding added',
  'finding.severity_raised': 'Severity raised',
  'channel.created': 'Channel created',
  'escalation.requested': 'Escalation requested',
  note: 'Note',
  'action.requested': 'Action requested',
  'action.approved': 'Action approved',
  'action.rejected': 'Action rejected',
  'action.applied': 'Action applied',
  'action.failed': 'Action failed',
  'action.reverted': 'Action reverted',
  'case.escalated': 'Case escalated',
  'case.acknowledged': 'Escalation acknowledged',
  'case.resolved': 'Case resolved',
  'case.closed': 'Case closed',
  'case.merged': 'Case merged in',
  'case.merged_into': 'Merged into another case',
  'finding.split': 'Finding split off',
  'finding.linked': 'Finding linked',
  'report.published': 'Report published',
});

/** The label of a kind; a kind stored by another version shows as it was stored. */
export function timelineLabel(kind: string): string {
  return Object.hasOwn(TIMELINE_LABEL, kind) ? TIMELINE_LABEL[kind as TimelineKind] : kind;
}
