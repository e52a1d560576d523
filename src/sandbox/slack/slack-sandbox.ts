import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { blockViolation, BLOCK_LIMITS } from './block-limits';

/** Options for a sandbox Slack server. */
export interface SlackSandboxOptions {
  teamId?: string;
  /** `true`: Slack-like per-method limits; or a map of method → calls per minute. Default off. */
  rateLimits?: boolean | Record<string, number>;
  /** Seconds put in `Retry-After` on a 429 (default 1, to keep tests fast). */
  retryAfterSeconds?: number;
}

/** A channel as the sandbox keeps it. */
export interface SandboxChannel {
  id: string;
  name: string;
  is_private: boolean;
  is_archived: boolean;
  topic: string;
  purpose: string;
  created: number;
}

/** A message, top-level or threaded. `edits` counts chat.update calls on it. */
export interface SandboxMessage {
  ts: string;
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  edits: number;
  files?: { id: string; title: string }[];
}

/** One recorded Web API call, kept whether Slack said ok or not. */
export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
  httpStatus: number;
  response?: { ok: boolean; error?: string };
}

/** An ephemeral message (chat.postEphemeral or a response_url post). */
export interface SandboxEphemeral {
  channel?: string;
  user?: string;
  text?: string;
  blocks?: unknown[];
  via: 'postEphemeral' | 'response_url';
  replaceOriginal?: boolean;
}

interface User {
  id: string;
  name: string;
  email?: string;
  is_bot: boolean;
}

type Fault = { error: string } | { httpStatus: number };

/** Slack's default tiers, calls per minute (chat.postMessage is per channel). */
const DEFAULT_LIMITS: Record<string, number> = {
  'chat.postMessage': 60,
  'chat.update': 50,
  'chat.postEphemeral': 100,
  'conversations.create': 20,
  'conversations.invite': 50,
  'conversations.setTopic': 20,
  'pins.add': 20,
  'users.lookupByEmail': 50,
  'usergroups.users.list': 20,
};

class SlackApiError extends Error {
  constructor(readonly code: string, readonly extra: Record<string, unknown> = {}) {
    super(code);
  }
}

/** A form field as text ('' when absent or not text). */
function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * A local, stateful Slack Web API for tests and the demo, with Slack's own rules:
 * channel names, membership, Block Kit limits, rate limits answered with 429 and
 * `Retry-After`. Cordon reaches it through `SLACK_API_URL`; every call is recorded.
 */
export class SlackSandbox {
  readonly teamId: string;
  readonly botUserId = 'UBOT';
  private server!: Server;
  url = '';
  private readonly users = new Map<string, User>();
  private readonly groups = new Map<string, { handle: string; users: string[] }>();
  private readonly chans = new Map<string, SandboxChannel>();
  private readonly memberSets = new Map<string, Set<string>>();
  private readonly msgs = new Map<string, SandboxMessage[]>();
  private readonly pinned = new Map<string, string[]>();
  private readonly recorded: RecordedCall[] = [];
  private readonly ephemeralLog: SandboxEphemeral[] = [];
  private readonly uploads = new Map<string, { filename: string; bytes: Buffer; title?: string; channel?: string }>();
  private readonly faults = new Map<string, Fault[]>();
  private readonly windows = new Map<string, number[]>();
  private latency = 0;
  private seq = 0;
  private clock = 1_795_000_000;

  private constructor(private readonly opts: SlackSandboxOptions) {
    this.teamId = opts.teamId ?? 'T0SANDBOX';
    this.users.set(this.botUserId, { id: this.botUserId, name: 'cordon', is_bot: true });
  }

  static async start(opts: SlackSandboxOptions = {}): Promise<SlackSandbox> {
    const sb = new SlackSandbox(opts);
    sb.server = createServer((req, res) => void sb.handle(req, res));
    await new Promise<void>((resolve) => sb.server.listen(0, '127.0.0.1', resolve));
    sb.url = `http://127.0.0.1:${(sb.server.address() as AddressInfo).port}`;
    return sb;
  }

