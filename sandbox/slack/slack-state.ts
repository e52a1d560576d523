/**
 * The workspace behind the sandbox: users, groups, channels, membership, messages,
 * pins, files. Web API methods change it; tests read copies of it.
 */
import { SlackApiError } from './wire';

/** The bot user every token in the sandbox authenticates as. */
export const BOT_USER_ID = 'UBOT';
/** The bot's `bot_id` as Slack reports it on messages and in auth.test. */
export const BOT_ID = 'B0SANDBOX';
/** The app the bot belongs to. */
export const APP_ID = 'A0SANDBOX';

/** Slack's channel-name rule: lowercase letters, digits, `-` and `_`, at most 80. */
export const CHANNEL_NAME_PATTERN = /^[a-z0-9_-]+$/;
/** Longest channel name Slack accepts. */
export const CHANNEL_NAME_MAX = 80;

/** A workspace member. */
export interface SandboxUser {
  id: string;
  name: string;
  realName?: string;
  email?: string;
  isBot: boolean;
  /** Deactivated: users.info says `deleted: true`; invites skip them with an error. */
  deleted?: boolean;
  /** A multi-channel guest (`is_restricted`). */
  restricted?: boolean;
  /** A single-channel guest (`is_ultra_restricted`). */
  ultraRestricted?: boolean;
}

/** A user group (`S…`), as `usergroups.users.list` resolves it. */
export interface SandboxUserGroup {
  id: string;
  handle: string;
  users: string[];
}

/** A channel as the sandbox keeps it. */
export interface SandboxChannel {
  id: string;
  name: string;
  is_private: boolean;
  /** A direct message between two people (`D…`, no name); only its two members see it. */
  is_im: boolean;
  is_archived: boolean;
  topic: string;
  purpose: string;
  /** Unix seconds. */
  created: number;
  creator: string;
}

/** A file attached to a message. */
export interface SandboxFileRef {
  id: string;
  name: string;
  title: string;
}

/** A message's content before one `chat.update`. */
export interface SandboxMessageVersion {
  text?: string;
  blocks?: unknown[];
  /** Slack ts of the edit that replaced this version. */
  replacedAt: string;
}

/** A reaction on a message. */
export interface SandboxReaction {
  name: string;
  users: string[];
}

/** A message, top-level or threaded. */
export interface SandboxMessage {
  ts: string;
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown[];
  /** Set on replies (and on a thread's parent once it has replies, as Slack does). */
  thread_ts?: string;
  /** A reply also shown in the channel (`reply_broadcast`). */
  reply_broadcast?: boolean;
  /** How many times chat.update (or a response_url replace) changed it. */
  edits: number;
  /** Earlier versions, oldest first; one per edit. */
  history: SandboxMessageVersion[];
  files?: SandboxFileRef[];
  reactions?: SandboxReaction[];
  unfurl_links?: boolean;
  unfurl_media?: boolean;
  metadata?: unknown;
}

/** A file taken through files.getUploadURLExternal → upload → files.completeUploadExternal. */
export interface SandboxFile {
  id: string;
  filename: string;
  title?: string;
  altText?: string;
  /** The `length` declared to getUploadURLExternal. */
  declaredLength: number;
  /** The bytes posted to the upload URL (empty until then). */
  bytes: Buffer;
  uploaded: boolean;
  completed: boolean;
  /** Where completeUploadExternal shared it, if anywhere. */
  channel?: string;
  /** ts of the message that shares it. */
  messageTs?: string;
}

/** An ephemeral message: chat.postEphemeral, or an ephemeral post to a response_url. */
export interface SandboxEphemeral {
  via: 'postEphemeral' | 'response_url';
  channel?: string;
  user?: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  message_ts?: string;
}

/** A pinned message. */
export interface SandboxPin {
  ts: string;
  pinnedBy: string;
  /** Unix seconds. */
  created: number;
}

/** Ids that look like Slack's (prefix + 10 uppercase alphanumerics) and never repeat. */
function slackId(prefix: string, n: number): string {
  // Multiplying by a constant coprime with 36^9 scatters sequential ids without collisions.
  const scrambled = (n * 2_654_435_761) % 36 ** 9;
  return `${prefix}0${scrambled.toString(36).toUpperCase().padStart(9, '0')}`;
}

/** Stateful workspace; every method here assumes arguments were already validated. */
export class SlackState {
  readonly users = new Map<string, SandboxUser>();
  readonly groups = new Map<string, SandboxUserGroup>();
  readonly channels = new Map<string, SandboxChannel>();
  readonly memberships = new Map<string, Set<string>>();
  /** Every message of a channel, replies included, in ts order. */
  readonly messages = new Map<string, SandboxMessage[]>();
  readonly pins = new Map<string, SandboxPin[]>();
  readonly uploads = new Map<string, SandboxFile>();
  readonly ephemerals: SandboxEphemeral[] = [];
  private idSeq = 0;
  private lastMicros = 0;

  constructor(readonly teamId: string) {
    this.users.set(BOT_USER_ID, { id: BOT_USER_ID, name: 'cordon', realName: 'Cordon', isBot: true });
  }

  nextId(prefix: 'C' | 'D' | 'F'): string {
    return slackId(prefix, ++this.idSeq);
  }

  /** Slack-format ts (`1700000000.000100`): wall clock, strictly increasing, unique. */
  nextTs(): string {
    const micros = Math.max(Date.now() * 1000, this.lastMicros + 1);
    this.lastMicros = micros;
    return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }

  nowSeconds(): number {
    return Math.floor(Date.now() / 1000);
  }

