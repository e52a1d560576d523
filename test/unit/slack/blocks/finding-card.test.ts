import type { StoredFinding } from '../../../../src/domain/cases/case';
import { parseFinding } from '../../../../src/domain/findings/parse-finding';
import { MAX_CONTAIN_BUTTONS, renderFindingCard, renderFindingGroupCard } from '../../../../src/slack/blocks/finding-card';
import { ActionId } from '../../../../src/slack/ids';
import { blocksText, MESSAGE_TEXT_BUDGET } from '../../../../src/slack/blocks/block-types';
import { blockViolation } from '../../../../sandbox/slack';
import { makeFindingDetail } from '../../../../sandbox/findings/finding-factory';

function stored(detail: Record<string, unknown>): StoredFinding {
  const parsed = parseFinding(detail);
  if (!parsed.ok) throw new Error(parsed.reason);
  return { id: parsed.finding.id, finding: parsed.finding, band: 'high', disposition: 'cased', caseId: 'IR-20261122-ABCD', firstSeenAt: '2026-11-22T02:00:00.000Z', lastSeenAt: '2026-11-22T02:00:00.000Z', cardDirty: false, source: 'test', version: 1 };
}

type Button = { action_id: string; confirm?: { title: { text: string }; text: { type: string; text: string }; confirm: { text: string }; deny: { text: string }; style?: string } };
function buttons(blocks: unknown[]): Button[] {
  return blocks.flatMap((b) => ((b as { type: string }).type === 'actions' ? (b as { elements: Button[] }).elements : []));
}

