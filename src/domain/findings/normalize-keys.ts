/**
 * GetFindings (SDK and CLI) speaks PascalCase, EventBridge camelCase. Lowering the
 * first letter of every key lets one schema read both.
 */
export function camelizeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelizeKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k.length > 0 ? k[0]!.toLowerCase() + k.slice(1) : k] = camelizeKeys(v);
    }
    return out;
  }
  return value;
}
