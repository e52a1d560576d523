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
