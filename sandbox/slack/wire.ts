/**
 * How the Web API reads a request: the encodings Slack accepts, and the argument
 * coercions it applies, so a client that only works against a lenient fake fails here.
 */

/** Arguments of one Web API call, decoded from whichever encoding the client used. */
export type CallArgs = Record<string, unknown>;

/** A Slack platform error: answered as HTTP 200 `{ok:false, error: code, ...extra}`. */
export class SlackApiError extends Error {
  constructor(
    readonly code: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(code);
    this.name = 'SlackApiError';
  }
}

/** One part of a multipart/form-data body. */
export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** A decoded request body and how it arrived (JSON bodies carry no `token` field). */
export interface DecodedBody {
  args: CallArgs;
  json: boolean;
}

/** Fields Slack takes as JSON text inside form bodies. */
const JSON_FIELDS = ['blocks', 'attachments', 'files', 'metadata'];

/** Parses multipart/form-data; undefined when the content type carries no boundary. */
export function parseMultipart(contentType: string, raw: Buffer): MultipartPart[] | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary}`);
  const between = Buffer.from(`\r\n--${boundary}`);
  const parts: MultipartPart[] = [];
  let pos = raw.indexOf(delimiter);
  while (pos !== -1) {
    let start = pos + delimiter.length;
    if (raw[start] === 0x2d && raw[start + 1] === 0x2d) break; // closing `--boundary--`
    if (raw[start] === 0x0d && raw[start + 1] === 0x0a) start += 2;
    const headerEnd = raw.indexOf('\r\n\r\n', start);
    if (headerEnd === -1) break;
    const next = raw.indexOf(between, headerEnd + 4);
    if (next === -1) break;
    const headers = raw.subarray(start, headerEnd).toString('utf8');
    const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? '';
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    const contentTypeHeader = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim();
    parts.push({
      name: /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? '',
      data: Buffer.from(raw.subarray(headerEnd + 4, next)),
      ...(filename !== undefined ? { filename } : {}),
      ...(contentTypeHeader ? { contentType: contentTypeHeader } : {}),
    });
    pos = next + 2;
  }
  return parts;
}

/**
 * Decodes a Web API body the three ways Slack accepts it. Query-string arguments count
 * too (Slack answers GET), but the body wins where both name the same argument.
 * A JSON body that is not an object is Slack's `invalid_json`.
 */
export function decodeBody(contentType: string, raw: Buffer, query: URLSearchParams): DecodedBody {
  const args: CallArgs = Object.fromEntries(query.entries());
  const type = contentType.toLowerCase();
  if (type.includes('application/json')) {
    let parsed: unknown;
    try {
      parsed = raw.length ? JSON.parse(raw.toString('utf8')) : {};
    } catch {
      throw new SlackApiError('invalid_json');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SlackApiError('invalid_json');
    return { args: { ...args, ...(parsed as CallArgs) }, json: true };
  }
  if (type.includes('multipart/form-data')) {
    for (const part of parseMultipart(contentType, raw) ?? []) {
      args[part.name] = part.filename !== undefined ? part.data : part.data.toString('utf8');
    }
    return { args, json: false };
  }
  for (const [k, v] of new URLSearchParams(raw.toString('utf8')).entries()) args[k] = v;
  return { args, json: false };
}

/** Args as tests want to read them: JSON-text fields parsed, the token left out. */
export function argsForRecord(args: CallArgs): CallArgs {
  const out: CallArgs = {};
  for (const [k, v] of Object.entries(args)) {
    if (k === 'token') continue;
    if (JSON_FIELDS.includes(k) && typeof v === 'string') {
      try {
        out[k] = JSON.parse(v) as unknown;
      } catch {
        out[k] = v;
      }
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** A non-empty string argument (numbers count: JSON clients send ids and ts unquoted). */
export function strArg(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** Slack's boolean parsing: `true`, `"true"` and `"1"` are true; everything else is false. */
export function flagArg(v: unknown): boolean {
  return v === true || v === 1 || v === 'true' || v === '1';
}

/** A positive integer argument, or the fallback. */
export function intArg(v: unknown, fallback: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * A field that may arrive as JSON text (form bodies) or as a value (JSON bodies).
 * `undefined` when absent; throws `errorCode` when the text is not JSON.
 */
export function jsonArg(v: unknown, errorCode: string): unknown {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    throw new SlackApiError(errorCode);
  }
}