  /** Base URL for WebClient's `slackApiUrl`. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** A response_url that records what is posted to it. */
  responseUrl(): string {
    return `${this.url}/response/${++this.seq}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- seeding

  addUser(u: { id: string; name: string; email?: string; isBot?: boolean }): void {
    this.users.set(u.id, { id: u.id, name: u.name, ...(u.email ? { email: u.email.toLowerCase() } : {}), is_bot: u.isBot ?? false });
  }

  addUserGroup(g: { id: string; handle: string; users: string[] }): void {
    this.groups.set(g.id, { handle: g.handle, users: [...g.users] });
  }

  addChannel(c: { name: string; isPrivate?: boolean; members?: string[] }): string {
    return this.createChannel(c.name, c.isPrivate ?? false, c.members ?? []).id;
  }

  // ---- state for tests

  channels(): SandboxChannel[] {
    return [...this.chans.values()].map((c) => ({ ...c }));
  }

  channel(idOrName: string): SandboxChannel | undefined {
    const c = this.chans.get(idOrName) ?? [...this.chans.values()].find((x) => x.name === idOrName);
    return c ? { ...c } : undefined;
  }

  messages(channelId: string): SandboxMessage[] {
    return (this.msgs.get(channelId) ?? []).filter((m) => !m.thread_ts || m.thread_ts === m.ts);
  }

  replies(channelId: string, ts: string): SandboxMessage[] {
    return (this.msgs.get(channelId) ?? []).filter((m) => m.thread_ts === ts && m.ts !== ts);
  }

  pins(channelId: string): string[] {
    return [...(this.pinned.get(channelId) ?? [])];
  }

  members(channelId: string): string[] {
    return [...(this.memberSets.get(channelId) ?? [])];
  }

  calls(method?: string): RecordedCall[] {
    return this.recorded.filter((c) => !method || c.method === method);
  }

  ephemerals(channel?: string): SandboxEphemeral[] {
    return this.ephemeralLog.filter((e) => !channel || e.channel === channel);
  }

  files(): { id: string; filename: string; bytes: Buffer; title?: string; channel?: string }[] {
    return [...this.uploads.entries()].map(([id, f]) => ({ id, ...f }));
  }

  // ---- faults

  /** The next call of `method` fails with a Slack error or an HTTP status (5xx). */
  failNext(method: string, fault: string | { httpStatus: number }, times = 1): void {
    const list = this.faults.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(typeof fault === 'string' ? { error: fault } : fault);
    this.faults.set(method, list);
  }

  setLatency(ms: number): void {
    this.latency = ms;
  }

  // ---- HTTP

  private async readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  private parseArgs(req: IncomingMessage, raw: Buffer): Record<string, unknown> {
    const type = req.headers['content-type'] ?? '';
    const text = raw.toString('utf8');
    if (type.includes('application/json')) return text ? (JSON.parse(text) as Record<string, unknown>) : {};
    return Object.fromEntries(new URLSearchParams(text).entries());
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (this.latency) await new Promise((r) => setTimeout(r, this.latency));
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const raw = await this.readBody(req);
      if (path.startsWith('/response/')) {
        const args = this.parseArgs(req, raw);
        this.ephemeralLog.push({
          via: 'response_url',
          ...(str(args.text) ? { text: args.text as string } : {}),
          ...(Array.isArray(args.blocks) ? { blocks: args.blocks } : {}),
          ...(args.replace_original === true ? { replaceOriginal: true } : {}),
        });
        this.send(res, 200, { ok: true });
        return;
      }
      if (path.startsWith('/upload/')) {
        const id = path.slice('/upload/'.length);
        const f = this.uploads.get(id);
        if (!f) return this.send(res, 404, { ok: false });
        f.bytes = this.multipartFile(req, raw);
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`OK - ${f.bytes.length}`);
        return;
      }
      if (!path.startsWith('/api/')) return this.send(res, 404, { ok: false, error: 'not_found' });
      const method = path.slice('/api/'.length);
      const args = this.parseArgs(req, raw);
      const call: RecordedCall = { method, args, at: Date.now(), httpStatus: 200 };
      this.recorded.push(call);

      const fault = this.faults.get(method)?.shift();
      if (fault && 'httpStatus' in fault) {
        call.httpStatus = fault.httpStatus;
        res.writeHead(fault.httpStatus, { 'content-type': 'text/plain' });
        res.end('upstream error');
        return;
      }
      const limited = this.rateLimited(method, args);
      if (limited) {
        call.httpStatus = 429;
        call.response = { ok: false, error: 'ratelimited' };
        return this.send(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(this.opts.retryAfterSeconds ?? 1) });
      }
      let body: Record<string, unknown>;
      try {
        if (fault) throw new SlackApiError(fault.error);
        this.authenticate(req, args);
        body = { ok: true, ...this.dispatch(method, args) };
      } catch (err) {
        if (!(err instanceof SlackApiError)) throw err;
        body = { ok: false, error: err.code, ...err.extra };
      }
      call.response = { ok: body.ok === true, ...(typeof body.error === 'string' ? { error: body.error } : {}) };
      this.send(res, 200, body);
    } catch (err) {
      this.send(res, 500, { ok: false, error: 'internal_error', detail: String(err) });
    }
  }

  private multipartFile(req: IncomingMessage, raw: Buffer): Buffer {
    const type = req.headers['content-type'] ?? '';
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(type);
    if (!boundary) return raw;
    const marker = Buffer.from(`--${boundary[1] ?? boundary[2] ?? ''}`);
    const start = raw.indexOf(marker);
    const headerEnd = raw.indexOf('\r\n\r\n', start);
    const end = raw.indexOf(marker, headerEnd);
    return raw.subarray(headerEnd + 4, end - 2);
  }

  private rateLimited(method: string, args: Record<string, unknown>): boolean {
    const conf = this.opts.rateLimits;
    if (!conf) return false;
    const perMinute = conf === true ? (DEFAULT_LIMITS[method] ?? 100) : conf[method];
    if (perMinute === undefined) return false;
    const key = method === 'chat.postMessage' ? `${method}:${String(args.channel)}` : method;
    const now = Date.now();
    const window = (this.windows.get(key) ?? []).filter((t) => now - t < 60_000);
    // Slack allows short bursts; the sandbox allows a burst of a tenth of a minute's quota.
    const burst = Math.max(1, Math.ceil(perMinute / 10));
    const recent = window.filter((t) => now - t < 6000).length;
    if (window.length >= perMinute || recent >= burst) {
      this.windows.set(key, window);
      return true;
    }
    window.push(now);
    this.windows.set(key, window);
    return false;
  }

  private authenticate(req: IncomingMessage, args: Record<string, unknown>): void {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : str(args.token);
    if (!token) throw new SlackApiError('not_authed');
    if (!token.startsWith('xoxb-')) throw new SlackApiError('invalid_auth');
  }

  private nextTs(): string {
    this.clock += 1;
    return `${this.clock}.${String(++this.seq).padStart(6, '0')}`;
  }

  private createChannel(name: string, isPrivate: boolean, members: string[]): SandboxChannel {
    const id = `C${(0x10000000 + this.chans.size * 7919 + this.seq++).toString(36).toUpperCase()}`;
    const c: SandboxChannel = { id, name, is_private: isPrivate, is_archived: false, topic: '', purpose: '', created: Math.floor(Date.now() / 1000) };
    this.chans.set(id, c);
    this.memberSets.set(id, new Set(members));
    this.msgs.set(id, []);
    return c;
  }

  private requireChannel(id: unknown): SandboxChannel {
    const c = typeof id === 'string' ? this.chans.get(id) : undefined;
    if (!c) throw new SlackApiError('channel_not_found');
    return c;
  }

  private requireBotMember(c: SandboxChannel): void {
    if (!this.memberSets.get(c.id)?.has(this.botUserId)) throw new SlackApiError(c.is_private ? 'channel_not_found' : 'not_in_channel');
  }

  private parseBlocks(v: unknown): unknown[] | undefined {
    if (v === undefined) return undefined;
    let blocks: unknown = v;
    if (typeof v === 'string') {
      try {
        blocks = JSON.parse(v) as unknown;
      } catch {
        throw new SlackApiError('invalid_blocks_format');
      }
    }
    if (!Array.isArray(blocks)) throw new SlackApiError('invalid_blocks_format');
    const list: unknown[] = blocks;
    const violation = blockViolation(list);
    if (violation) throw new SlackApiError('invalid_blocks', { response_metadata: { messages: [violation] } });
    return list;
  }

  private findMessage(channel: string, ts: unknown): SandboxMessage {
    const m = (this.msgs.get(channel) ?? []).find((x) => x.ts === ts);
    if (!m) throw new SlackApiError('message_not_found');
    return m;
  }

  private dispatch(method: string, a: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return { url: 'https://sandbox.slack.invalid/', team: 'Sandbox', user: 'cordon', team_id: this.teamId, user_id: this.botUserId, bot_id: 'B0CORDON' };
      case 'conversations.create': {
        const name = str(a.name) ?? '';
        if (!name) throw new SlackApiError('invalid_name_required');
        if (name.length > 80) throw new SlackApiError('invalid_name_maxlength');
        if (!/^[a-z0-9_-]+$/.test(name)) throw new SlackApiError('invalid_name_specials');
        if ([...this.chans.values()].some((c) => c.name === name)) throw new SlackApiError('name_taken');
        const c = this.createChannel(name, a.is_private === true || a.is_private === 'true', [this.botUserId]);
        return { channel: { ...c, is_channel: !c.is_private, is_group: c.is_private, is_member: true } };
      }
      case 'conversations.setTopic':
      case 'conversations.setPurpose': {
        const c = this.requireChannel(a.channel);
        this.requireBotMember(c);
        const field = method.endsWith('Topic') ? 'topic' : 'purpose';
        const value = text(a[field]);
        if (value.length > 250) throw new SlackApiError('too_long');
        c[field] = value;
        return { channel: { ...c } };
      }
      case 'conversations.invite': {
        const c = this.requireChannel(a.channel);
        this.requireBotMember(c);
        const ids = text(a.users).split(',').map((s) => s.trim()).filter(Boolean);
        if (!ids.length) throw new SlackApiError('no_user');
        const force = a.force === true || a.force === 'true';
        const unknown = ids.filter((u) => !this.users.has(u));
        if (ids.includes(this.botUserId)) throw new SlackApiError('cant_invite_self');
        if (unknown.length && !force) throw new SlackApiError('user_not_found');
        const members = this.memberSets.get(c.id) as Set<string>;
        const valid = ids.filter((u) => this.users.has(u));
        if (valid.length && valid.every((u) => members.has(u)) && !unknown.length) throw new SlackApiError('already_in_channel');
        for (const u of valid) members.add(u);
        return { channel: { ...c }, ...(unknown.length ? { errors: unknown.map((user) => ({ user, ok: false, error: 'user_not_found' })) } : {}) };
      }
      case 'conversations.join': {
        const c = this.requireChannel(a.channel);
        if (c.is_private) throw new SlackApiError('method_not_supported_for_channel_type');
        this.memberSets.get(c.id)?.add(this.botUserId);
        return { channel: { ...c } };
      }
      case 'conversations.info':
        return { channel: { ...this.requireChannel(a.channel) } };
      case 'conversations.archive': {
        const c = this.requireChannel(a.channel);
        this.requireBotMember(c);
        c.is_archived = true;
        return {};
      }
      case 'conversations.members':
        return { members: this.members(this.requireChannel(a.channel).id) };
      case 'conversations.history':
        return { messages: [...this.messages(this.requireChannel(a.channel).id)].reverse() };
      case 'conversations.replies': {
        const c = this.requireChannel(a.channel);
        const parent = this.findMessage(c.id, a.ts);
        return { messages: [parent, ...this.replies(c.id, parent.ts)] };
      }
      case 'chat.postMessage': {
        const c = this.requireChannel(a.channel);
        this.requireBotMember(c);
        if (c.is_archived) throw new SlackApiError('is_archived');
        const blocks = this.parseBlocks(a.blocks);
        const text = str(a.text);
        if (!text && !blocks?.length) throw new SlackApiError('no_text');
        if (text && text.length > BLOCK_LIMITS.messageText) throw new SlackApiError('msg_too_long');
        const threadTs = str(a.thread_ts);
        if (threadTs && !(this.msgs.get(c.id) ?? []).some((x) => x.ts === threadTs)) throw new SlackApiError('thread_not_found');
        const ts = this.nextTs();
        const m: SandboxMessage = { ts, channel: c.id, user: this.botUserId, edits: 0, ...(text ? { text } : {}), ...(blocks ? { blocks } : {}), ...(threadTs ? { thread_ts: threadTs } : {}) };
        this.msgs.get(c.id)?.push(m);
        return { channel: c.id, ts, message: m };
      }
      case 'chat.update': {
        const c = this.requireChannel(a.channel);
        const m = this.findMessage(c.id, a.ts);
        if (m.user !== this.botUserId) throw new SlackApiError('cant_update_message');
        const blocks = this.parseBlocks(a.blocks);
        const text = str(a.text);
        if (text && text.length > BLOCK_LIMITS.messageText) throw new SlackApiError('msg_too_long');
        if (text !== undefined) m.text = text;
        if (blocks !== undefined) m.blocks = blocks;
        m.edits++;
        return { channel: c.id, ts: m.ts, text: m.text };
      }
      case 'chat.delete': {
        const c = this.requireChannel(a.channel);
        const m = this.findMessage(c.id, a.ts);
        this.msgs.set(c.id, (this.msgs.get(c.id) ?? []).filter((x) => x !== m));
        return { channel: c.id, ts: m.ts };
      }
      case 'chat.postEphemeral': {
        const c = this.requireChannel(a.channel);
        const user = str(a.user);
        if (!user || !this.memberSets.get(c.id)?.has(user)) throw new SlackApiError('user_not_in_channel');
        const blocks = this.parseBlocks(a.blocks);
        this.ephemeralLog.push({ via: 'postEphemeral', channel: c.id, user, ...(str(a.text) ? { text: a.text as string } : {}), ...(blocks ? { blocks } : {}) });
        return { message_ts: this.nextTs() };
      }
      case 'pins.add': {
        const c = this.requireChannel(a.channel);
        this.requireBotMember(c);
        const m = this.findMessage(c.id, a.timestamp);
        const list = this.pinned.get(c.id) ?? [];
        if (list.includes(m.ts)) throw new SlackApiError('already_pinned');
        list.push(m.ts);
        this.pinned.set(c.id, list);
        return {};
      }
      case 'pins.list':
        return { items: this.pins(this.requireChannel(a.channel).id).map((ts) => ({ type: 'message', message: { ts } })) };
      case 'users.lookupByEmail': {
        const email = text(a.email).toLowerCase();
        const u = [...this.users.values()].find((x) => x.email === email);
        if (!u) throw new SlackApiError('users_not_found');
        return { user: { id: u.id, name: u.name, team_id: this.teamId, profile: { email: u.email } } };
      }
      case 'users.info': {
        const u = this.users.get(text(a.user));
        if (!u) throw new SlackApiError('user_not_found');
        return { user: { id: u.id, name: u.name, is_bot: u.is_bot, team_id: this.teamId } };
      }
      case 'usergroups.users.list': {
        const g = this.groups.get(text(a.usergroup));
        if (!g) throw new SlackApiError('no_such_subteam');
        return { users: [...g.users] };
      }
      case 'files.getUploadURLExternal': {
        const filename = str(a.filename);
        const length = Number(a.length);
        if (!filename || !Number.isFinite(length) || length <= 0) throw new SlackApiError('invalid_arguments');
        const id = `F${(++this.seq).toString(36).toUpperCase().padStart(8, '0')}`;
        this.uploads.set(id, { filename, bytes: Buffer.alloc(0) });
        return { upload_url: `${this.url}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const files = (typeof a.files === 'string' ? JSON.parse(a.files) : a.files) as { id: string; title?: string }[];
        if (!Array.isArray(files) || !files.length) throw new SlackApiError('invalid_arguments');
        for (const f of files) if (!this.uploads.has(f.id)) throw new SlackApiError('file_not_found');
        const channel = str(a.channel_id);
        if (channel) {
          const c = this.requireChannel(channel);
          this.requireBotMember(c);
          const ts = this.nextTs();
          const threadTs = str(a.thread_ts);
          this.msgs.get(c.id)?.push({
            ts,
            channel: c.id,
            user: this.botUserId,
            edits: 0,
            files: files.map((f) => ({ id: f.id, title: f.title ?? this.uploads.get(f.id)?.filename ?? f.id })),
            ...(str(a.initial_comment) ? { text: a.initial_comment as string } : {}),
            ...(threadTs ? { thread_ts: threadTs } : {}),
          });
          for (const f of files) {
            const u = this.uploads.get(f.id);
            if (u) {
              u.channel = c.id;
              if (f.title) u.title = f.title;
            }
          }
        }
        return { files: files.map((f) => ({ id: f.id, title: f.title })) };
      }
      default:
        throw new SlackApiError('unknown_method');
    }
  }
}
