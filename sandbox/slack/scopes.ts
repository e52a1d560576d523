import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import type { SandboxChannel } from './slack-state';
import { SlackApiError, flagArg, strArg, type CallArgs } from './wire';

/** The kind of conversation a method acts on: Slack asks for a different scope for each. */
type ConversationKind = 'public' | 'private' | 'im';

/** Bot scopes a method accepts (any one of them), or, per conversation kind, the scopes for that kind. */
type MethodScopes = readonly string[] | Readonly<Record<ConversationKind, readonly string[]>>;

const MANAGE: Record<ConversationKind, readonly string[]> = { public: ['channels:manage'], private: ['groups:write'], im: ['im:write'] };
const READ: Record<ConversationKind, readonly string[]> = { public: ['channels:read'], private: ['groups:read'], im: ['im:read'] };
const HISTORY: Record<ConversationKind, readonly string[]> = { public: ['channels:history'], private: ['groups:history'], im: ['im:history'] };

/**
 * The bot-token scopes of each method the sandbox implements, from each method's page
 * ("Required scopes", bot token): https://api.slack.com/methods/<method>, e.g.
 * https://api.slack.com/methods/chat.postMessage (chat:write),
 * https://api.slack.com/methods/conversations.create (channels:manage, groups:write, im:write, mpim:write),
 * https://api.slack.com/methods/conversations.setTopic (also the granular channels:write.topic /
 * groups:write.topic, https://docs.slack.dev/reference/scopes/groups.write.topic),
 * https://api.slack.com/methods/conversations.join (channels:join),
 * https://api.slack.com/methods/conversations.list (channels:read, groups:read, im:read, mpim:read),
 * https://api.slack.com/methods/users.lookupByEmail (users:read.email),
 * https://api.slack.com/methods/usergroups.users.list (usergroups:read),
 * https://api.slack.com/methods/files.getUploadURLExternal and files.completeUploadExternal (files:write).
 * Where a method acts on one conversation, Slack asks for the scope of that conversation's kind
 * (groups:write for a private channel, channels:manage for a public one).
 */
export const METHOD_SCOPES: Readonly<Record<string, MethodScopes>> = {
  'api.test': [],
  'auth.test': [],
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.delete': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'conversations.create': MANAGE,
  'conversations.setTopic': { public: ['channels:manage', 'channels:write.topic'], private: ['groups:write', 'groups:write.topic'], im: ['im:write'] },
  'conversations.setPurpose': { public: ['channels:manage', 'channels:write.topic'], private: ['groups:write', 'groups:write.topic'], im: ['im:write'] },
  'conversations.invite': MANAGE,
  'conversations.archive': MANAGE,
  'conversations.open': ['im:write'],
  'conversations.join': ['channels:join'],
  'conversations.info': READ,
  'conversations.members': READ,
  // conversations.list asks for the read scope of each `types` it lists.
  'conversations.list': READ,
  'conversations.history': HISTORY,
  'conversations.replies': HISTORY,
  'pins.add': ['pins:write'],
  'pins.remove': ['pins:write'],
  'pins.list': ['pins:read'],
  'reactions.add': ['reactions:write'],
  'users.info': ['users:read'],
  'users.lookupByEmail': ['users:read.email'],
  'usergroups.list': ['usergroups:read'],
  'usergroups.users.list': ['usergroups:read'],
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
};

/** The bot scopes of an app manifest (`oauth_config.scopes.bot`). */
export function manifestBotScopes(path: string): string[] {
  const doc = parse(readFileSync(path, 'utf8')) as { oauth_config?: { scopes?: { bot?: unknown } } };
  const bot = doc.oauth_config?.scopes?.bot;
  if (!Array.isArray(bot) || !bot.every((s): s is string => typeof s === 'string')) throw new Error(`${path}: no oauth_config.scopes.bot list`);
  return bot;
}

/** Cordon's app manifest, found from here upwards (the sandbox runs from `sandbox/` and from `dist/sandbox/`). */
export function defaultManifestPath(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'manifests', 'slack', 'app-manifest.yaml');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error('manifests/slack/app-manifest.yaml not found above the sandbox');
  }
}

function kindOf(c: SandboxChannel): ConversationKind {
  return c.is_im ? 'im' : c.is_private ? 'private' : 'public';
}

/**
 * Refuses a call whose method needs a scope the token was not granted, as Slack does:
 * `{ok:false, error:'missing_scope', needed, provided}` (https://api.slack.com/docs/oauth-scopes#working_with_scopes,
 * and each method's "Errors" table lists `missing_scope`). `channel` finds the conversation a
 * method acts on; a channel it cannot find is left to the method's own `channel_not_found`.
 */
export function requireScopes(method: string, args: CallArgs, granted: ReadonlySet<string>, channel: (id: string) => SandboxChannel | undefined): void {
  const spec = METHOD_SCOPES[method];
  if (!spec) return;
  let accepted: readonly string[][];
  if (Array.isArray(spec)) {
    accepted = [spec as readonly string[]].map((s) => [...s]);
  } else {
    const byKind = spec as Readonly<Record<ConversationKind, readonly string[]>>;
    let kinds: ConversationKind[];
    if (method === 'conversations.create') kinds = [flagArg(args.is_private) ? 'private' : 'public'];
    else if (method === 'conversations.list') {
      const types = (strArg(args.types) ?? 'public_channel').split(',').map((t) => t.trim());
      kinds = types.flatMap((t): ConversationKind[] => (t === 'public_channel' ? ['public'] : t === 'private_channel' ? ['private'] : t === 'im' ? ['im'] : []));
    } else {
      const c = channel(strArg(args.channel) ?? '');
      if (!c) return;
      kinds = [kindOf(c)];
    }
    accepted = kinds.map((k) => [...byKind[k]]);
  }
  for (const anyOf of accepted) {
    if (anyOf.length === 0 || anyOf.some((s) => granted.has(s))) continue;
    throw new SlackApiError('missing_scope', { needed: anyOf[0], provided: [...granted].join(',') });
  }
}

/** Every scope some method here needs: for tests of the sandbox's own methods, not of Cordon. */
export function everyScope(): string[] {
  return [...new Set(Object.values(METHOD_SCOPES).flatMap((s) => (Array.isArray(s) ? [...(s as readonly string[])] : Object.values(s as Record<string, readonly string[]>).flat())))];
}
