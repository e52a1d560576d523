import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths that may hold secrets anywhere in a log object. */
const REDACT = [
  'token',
  '*.token',
  'botToken',
  'appToken',
  'signingSecret',
  '*.signingSecret',
  '*.botToken',
  'headers.authorization',
  '*.headers.authorization',
  'env.SLACK_BOT_TOKEN',
  'env.SLACK_SIGNING_SECRET',
  'env.SLACK_APP_TOKEN',
  'credentials',
  '*.credentials',
  'SecretAccessKey',
  '*.SecretAccessKey',
  'SessionToken',
  '*.SessionToken',
];

/** Slack tokens have a shape; they are cut out of any text, wherever they turn up. */
const TOKEN_SHAPES = /\b(?:xox[abposre]|xapp)-[A-Za-z0-9-]{6,}/g;

/**
 * Removes secrets from a string: Slack tokens by their shape, and the configured secret
 * values (the signing secret, the external id) verbatim. Bolt and the WebClient log
 * strings, which path redaction cannot see; this sees them.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text.replace(TOKEN_SHAPES, '[redacted]');
  for (const s of secrets) if (s.length >= 8) out = out.split(s).join('[redacted]');
  return out;
}

function scrubDeep(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return scrubSecrets(value, secrets);
  if (depth > 8 || !value || typeof value !== 'object') return value;
  // An Error keeps what pino's serializer would show (its own fields are not enumerable).
  if (value instanceof Error) {
    const own = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubDeep(v, secrets, depth + 1)]));
    return { ...own, type: value.name, message: scrubSecrets(value.message, secrets), ...(value.stack ? { stack: scrubSecrets(value.stack, secrets) } : {}) };
  }
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, secrets, depth + 1));
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, scrubDeep(v, secrets, depth + 1)]));
}

/**
 * pino JSON to stdout (or a given stream); secrets redacted by path (objects) and by value
 * (any string, message or field: `secrets` are the configured secret values).
 */
export function createLogger(level: string, destination?: pino.DestinationStream, secrets: readonly (string | undefined)[] = []): Logger {
  const known = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 8);
  return pino(
    {
      level,
      base: { app: 'cordon' },
      redact: { paths: REDACT, censor: '[redacted]' },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => scrubDeep(a, known)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

/** A logger that writes nothing, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
