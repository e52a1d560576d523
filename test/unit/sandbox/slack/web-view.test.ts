import { SlackSandbox } from '../../../../sandbox/slack';
import { startSandboxWebView } from '../../../../sandbox/slack/web-view';

describe('sandbox Slack web view', () => {
  it('renders blocks, threads and buttons, and never turns message text into markup', async () => {
    const slack = await SlackSandbox.start({});
    const view = await startSandboxWebView(slack);
    try {
      slack.addUser({ id: 'U0ALICE', name: 'alice' });
      const ch = slack.addChannel({ name: 'ir-test', members: ['UBOT'] });
      const parent = slack.addMessage({
        channel: ch,
        user: 'UBOT',
        text: 'x',
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: '*Bold* &lt;script&gt;alert(1)&lt;/script&gt; <@U0ALICE> <https://evil.example|click>' } },
          { type: 'actions', elements: [{ type: 'button', action_id: 'cordon.revert', text: { type: 'plain_text', text: 'Revert' }, value: 'A-1' }] },
        ],
      });
      slack.addMessage({ channel: ch, user: 'UBOT', text: ':white_check_mark: step one', threadTs: parent });
      const html = await (await fetch(`${view.url}c/${ch}`)).text();
      expect(html).not.toContain('<script>');
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(html).toContain('<b>Bold</b>');
      expect(html).toContain('<span class="mention">@alice</span>');
      expect(html).toContain('<a href="https://evil.example" rel="noreferrer">click</a>');
      expect(html).toContain('<button disabled class="" data-action-id="cordon.revert">Revert</button>');
      expect(html).toMatch(/<div class="thread" data-thread="[\d.]+"><div class="reply"[^>]*>.*step one/);
      expect((await fetch(`${view.url}c/NOPE`)).status).toBe(404);
      expect((await fetch(view.url, { method: 'POST' })).status).toBe(404);
    } finally {
      await view.close();
      await slack.close();
    }
  });
});