  /** Why `name` cannot be a new channel's name, as Slack's error code; undefined if it can. */
  channelNameError(name: string): string | undefined {
    if (name.length === 0) return 'invalid_name_required';
    if (name.length > CHANNEL_NAME_MAX) return 'invalid_name_maxlength';
    if (!CHANNEL_NAME_PATTERN.test(name)) return 'invalid_name_specials';
    // Archived channels keep their names: Slack refuses to reuse them.
    for (const c of this.channels.values()) if (c.name === name) return 'name_taken';
    return undefined;
  }

  createChannel(name: string, isPrivate: boolean, creator: string, members: Iterable<string>, opts: { im?: boolean } = {}): SandboxChannel {
    const c: SandboxChannel = {
      id: this.nextId(opts.im ? 'D' : 'C'),
      name,
      is_private: isPrivate,
      is_im: opts.im ?? false,
      is_archived: false,
      topic: '',
      purpose: '',
      created: this.nowSeconds(),
      creator,
    };
    this.channels.set(c.id, c);
    this.memberships.set(c.id, new Set(members));
    this.messages.set(c.id, []);
    this.pins.set(c.id, []);
    return c;
  }

  /**
   * The DM between two users, opened if there is none yet. Slack keeps one DM per pair
   * and only its two members can see it: a DM between two people is invisible to the bot.
   */
  openDm(a: string, b: string): SandboxChannel {
    for (const c of this.channels.values()) {
      const m = this.memberships.get(c.id);
      if (c.is_im && m?.size === (a === b ? 1 : 2) && m.has(a) && m.has(b)) return c;
    }
    return this.createChannel('', true, a, [a, b], { im: true });
  }

  membersOf(channelId: string): Set<string> {
    let set = this.memberships.get(channelId);
    if (!set) {
      set = new Set();
      this.memberships.set(channelId, set);
    }
    return set;
  }

  isMember(channelId: string, userId: string): boolean {
    return this.memberships.get(channelId)?.has(userId) ?? false;
  }

  /**
   * The channel named by `ref` as the bot sees it. Private channels the bot is not in are
   * invisible, so Slack answers `channel_not_found` for them, never `not_in_channel`.
   * Names (`#name` or `name`) resolve only where Slack accepts them (chat.* methods).
   */
  visibleChannel(ref: unknown, opts: { byName?: boolean } = {}): SandboxChannel {
    let c = typeof ref === 'string' ? this.channels.get(ref) : undefined;
    if (!c && opts.byName && typeof ref === 'string') {
      const name = ref.startsWith('#') ? ref.slice(1) : ref;
      for (const x of this.channels.values()) if (x.name === name) c = x;
    }
    // A DM the bot is not in is as invisible as a private channel (https://docs.slack.dev/reference/methods/chat.postMessage#errors).
    if (!c || ((c.is_private || c.is_im) && !this.isMember(c.id, BOT_USER_ID))) throw new SlackApiError('channel_not_found');
    return c;
  }

  /** The bot must be in the channel to write to it. */
  requireBotIn(c: SandboxChannel): void {
    if (!this.isMember(c.id, BOT_USER_ID)) throw new SlackApiError('not_in_channel');
  }

  requireNotArchived(c: SandboxChannel): void {
    if (c.is_archived) throw new SlackApiError('is_archived');
  }

  channelMessages(channelId: string): SandboxMessage[] {
    let list = this.messages.get(channelId);
    if (!list) {
      list = [];
      this.messages.set(channelId, list);
    }
    return list;
  }

  findMessage(channelId: string, ts: unknown, error = 'message_not_found'): SandboxMessage {
    const m = typeof ts === 'string' || typeof ts === 'number' ? this.channelMessages(channelId).find((x) => x.ts === String(ts)) : undefined;
    if (!m) throw new SlackApiError(error);
    return m;
  }

  /** Top-level messages in order: thread parents, plain posts and broadcast replies. */
  topLevel(channelId: string): SandboxMessage[] {
    return this.channelMessages(channelId).filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts || m.reply_broadcast === true);
  }

  /** Replies of the thread rooted at `ts`, in order, without the parent. */
  threadReplies(channelId: string, ts: string): SandboxMessage[] {
    return this.channelMessages(channelId).filter((m) => m.thread_ts === ts && m.ts !== ts);
  }

  addMessage(m: Omit<SandboxMessage, 'edits' | 'history'>): SandboxMessage {
    const msg: SandboxMessage = { ...m, edits: 0, history: [] };
    if (m.thread_ts !== undefined && m.thread_ts !== m.ts) {
      // Slack marks a parent with its own ts as thread_ts once the thread exists.
      const parent = this.channelMessages(m.channel).find((x) => x.ts === m.thread_ts);
      if (parent) parent.thread_ts = parent.ts;
    }
    this.channelMessages(m.channel).push(msg);
    return msg;
  }

  removeMessage(channelId: string, ts: string): void {
    this.messages.set(
      channelId,
      this.channelMessages(channelId).filter((m) => m.ts !== ts),
    );
    this.pins.set(
      channelId,
      (this.pins.get(channelId) ?? []).filter((p) => p.ts !== ts),
    );
  }

  /** Replaces a message's content, keeping the old version in its history. */
  editMessage(m: SandboxMessage, change: { text?: string; blocks?: unknown[] }): void {
    m.history.push({
      replacedAt: this.nextTs(),
      ...(m.text !== undefined ? { text: m.text } : {}),
      ...(m.blocks !== undefined ? { blocks: m.blocks } : {}),
    });
    if (change.text !== undefined) m.text = change.text;
    if (change.blocks !== undefined) {
      // An empty array is how Slack callers remove a message's blocks.
      if (change.blocks.length === 0) delete m.blocks;
      else m.blocks = change.blocks;
    }
    m.edits++;
  }
}
