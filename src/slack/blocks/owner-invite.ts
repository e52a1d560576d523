import { safeText } from '../../domain/text/mrkdwn';
import { ActionId } from '../ids';
import type { RenderedMessage } from './block-types';

/**
 * The value of an "Invite owner" button: the case and the address, nothing more. The click
 * is checked against the case as stored (`CaseService.inviteOwner`), never taken on trust.
 */
export function ownerInviteValue(caseId: string, email: string): string {
  return `${caseId} ${email}`;
}

/**
 * A resource owner named by an Owner tag, with a button a responder clicks to invite them.
 * Shown instead of inviting when no owner domain is trusted (`channels.resourceOwnerDomains`):
 * whoever can tag a resource writes the tag, so a person decides who joins.
 */
export function renderOwnerInvite(caseId: string, email: string, userId: string): RenderedMessage {
  const shown = safeText(email, 120);
  const text = `Resource owner ${shown} (Owner tag, Slack user <@${userId}>) was not invited: owner tags are not trusted for invites (no channels.resourceOwnerDomains). A responder who knows them can invite them.`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: ActionId.INVITE_OWNER,
            text: { type: 'plain_text', text: 'Invite owner' },
            value: ownerInviteValue(caseId, email).slice(0, 2000),
            confirm: {
              title: { type: 'plain_text', text: 'Invite the resource owner?' },
              text: { type: 'plain_text', text: `${email.slice(0, 120)} joins this private case channel and sees everything in it.` },
              confirm: { type: 'plain_text', text: 'Invite' },
              deny: { type: 'plain_text', text: 'Cancel' },
            },
          },
        ],
      },
    ],
  };
}
