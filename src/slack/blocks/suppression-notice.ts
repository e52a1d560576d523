import type { SuppressionRule } from '../../domain/triage/suppression';
import { safeText } from '../../domain/text/mrkdwn';
import { ActionId } from '../ids';
import type { KnownBlock, RenderedMessage } from './block-types';
import { renderActor } from './timeline-message';

/** What happened to the rule (the service's `SuppressionEvent`). */
export type SuppressionNoticeKind = 'new' | 'pending' | 'approved' | 'lifted' | 'expired';

const HEADLINE: Record<SuppressionNoticeKind, string> = {
  new: ':mute: New suppression rule',
  pending: ':hourglass: Suppression rule waiting for a second commander',
  approved: ':mute: Suppression rule approved and in force',
  lifted: ':loud_sound: Suppression rule lifted',
  expired: ':loud_sound: Suppression rule expired',
};

const utc = (iso: string | undefined): string => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : 'no expiry');

/**
 * The triage channel's line about a suppression rule: who, why, what it matches and until
 * when; a rule waiting for approval carries the Approve button (value: the rule id only).
 */
export function renderSuppressionNotice(rule: SuppressionRule, kind: SuppressionNoticeKind, by: string): RenderedMessage {
  const scope = `${rule.accounts?.length ? rule.accounts.map((a) => safeText(a, 20)).join(', ') : 'every account'} · ${rule.regions?.length ? rule.regions.map((r) => safeText(r, 30)).join(', ') : 'every region'}`;
  const lines = [
    `*${HEADLINE[kind]}* \`${safeText(rule.id, 20)}\`: \`${safeText(rule.type ?? '*', 120)}\` in ${scope}`,
    `${kind === 'lifted' ? 'Lifted' : kind === 'approved' ? 'Approved' : 'Made'} by ${renderActor(kind === 'expired' ? (rule.author ?? 'cordon') : by)}${kind === 'approved' || kind === 'lifted' ? ` (made by ${renderActor(rule.author ?? 'cordon')})` : ''} · why: ${safeText(rule.reason, 300)}`,
    kind === 'expired' || kind === 'lifted' ? 'Matching findings reach triage again.' : `Until ${utc(rule.expires)}`,
  ];
  if (kind === 'pending' && rule.approval) lines.push(`Needs another commander because ${rule.approval.why.map((w) => safeText(w, 200)).join('; ')}. It suppresses nothing until then (approval lapses ${utc(rule.approval.expiresAt)}).`);
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } }];
  if (kind === 'pending') {
    blocks.push({
      type: 'actions',
      block_id: `suppression:${rule.id}`,
      elements: [{ type: 'button', action_id: ActionId.APPROVE_SUPPRESSION, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: rule.id }],
    });
  }
  return { text: `${HEADLINE[kind].replace(/^:[a-z_]+: /, '')} ${rule.id}: ${safeText(rule.type ?? '*', 120)}`, blocks };
}
