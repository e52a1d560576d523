export { BLOCK_LIMITS, blockViolation } from './block-limits';
export { SlackSandbox, type RecordedCall, type SandboxChannel, type SandboxEphemeral, type SandboxMessage, type SlackSandboxOptions } from './slack-sandbox';
