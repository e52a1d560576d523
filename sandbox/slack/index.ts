export { BLOCK_LIMITS, blockViolation, blocksTextLength } from './block-limits';
export { METHOD_TIERS, RateLimiter, SLACK_TIERS, type RateLimitConfig, type RateLimitRule } from './rate-limiter';
export {
  SlackSandbox,
  type RecordedCall,
  type ResponseUrlContext,
  type SeedChannel,
  type SeedMessage,
  type SeedUser,
  type SlackFault,
  type SlackSandboxOptions,
} from './slack-sandbox';
export {
  APP_ID,
  BOT_ID,
  BOT_USER_ID,
  type SandboxChannel,
  type SandboxEphemeral,
  type SandboxFile,
  type SandboxFileRef,
  type SandboxMessage,
  type SandboxMessageVersion,
  type SandboxReaction,
  type SandboxUser,
  type SandboxUserGroup,
} from './slack-state';
export { SUPPORTED_METHODS } from './web-api-methods';
export type { CallArgs } from './wire';
