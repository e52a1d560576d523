import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { SlackSandbox } from '../../../../sandbox/slack';
import { defaultManifestPath, manifestBotScopes } from '../../../../sandbox/slack/scopes';

/** The raw answer to one call, as Slack sends it (no SDK error wrapping). */
async function call(slack: SlackSandbox, method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await fetch(`${slack.apiUrl}${method}`, { method: 'POST', headers: { authorization: 'Bearer xoxb-test', 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(args) });
  return (await res.json()) as Record<string, unknown>;
}

/** A copy of Cordon's manifest without `scope`. */
function manifestWithout(scope: string): string {
  const text = readFileSync(defaultManifestPath(), 'utf8');
  const out = text.split('\n').filter((line) => line.trim() !== `- ${scope}`).join('\n');
  expect(out).not.toBe(text);
  const path = join(mkdtempSync(join(tmpdir(), 'cordon-manifest-')), 'app-manifest.yaml');
  writeFileSync(path, out);
  return path;
}

describe('sandbox Slack enforces the bot token’s scopes (the app manifest’s)', () => {
  it('grants by default exactly the scopes of Cordon’s app manifest', async () => {
    const slack = await SlackSandbox.start({});
    try {
      const ch = slack.addChannel({ name: 'ops', members: ['UBOT'] });
      expect(await call(slack, 'chat.postMessage', { channel: ch, text: 'hi' })).toMatchObject({ ok: true });
      // Cordon never reads history: its manifest does not ask for channels:history.
      expect(manifestBotScopes(defaultManifestPath())).not.toContain('channels:history');
      expect(await call(slack, 'conversations.history', { channel: ch })).toMatchObject({ ok: false, error: 'missing_scope', needed: 'channels:history' });
    } finally {
      await slack.close();
    }
  });

  it('answers missing_scope, with needed and provided, for a method whose scope the manifest lacks', async () => {
    const slack = await SlackSandbox.start({ manifestPath: manifestWithout('chat:write') });
    try {
      const ch = slack.addChannel({ name: 'ops', members: ['UBOT'] });
      const r = await call(slack, 'chat.postMessage', { channel: ch, text: 'hi' });
      expect(r).toMatchObject({ ok: false, error: 'missing_scope', needed: 'chat:write' });
      expect(String(r.provided).split(',')).toContain('groups:write');
      expect(String(r.provided).split(',')).not.toContain('chat:write');
      expect(slack.messages(ch)).toEqual([]);
      // The SDK surfaces it as a platform error, the way Cordon sees it.
      const client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
      await expect(client.chat.postMessage({ channel: ch, text: 'hi' })).rejects.toMatchObject({ data: { error: 'missing_scope' } });
    } finally {
      await slack.close();
    }
  });

  it('asks for the scope of the conversation’s kind: groups:write for a private channel, channels:manage for a public one', async () => {
    const slack = await SlackSandbox.start({ scopes: ['chat:write', 'channels:manage'] });
    try {
      expect(await call(slack, 'conversations.create', { name: 'ir-private', is_private: true })).toMatchObject({ ok: false, error: 'missing_scope', needed: 'groups:write', provided: 'chat:write,channels:manage' });
      expect(await call(slack, 'conversations.create', { name: 'ir-public' })).toMatchObject({ ok: true });
      const priv = slack.addChannel({ name: 'secret', isPrivate: true, members: ['UBOT'] });
      expect(await call(slack, 'conversations.setTopic', { channel: priv, topic: 't' })).toMatchObject({ ok: false, error: 'missing_scope', needed: 'groups:write' });
      expect(await call(slack, 'usergroups.users.list', { usergroup: 'S1' })).toMatchObject({ ok: false, error: 'missing_scope', needed: 'usergroups:read' });
      expect(await call(slack, 'users.lookupByEmail', { email: 'a@example.com' })).toMatchObject({ ok: false, error: 'missing_scope', needed: 'users:read.email' });
      expect(await call(slack, 'files.getUploadURLExternal', { filename: 'a.png', length: 3 })).toMatchObject({ ok: false, error: 'missing_scope', needed: 'files:write' });
      expect(await call(slack, 'auth.test', {})).toMatchObject({ ok: true });
    } finally {
      await slack.close();
    }
  });

  it('both app manifests grant the same bot scopes', () => {
    const socket = join(defaultManifestPath(), '..', 'app-manifest.socket.yaml');
    expect(manifestBotScopes(socket).sort()).toEqual(manifestBotScopes(defaultManifestPath()).sort());
  });
});
