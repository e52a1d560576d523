import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RateLimiter, type RateLimitConfig } from './rate-limiter';
import {
  BOT_USER_ID,
  type SandboxChannel,
  type SandboxEphemeral,
  type SandboxFile,
  type SandboxMessage,
  type SandboxUser,
  SlackState,
} from './slack-state';
import { defaultManifestPath, manifestBotScopes, requireScopes } from './scopes';
import { callMethod, type MethodContext, readMessageContent } from './web-api-methods';
import { type CallArgs, type DecodedBody, SlackApiError, argsForRecord, decodeBody, flagArg, parseMultipart, strArg } from './wire';

/** Options for {@link SlackSandbox.start}. */
export interface SlackSandboxOptions {
  /** Workspace id that auth.test and every object report (default `T0SANDBOX`). */
  teamId?: string;
  /** Workspace name in auth.test (default `Sandbox`). */
  teamName?: string;
  /** Port on 127.0.0.1 (default 0: a free port). */
  port?: number;
  /**
   * Slack's rate limits, answered with HTTP 429 and `Retry-After`. Off by default so
   * ordinary tests are not slowed; `true` applies Slack's tiers, a map only the methods it names.
   */
  rateLimits?: RateLimitConfig;
  /**
   * Fixed `Retry-After` seconds on every 429. Without it the header says when the sliding
   * window frees up, as Slack's does; tests set 1 to keep WebClient's wait short.
   */
  retryAfterSeconds?: number;
  /** Delay before every answer, in milliseconds (see {@link SlackSandbox.setLatency}). */
  latencyMs?: number;
  /**
   * The bot token's scopes: a method that needs one it lacks answers `missing_scope`. By
   * default those of `manifestPath`, else of Cordon's manifest (manifests/slack/app-manifest.yaml).
   */
  scopes?: readonly string[];
  /** An app manifest whose `oauth_config.scopes.bot` the token is granted (see {@link scopes}). */
  manifestPath?: string;
}

/** One recorded Web API call, kept whether Slack said ok or not. */
export interface RecordedCall {
  /** Web API method (`chat.postMessage`), or `response_url` for posts to a response URL. */
  method: string;
  /** Decoded arguments, JSON-text fields (`blocks`, `files`, ...) parsed, token left out. */
  args: CallArgs;
  /** When the request arrived, epoch milliseconds. */
  at: number;
  httpStatus: number;
  /** What the body said; absent when the answer was an injected 5xx. */
  response?: { ok: boolean; error?: string };
}

/** An injected failure: a Slack error code (HTTP 200, `ok:false`) or a bare HTTP status. */
export type SlackFault = string | { httpStatus: number };

/** What a response URL is tied to, as Slack ties it to the interaction that made it. */
export interface ResponseUrlContext {
  channel?: string;
  user?: string;
  /** The message the interaction came from, for `replace_original` / `delete_original`. */
  messageTs?: string;
}

/** A user to seed. */
export interface SeedUser {
  id: string;
  name: string;
  email?: string;
  realName?: string;
  isBot?: boolean;
  /** Deactivated (users.info `deleted`). */
  deleted?: boolean;
  /** Multi-channel guest. */
  restricted?: boolean;
  /** Single-channel guest. */
  ultraRestricted?: boolean;
}

/** A channel to seed; unlike conversations.create the bot is a member only if listed. */
export interface SeedChannel {
  name: string;
  isPrivate?: boolean;
  members?: string[];
  topic?: string;
  purpose?: string;
  archived?: boolean;
}

/** A message to seed, typically from a person (so chat.update on it is refused). */
export interface SeedMessage {
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown[];
  threadTs?: string;
}

type Fault = { error: string } | { httpStatus: number };

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function cloneMessage(m: SandboxMessage): SandboxMessage {
  return structuredClone(m);
}

/**
 * A local, stateful Slack Web API for tests and `cordon demo`. It speaks Slack's wire
 * format (form or JSON bodies, bearer or `token` auth, HTTP 200 with `ok:false` errors,
 * 429 with `Retry-After`) and applies Slack's rules: channel names, membership,
 * threads, Block Kit limits, rate limits. Point a WebClient at {@link apiUrl}.
 * Every call is recorded; state is read through copies, so tests cannot change it behind
 * the server's back.
 */