describe('finding card', () => {
  it('Contain asks before it acts: a confirm dialog naming the target and what containing it does, within Slack’s limits', () => {
    const sf = stored(makeFindingDetail({ instanceId: 'i-0abc1234def567890', accountId: '111111111111', region: 'us-east-1' }));
    const card = renderFindingCard(sf);
    const contain = buttons(card.blocks).find((b) => b.action_id === ActionId.CONTAIN)!;
    // https://api.slack.com/reference/block-kit/composition-objects#confirm
    expect(contain.confirm).toBeDefined();
    const c = contain.confirm!;
    expect(c.text.type).toBe('plain_text');
    expect(c.text.text).toContain('arn:aws:ec2:us-east-1:111111111111:instance/i-0abc1234def567890');
    expect(c.text.text).toContain('quarantine security group');
    expect(c.style).toBe('danger');
    expect(c.title.text.length).toBeLessThanOrEqual(100);
    expect(c.text.text.length).toBeLessThanOrEqual(300);
    expect(c.confirm.text.length).toBeLessThanOrEqual(30);
    expect(c.deny.text.length).toBeLessThanOrEqual(30);
    // Escalate and Suppress similar change nothing in AWS: no dialog in the way.
    expect(buttons(card.blocks).filter((b) => b.confirm).map((b) => b.action_id)).toEqual([ActionId.CONTAIN]);
    expect(blockViolation(card.blocks)).toBeUndefined();
  });

  it('names an access key and says it will be deactivated', () => {
    const sf = stored(makeFindingDetail({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', userName: 'mallory' }));
    const c = buttons(renderFindingCard(sf).blocks).find((b) => b.action_id === ActionId.CONTAIN)!.confirm!;
    expect(c.text.text).toMatch(/^(AKIAIOSFODNN7EXAMPLE|arn:aws:iam::\d{12}:user\/mallory) — Cordon /);
    expect(c.text.text).toMatch(/deactivates/);
  });

  it('links to the finding in the GuardDuty console and shows times in the reader’s time zone with a UTC fallback', () => {
    const sf = stored(makeFindingDetail({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', region: 'eu-west-1' }));
    const context = JSON.stringify(renderFindingCard(sf).blocks.filter((b) => b.type === 'context'));
    expect(context).toContain(`<https://eu-west-1.console.aws.amazon.com/guardduty/home?region=eu-west-1#/findings?macros=current&fId=${sf.id}|open in the GuardDuty console>`);
    // The activity time is GuardDuty's (issue 18 point 7), shown in the reader's time zone (issue 16 point 8).
    expect(context).toContain(`activity <!date^${Date.parse('2026-11-22T02:00:00.000Z') / 1000}^{date_short_pretty} {time}|2026-11-22 02:00 UTC>`);
  });

  it('a signal says which attack sequence it belongs to, the sequence title escaped and cut; other findings say nothing', () => {
    const sf = stored(makeFindingDetail({ instanceId: 'i-0abc1234def567890' }));
    expect(JSON.stringify(renderFindingCard(sf).blocks)).not.toContain('Signal of attack sequence');
    const title = `<!channel> <https://evil.example|click> ${'x'.repeat(400)}`;
    const card = renderFindingCard({ ...sf, signalOf: { findingId: 'seq123', title } });
    const line = card.blocks
      .flatMap((b) => (b.type === 'context' ? b.elements : []))
      .map((e) => ('text' in e && typeof e.text === 'string' ? e.text : ''))
      .find((t) => t.includes('Signal of attack sequence'))!;
    expect(line).toContain('(finding `seq123`) — the case card has the whole story');
    expect(line).not.toContain('<!channel>');
    expect(line).not.toContain('<https://');
    expect(line.length).toBeLessThan(300);
    expect(blockViolation(card.blocks)).toBeUndefined();
  });
});

describe('grouped finding card (one per finding type per case)', () => {
  const group = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      ...stored(makeFindingDetail({ instanceId: `i-0${i.toString(16).padStart(16, '0')}`, type: 'Recon:EC2/PortProbeUnprotectedPort', severity: 5 + (i % 3) })),
      firstSeenAt: `2026-11-22T02:${String(i % 60).padStart(2, '0')}:00.000Z`,
    }));

  it('a Contain button per affected resource, each with its own confirm, capped with a pointer to /ir contain', () => {
    const card = renderFindingGroupCard(group(12));
    const contains = buttons(card.blocks.concat(card.blocks.flatMap((b) => (b.type === 'section' && b.accessory ? [{ type: 'actions', elements: [b.accessory] } as never] : [])))).filter((b) => b.action_id === ActionId.CONTAIN);
    expect(contains).toHaveLength(MAX_CONTAIN_BUTTONS);
    expect(new Set(contains.map((b) => b.confirm!.text.text.split(' — ')[0])).size).toBe(MAX_CONTAIN_BUTTONS);
    expect(JSON.stringify(card.blocks)).toContain(`…and ${12 - MAX_CONTAIN_BUTTONS} more: use \`/ir contain <arn>\``);
    expect(card.text).toMatch(/^(Medium|High) finding: .* \(12 findings, seen 12×\)$/);
    // Escalate and Suppress similar stay, once.
    expect(buttons(card.blocks).map((b) => b.action_id)).toEqual([ActionId.ESCALATE, ActionId.SUPPRESS_SIMILAR]);
    expect(blockViolation(card.blocks)).toBeUndefined();
  });

  it('stays within Block Kit limits with 1,000 findings of hostile text', () => {
    const hostile = group(1000).map((sf, i) => ({
      ...sf,
      finding: { ...sf.finding, title: `<!channel> ${'t'.repeat(2000)}`, description: 'd'.repeat(5000), remoteIps: [`198.51.${i % 250}.1`] },
      signalOf: { findingId: `seq${i % 7}`, title: `<https://evil|x> ${'s'.repeat(500)}` },
    }));
    const card = renderFindingGroupCard(hostile);
    expect(blockViolation(card.blocks)).toBeUndefined();
    expect(blocksText(card.blocks)).toBeLessThanOrEqual(MESSAGE_TEXT_BUDGET);
    expect(JSON.stringify(card.blocks)).not.toContain('<!channel>');
  });

  it('a group of one renders as the single-finding card did', () => {
    const sf = stored(makeFindingDetail({ instanceId: 'i-0abc1234def567890' }));
    expect(renderFindingGroupCard([sf])).toEqual(renderFindingCard(sf));
    expect(renderFindingCard(sf).text).toMatch(/\(seen 1×\)$/);
  });
});
