/**
 * Resource kinds Cordon can contain (docs/architecture.md §7): one playbook each. A domain notion the
 * config refers to (approval rules name kinds), so the config imports it from here.
 */
export const RESOURCE_KINDS = ['ec2-instance', 'iam-user', 'iam-role', 'lambda-function', 'access-key'] as const;

/** One of {@link RESOURCE_KINDS}. */
export type ResourceKind = (typeof RESOURCE_KINDS)[number];
