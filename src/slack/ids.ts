/** Every Slack `action_id` Cordon renders or listens for, in one place. */
export const ActionId = {
  CONTAIN: 'cordon.contain',
  ESCALATE: 'cordon.escalate',
  SUPPRESS_SIMILAR: 'cordon.suppress_similar',
  APPROVE: 'cordon.approve',
  REJECT: 'cordon.reject',
  REVERT: 'cordon.revert',
  ACKNOWLEDGE: 'cordon.acknowledge',
  /** A second commander approves a wide suppression rule (triage channel). */
  APPROVE_SUPPRESSION: 'cordon.approve_suppression',
  /** A responder invites a case's resource owner (Owner tag) when no owner domain is trusted to invite itself. */
  INVITE_OWNER: 'cordon.invite_owner',
  /** The pinned case card's buttons: the same calls as `/ir escalate`, `/ir report` and `/ir timeline`. */
  CASE_ESCALATE: 'cordon.case_escalate',
  CASE_REPORT: 'cordon.case_report',
  CASE_TIMELINE: 'cordon.case_timeline',
} as const;

/** The slash command. */
export const SLASH_COMMAND = '/ir';
