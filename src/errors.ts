/**
 * One error base for everything Cordon reports to a person. `code` is stable
 * (tests, logs and runbooks key on it); `message` is safe to show in Slack or a
 * terminal: it says what was wrong and, where there is one, the right form.
 */
export class CordonError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CordonError';
  }
}

/** Stable error codes. Add here, never inline a new string elsewhere. */
export const ErrorCode = {
  CONFIG_INVALID: 'CONFIG.INVALID',
  CONFIG_MISSING: 'CONFIG.MISSING',
  FINDING_INVALID: 'FINDING.INVALID',
  INPUT_INVALID: 'INPUT.INVALID',
  STORE_CONFLICT: 'STORE.CONFLICT',
  STORE_UNAVAILABLE: 'STORE.UNAVAILABLE',
  CASE_NOT_FOUND: 'CASE.NOT_FOUND',
  SLACK_FAILED: 'SLACK.FAILED',
  ARN_INVALID: 'ARN.INVALID',
  ACCOUNT_NOT_ALLOWED: 'ACCOUNT.NOT_ALLOWED',
  ACCESS_DENIED: 'ACCESS.DENIED',
  AWS_FAILED: 'AWS.FAILED',
  NOT_CONTAINED: 'CONTAINMENT.NOT_CONTAINED',
  /** A role AWS lets no one change (service-linked, IAM Identity Center): refused at plan time. */
  TARGET_AWS_MANAGED: 'CONTAINMENT.AWS_MANAGED',
  /** A protected principal (Cordon's own roles, OrganizationAccountAccessRole, `cordon:protected`, the config's list). */
  TARGET_PROTECTED: 'CONTAINMENT.PROTECTED',
  /** The target already has a live action: one at a time. */
  TARGET_BUSY: 'CONTAINMENT.TARGET_BUSY',
  /** A finding's IAM user or role is not (or cannot be shown to be) the principal the finding saw: its unique id differs. */
  PRINCIPAL_MISMATCH: 'CONTAINMENT.PRINCIPAL_MISMATCH',
  /** Revert would put an instance back in a group that lets the internet reach its remote administration; a commander must say so. */
  REVERT_EXPOSES: 'CONTAINMENT.REVERT_EXPOSES',
  /** A job the worker would not run: it does not match what the store says was asked and allowed. */
  JOB_REFUSED: 'JOB.REFUSED',
  /** The audit trail's hash chain does not hold. */
  AUDIT_BROKEN: 'AUDIT.BROKEN',
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export function isCordonError(err: unknown): err is CordonError {
  return err instanceof CordonError;
}

/** Message of anything thrown, without a stack. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The error code of an AWS SDK error (its `name`), or undefined when it is not one. */
export function awsErrorCode(err: unknown): string | undefined {
  if (!err || typeof err !== 'object' || !('$metadata' in err)) return undefined;
  const name = (err as { name?: unknown }).name;
  return typeof name === 'string' ? name : 'UnknownError';
}

/**
 * What a person may read of a failure: a CordonError's message, or for an AWS error
 * Cordon's own words and the AWS error code. The AWS message (ARNs, account ids, policy
 * and principal names from another account) goes to the logs only, never to Slack.
 */
export function failureWords(err: unknown): string {
  if (isCordonError(err)) return err.message;
  const code = awsErrorCode(err);
  if (code) return `AWS refused the call (${code})`;
  // Cordon's own throws (a plain Error with its words); anything else is named, not quoted.
  return err instanceof Error ? err.message : 'an unexpected failure (see Cordon\'s logs)';
}
