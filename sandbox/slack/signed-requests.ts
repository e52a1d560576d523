import { createHmac } from 'node:crypto';

/**
 * Requests as Slack sends them to Cordon (signed slash commands and button clicks):
 * the other half of the sandbox, used by the demo, the benchmarks and the tests.
 */

/** The signing secret the sandbox and the demo share. */
export const SANDBOX_SIGNING_SECRET = 'sandbox-signing-secret-0123456789';

/** How to sign: another secret, a fixed timestamp (replay tests), a retry header. */
export interface SignOptions {
  secret?: string;
  timestamp?: number;
  retryNum?: number;
}

/** Signs a body the way Slack does (v0 HMAC-SHA256 over `v0:<ts>:<body>`). */
export function slackHeaders(body: string, opts: SignOptions = {}): Record<string, string> {
  const ts = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const sig = createHmac('sha256', opts.secret ?? SANDBOX_SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex');
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': ts,
    'x-slack-signature': `v0=${sig}`,
    ...(opts.retryNum !== undefined ? { 'x-slack-retry-num': String(opts.retryNum), 'x-slack-retry-reason': 'http_timeout' } : {}),
  };
}

/** Form body of a slash command. */
export function commandBody(p: { text: string; user: string; channel: string; team?: string; triggerId?: string; responseUrl?: string }): string {
  return new URLSearchParams({
    token: 'legacy',
    team_id: p.team ?? 'T0SANDBOX',
    team_domain: 'sandbox',
    channel_id: p.channel,
    channel_name: 'x',
    user_id: p.user,
    user_name: p.user.toLowerCase(),
    command: '/ir',
    text: p.text,
    api_app_id: 'A0CORDON',
    response_url: p.responseUrl ?? 'http://127.0.0.1:9/unused',
    trigger_id: p.triggerId ?? `${Date.now()}.${Math.random()}`,
  }).toString();
}

/** Form body of a block_actions click on a button. */
export function buttonBody(p: { actionId: string; value: string; user: string; channel: string; team?: string; messageTs?: string; responseUrl?: string }): string {
  const payload = {
    type: 'block_actions',
    team: { id: p.team ?? 'T0SANDBOX', domain: 'sandbox' },
    user: { id: p.user, username: p.user.toLowerCase(), team_id: p.team ?? 'T0SANDBOX' },
    api_app_id: 'A0CORDON',
    token: 'legacy',
    container: { type: 'message', message_ts: p.messageTs ?? '1.1', channel_id: p.channel, is_ephemeral: false },
    trigger_id: `${Date.now()}.1`,
    channel: { id: p.channel, name: 'x' },
    message: { ts: p.messageTs ?? '1.1', text: 'x', type: 'message' },
    response_url: p.responseUrl ?? 'http://127.0.0.1:9/unused',
    actions: [{ type: 'button', action_id: p.actionId, block_id: 'b', value: p.value, action_ts: `${Date.now() / 1000}`, text: { type: 'plain_text', text: 'x' } }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** POSTs a signed body to Bolt; returns status, body and how long the ack took. */
export async function postSigned(url: string, body: string, opts: SignOptions = {}): Promise<{ status: number; text: string; ms: number }> {
  const t0 = performance.now();
  // A fresh connection each time, as Slack's own deliveries come: reusing an idle keep-alive
  // socket races the server closing it, and a loaded machine loses that race (ECONNRESET).
  const res = await fetch(url, { method: 'POST', headers: { ...slackHeaders(body, opts), connection: 'close' }, body });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - t0 };
}
