/** Every Slack `action_id` Cordon renders or listens for, in one place. */
export const ActionId = {
  CONTAIN: 'cordon.contain',
  ESCALATE: 'cordon.escalate',
  SUPPRESS_SIMILAR: 'cordon.suppress_similar',
  APPROVE: 'cordon.approve',
  REJECT: 'cordon.reject',
  REVERT: 'cordon.revert',
  ACKNOWLEDGE: 'cordon.acknowledge',
} as const;

/** The slash command. */
export const SLASH_COMMAND = '/ir';