export class SlackSandbox {
  /** The workspace id everything reports. */
  readonly teamId: string;
  /** The bot user id every `xoxb-` token authenticates as. */
  readonly botUserId = BOT_USER_ID;
  private readonly state: SlackState;
  private readonly limiter: RateLimiter;
  private readonly recorded: RecordedCall[] = [];
  private readonly faults = new Map<string, Fault[]>();
  private readonly responseUrls = new Map<string, ResponseUrlContext>();
  private latencyMs: number;
  /** The bot token's scopes (the app manifest's, by default). */
  private readonly scopes: ReadonlySet<string>;
  private responseSeq = 0;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    /** Base URL, e.g. `http://127.0.0.1:PORT`. */
    readonly url: string,
    private readonly opts: SlackSandboxOptions,
  ) {
    this.teamId = opts.teamId ?? 'T0SANDBOX';
    this.state = new SlackState(this.teamId);
    this.limiter = new RateLimiter(opts.rateLimits ?? false);
    this.latencyMs = opts.latencyMs ?? 0;
    this.scopes = new Set(opts.scopes ?? manifestBotScopes(opts.manifestPath ?? defaultManifestPath()));
  }

  /** Starts a server on 127.0.0.1 (nothing leaves loopback). */
  static async start(opts: SlackSandboxOptions = {}): Promise<SlackSandbox> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const sandbox = new SlackSandbox(server, `http://127.0.0.1:${port}`, opts);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void sandbox.handle(req, res));
    return sandbox;
  }

  /** `slackApiUrl` for WebClient and Bolt (`SLACK_API_URL`). */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** Stops the server; open keep-alive connections are dropped. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  // ---- seeding

  /** Adds (or replaces) a workspace member. */
  addUser(u: SeedUser): void {
    this.state.users.set(u.id, {
      id: u.id,
      name: u.name,
      isBot: u.isBot ?? false,
      ...(u.email !== undefined ? { email: u.email } : {}),
      ...(u.realName !== undefined ? { realName: u.realName } : {}),
      ...(u.deleted ? { deleted: true } : {}),
      ...(u.restricted ? { restricted: true } : {}),
      ...(u.ultraRestricted ? { ultraRestricted: true } : {}),
    });
  }

  /** A DM between two people (the bot not in it unless it is one of them); returns its `D…` id. */
  addDm(userA: string, userB: string): string {
    return this.state.openDm(userA, userB).id;
  }

  /** Adds (or replaces) a user group. */
  addUserGroup(g: { id: string; handle: string; users: string[] }): void {
    this.state.groups.set(g.id, { id: g.id, handle: g.handle, users: [...g.users] });
  }

  /** Creates a channel directly and returns its id. Slack's name rules still apply. */
  addChannel(c: SeedChannel): string {
    const error = this.state.channelNameError(c.name);
    if (error) throw new Error(`addChannel(${JSON.stringify(c.name)}): ${error}`);
    const channel = this.state.createChannel(c.name, c.isPrivate ?? false, c.members?.[0] ?? BOT_USER_ID, c.members ?? []);
    channel.topic = c.topic ?? '';
    channel.purpose = c.purpose ?? '';
    channel.is_archived = c.archived ?? false;
    return channel.id;
  }

  /** Puts a message in a channel as `user` and returns its ts. */
  addMessage(m: SeedMessage): string {
    if (!this.state.channels.has(m.channel)) throw new Error(`addMessage: no channel ${m.channel}`);
    const root = m.threadTs === undefined ? undefined : this.state.findMessage(m.channel, m.threadTs).ts;
    return this.state.addMessage({
      ts: this.state.nextTs(),
      channel: m.channel,
      user: m.user,
      ...(m.text !== undefined ? { text: m.text } : {}),
      ...(m.blocks !== undefined ? { blocks: structuredClone(m.blocks) } : {}),
      ...(root !== undefined ? { thread_ts: root } : {}),
    }).ts;
  }

  /** Adds a member to a channel, as if they had joined. */
  addMember(channelId: string, userId: string): void {
    this.requireChannel(channelId);
    this.state.membersOf(channelId).add(userId);
  }

  /** Removes a member (the bot included: "someone kicked Cordon out"). */
  removeMember(channelId: string, userId: string): void {
    this.requireChannel(channelId);
    this.state.membersOf(channelId).delete(userId);
  }

  /**
   * A response URL for an interaction payload. Posts to it are recorded in {@link calls}
   * as `response_url` and act like Slack's: ephemeral by default, `in_channel` posts,
   * `replace_original` / `delete_original` change the message named in `ctx`.
   */
  responseUrl(ctx: ResponseUrlContext = {}): string {
    const key = String(++this.responseSeq);
    this.responseUrls.set(key, { ...ctx });
    return `${this.url}/response/${key}`;
  }

  // ---- state, as copies

  channels(): SandboxChannel[] {
    return [...this.state.channels.values()].map((c) => ({ ...c }));
  }

  /** A channel by id or by name. */
  channel(idOrName: string): SandboxChannel | undefined {
    const c = this.state.channels.get(idOrName) ?? [...this.state.channels.values()].find((x) => x.name === idOrName);
    return c ? { ...c } : undefined;
  }

  /** Top-level messages of a channel, oldest first (broadcast replies included). */
  messages(channelId: string): SandboxMessage[] {
    return this.state.topLevel(channelId).map(cloneMessage);
  }

  /** Replies in the thread rooted at `ts`, oldest first, without the parent. */
  replies(channelId: string, ts: string): SandboxMessage[] {
    return this.state.threadReplies(channelId, ts).map(cloneMessage);
  }

  /** One message, top-level or reply. */
  message(channelId: string, ts: string): SandboxMessage | undefined {
    const m = this.state.channelMessages(channelId).find((x) => x.ts === ts);
    return m ? cloneMessage(m) : undefined;
  }

  /** ts of the pinned messages, in pin order. */
  pins(channelId: string): string[] {
    return (this.state.pins.get(channelId) ?? []).map((p) => p.ts);
  }

  members(channelId: string): string[] {
    return [...(this.state.memberships.get(channelId) ?? [])];
  }

  users(): SandboxUser[] {
    return [...this.state.users.values()].map((u) => ({ ...u }));
  }

  /** Recorded calls, oldest first; only those of `method` when given. */
  calls(method?: string): RecordedCall[] {
    return this.recorded.filter((c) => method === undefined || c.method === method).map((c) => structuredClone(c));
  }

  /** Ephemeral messages, oldest first; only those in `channelId` when given. */
  ephemerals(channelId?: string): SandboxEphemeral[] {
    return this.state.ephemerals.filter((e) => channelId === undefined || e.channel === channelId).map((e) => structuredClone(e));
  }

  /** Files created with files.getUploadURLExternal, with the bytes uploaded for them. */
  files(): SandboxFile[] {
    return [...this.state.uploads.values()].map((f) => ({ ...f, bytes: Buffer.from(f.bytes) }));
  }

  // ---- faults

  /**
   * The next `times` calls of `method` fail: with a Slack error (HTTP 200, `ok:false`)
   * or with a bare HTTP status such as 503, which WebClient retries per its retryConfig.
   */
  failNext(method: string, fault: SlackFault, times = 1): void {
    const list = this.faults.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(typeof fault === 'string' ? { error: fault } : { httpStatus: fault.httpStatus });
    this.faults.set(method, list);
  }

  /** Forgets faults not yet used. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** Delays every answer by `ms` (0 turns it off). */
  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /** Changes rate limits at run time; see {@link SlackSandboxOptions.rateLimits}. */
  setRateLimits(config: RateLimitConfig): void {
    this.limiter.configure(config);
  }

  // ---- HTTP

  private requireChannel(channelId: string): void {
    if (!this.state.channels.has(channelId)) throw new Error(`no channel ${channelId}`);
  }

  private methodContext(): MethodContext {
    return { state: this.state, teamName: this.opts.teamName ?? 'Sandbox', baseUrl: this.url };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const raw = await readBody(req);
      if (this.latencyMs > 0) await sleep(this.latencyMs);
      const url = new URL(req.url ?? '/', this.url);
      const path = url.pathname;
      if (path.startsWith('/api/')) return this.handleApi(decodeURIComponent(path.slice('/api/'.length)), req, raw, url.searchParams, res);
      if (path.startsWith('/upload/')) return this.handleUpload(path.slice('/upload/'.length), req, raw, res);
      if (path.startsWith('/response/')) return this.handleResponseUrl(path.slice('/response/'.length), req, raw, res);
      sendText(res, 404, 'not found');
    } catch (err) {
      // A sandbox bug must be loud in the test that hit it, not a hung request.
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal_error', detail: err instanceof Error ? err.stack : String(err) });
      else res.destroy();
    }
  }

  private handleApi(method: string, req: IncomingMessage, raw: Buffer, query: URLSearchParams, res: ServerResponse): void {
    const call: RecordedCall = { method, args: {}, at: Date.now(), httpStatus: 200 };
    this.recorded.push(call);
    const answer = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void => {
      call.httpStatus = status;
      call.response = { ok: body.ok === true, ...(typeof body.error === 'string' ? { error: body.error } : {}) };
      sendJson(res, status, body, headers);
    };
    try {
      const decoded = decodeBody(req.headers['content-type'] ?? '', raw, query);
      call.args = argsForRecord(decoded.args);
      const fault = this.faults.get(method)?.shift();
      if (fault && 'httpStatus' in fault) {
        call.httpStatus = fault.httpStatus;
        sendText(res, fault.httpStatus, 'upstream connect error (injected by the sandbox)');
        return;
      }
      if (fault) throw new SlackApiError(fault.error);
      this.authenticate(req, decoded);
      requireScopes(method, decoded.args, this.scopes, (id) => this.state.channels.get(id));
      const waitMs = this.limiter.admit(method, strArg(decoded.args.channel));
      if (waitMs > 0) {
        const seconds = this.opts.retryAfterSeconds ?? Math.max(1, Math.ceil(waitMs / 1000));
        answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(seconds) });
        return;
      }
      answer(200, { ok: true, ...callMethod(this.methodContext(), method, decoded.args) });
    } catch (err) {
      if (!(err instanceof SlackApiError)) throw err;
      answer(200, { ok: false, error: err.code, ...err.extra });
    }
  }

  /** Slack's auth: bearer header, or `token` in a form body (never in a JSON body). */
  private authenticate(req: IncomingMessage, decoded: DecodedBody): void {
    const header = req.headers.authorization;
    let token: string | undefined;
    if (header !== undefined) {
      token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      if (!token) throw new SlackApiError('invalid_auth');
    } else if (!decoded.json) {
      token = strArg(decoded.args.token);
    }
    if (!token) throw new SlackApiError('not_authed');
    if (!token.startsWith('xoxb-')) throw new SlackApiError('invalid_auth');
  }

  /** The upload URL files.getUploadURLExternal hands out: takes a multipart or raw body. */
  private handleUpload(fileId: string, req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    const file = this.state.uploads.get(fileId);
    if (!file || req.method !== 'POST' || file.completed) {
      sendText(res, 404, 'not found');
      return;
    }
    const parts = parseMultipart(req.headers['content-type'] ?? '', raw);
    // WebClient's filesUploadV2 sends one multipart part (named `body`) holding the file.
    const bytes = parts ? ((parts.find((p) => p.filename !== undefined) ?? parts[0])?.data ?? Buffer.alloc(0)) : raw;
    file.bytes = Buffer.from(bytes);
    file.uploaded = true;
    sendText(res, 200, `OK - ${file.bytes.length}`);
  }

  private handleResponseUrl(key: string, req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    const ctx = this.responseUrls.get(key);
    const call: RecordedCall = { method: 'response_url', args: {}, at: Date.now(), httpStatus: 200 };
    this.recorded.push(call);
    const answer = (status: number, body: { ok: boolean; error?: string }): void => {
      call.httpStatus = status;
      call.response = body;
      sendJson(res, status, body);
    };
    if (!ctx) {
      answer(404, { ok: false, error: 'expired_url' });
      return;
    }
    try {
      const { args } = decodeBody(req.headers['content-type'] ?? '', raw, new URLSearchParams());
      call.args = argsForRecord(args);
      this.applyResponse(ctx, args);
      answer(200, { ok: true });
    } catch (err) {
      if (!(err instanceof SlackApiError)) throw err;
      // Slack answers a bad response_url post with a 4xx, so Bolt's respond() rejects.
      answer(400, { ok: false, error: err.code });
    }
  }

  private applyResponse(ctx: ResponseUrlContext, args: CallArgs): void {
    const original = ctx.channel !== undefined && ctx.messageTs !== undefined ? this.state.findMessage(ctx.channel, ctx.messageTs) : undefined;
    if (flagArg(args.delete_original)) {
      if (!original) throw new SlackApiError('message_not_found');
      this.state.removeMessage(original.channel, original.ts);
      return;
    }
    const content = readMessageContent(args, { cumulative: false });
    if (!content.text && !content.blocks?.length) throw new SlackApiError('no_text');
    if (flagArg(args.replace_original)) {
      if (!original) throw new SlackApiError('message_not_found');
      this.state.editMessage(original, content);
      return;
    }
    const threadTs = strArg(args.thread_ts);
    if (args.response_type === 'in_channel') {
      if (ctx.channel === undefined) throw new SlackApiError('channel_not_found');
      this.state.addMessage({
        ts: this.state.nextTs(),
        channel: ctx.channel,
        user: BOT_USER_ID,
        ...(content.text !== undefined ? { text: content.text } : {}),
        ...(content.blocks !== undefined ? { blocks: content.blocks } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
      return;
    }
    this.state.ephemerals.push({
      via: 'response_url',
      ...(ctx.channel !== undefined ? { channel: ctx.channel } : {}),
      ...(ctx.user !== undefined ? { user: ctx.user } : {}),
      ...(content.text !== undefined ? { text: content.text } : {}),
      ...(content.blocks !== undefined ? { blocks: content.blocks } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
  }
}
