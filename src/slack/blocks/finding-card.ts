import type { StoredFinding } from '../../domain/cases/case';
import { activityAt, findingTactic } from '../../domain/findings/finding';
import { BAND_LABEL } from '../../domain/triage/bands';
import { safeCode, safeText } from '../../domain/text/mrkdwn';
import { ActionId } from '../ids';
import { slackDate } from './slack-date';
import { containableTarget } from '../../domain/actions/target';
import { principalCheckWords } from '../../domain/findings/principal-check';
import type { ConfirmationDialog } from '@slack/types';
import { RESOURCE_KINDS, type ResourceKind } from '../../domain/actions/resource-kind';
import { LIMITS, type KnownBlock, type RenderedMessage } from './block-types';
import { renderSequenceBlocks } from './sequence-blocks';

export const BAND_EMOJI = { low: ':large_blue_circle:', medium: ':large_yellow_circle:', high: ':large_orange_circle:', critical: ':red_circle:' } as const;

function field(label: string, value: string): { type: 'mrkdwn'; text: string } {
  return { type: 'mrkdwn', text: `*${label}*\n${value}`.slice(0, LIMITS.fieldText) };
}

/** Each resource kind by the name responders know it by (docs/triage.md has the table). */
export const RESOURCE_LABEL: Record<string, string> = {
  'ec2-instance': 'EC2 instance',
  'iam-user': 'IAM user',
  'iam-role': 'IAM role',
  'access-key': 'access key',
  's3-bucket': 'S3 bucket',
  'lambda-function': 'Lambda function',
  'eks-cluster': 'EKS cluster',
  'k8s-namespace': 'namespace',
  'k8s-workload': 'workload',
  'k8s-user': 'Kubernetes user',
  'ecs-cluster': 'ECS cluster',
  'ecs-task': 'ECS task',
  'container-image': 'image',
  container: 'container',
  'rds-instance': 'RDS instance',
  'rds-cluster': 'RDS cluster',
  'db-user': 'database user',
  'ebs-volume': 'EBS volume',
  'attack-sequence': 'attack sequence',
};

/** Resource list as inline code, each value escaped (names come from the attacker's side). */
export function resourceList(resources: { kind: string; id: string }[], max = 6): string {
  if (resources.length === 0) return '_none named_';
  const shown = resources.slice(0, max).map((r) => `${RESOURCE_LABEL[r.kind] ?? r.kind} ${safeCode(r.id, 120)}`);
  if (resources.length > max) shown.push(`…and ${resources.length - max} more`);
  return shown.join('\n');
}

/** What containing each kind of resource does, in a responder's words (the playbooks' steps, summed up). */
const CONTAIN_EFFECT: Record<ResourceKind, string> = {
  'ec2-instance': 'moves its network interfaces to a quarantine security group, denies its role to this instance and can snapshot its volumes',
  'iam-user': 'attaches a deny-all policy and deactivates its active access keys',
  'iam-role': 'attaches a deny-all policy and revokes its current sessions',
  'lambda-function': 'sets its reserved concurrency to 0 (it stops running) and denies its role everything',
  'access-key': 'deactivates the access key',
};

/**
 * The Contain button asks before it acts: a double click, or a click meant for another
 * card, must not start a containment. Slack's confirm object
 * (https://api.slack.com/reference/block-kit/composition-objects#confirm): title at most
 * 100 characters, text 300, confirm and deny 30, all plain_text (no mrkdwn to escape).
 */
export function containConfirm(target: string, kind: ResourceKind | undefined): ConfirmationDialog {
  const effect = kind ? CONTAIN_EFFECT[kind] : 'changes the resource so it can do no more harm';
  const after = ` — Cordon ${effect}. It posts the plan here first (a commander approves where a rule says so); all of it can be reverted.`;
  const room = 300 - after.length;
  // A user or role name in the ARN is the finding's (the attacker's) text: markup characters are
  // dropped, so even in plain_text the dialog never shows something that reads as a mention or link.
  const plain = target.replace(/[<>&|]/g, '');
  const shown = plain.length > room ? `${plain.slice(0, Math.max(0, room - 1))}…` : plain;
  return {
    title: { type: 'plain_text', text: 'Contain this resource?' },
    text: { type: 'plain_text', text: `${shown}${after}`.slice(0, 300) },
    confirm: { type: 'plain_text', text: 'Contain' },
    deny: { type: 'plain_text', text: 'Cancel' },
    style: 'danger',
  };
}

const PRINCIPAL_CHECK_EMOJI = { pending: ':hourglass_flowing_sand:', verified: ':white_check_mark:', mismatch: ':warning:', unchecked: ':grey_question:' } as const;

/** Where each partition's console lives. */
const CONSOLE_HOST: Record<string, string> = { aws: 'console.aws.amazon.com', 'aws-us-gov': 'console.amazonaws-us-gov.com', 'aws-cn': 'console.amazonaws.cn' };

/**
 * The finding in the GuardDuty console of its region (opened from the account that sees
 * the findings, the delegated administrator). Region and id come from the finding, so
 * they are URL-encoded: nothing in them can close the `<url|label>` link.
 */
export function guardDutyConsoleUrl(f: { id: string; region: string; partition: string }): string {
  const host = CONSOLE_HOST[f.partition] ?? CONSOLE_HOST.aws;
  const region = encodeURIComponent(f.region);
  return `https://${region}.${host}/guardduty/home?region=${region}#/findings?macros=current&fId=${encodeURIComponent(f.id)}`;
}

/** One card per finding in the case channel; edited in place when GuardDuty re-sends it. */
export function renderFindingCard(sf: StoredFinding): RenderedMessage {
  const f = sf.finding;
  const band = BAND_LABEL[sf.band];
  const title = safeText(f.title, 300);
  const fields = [
    field('Severity', `${BAND_EMOJI[sf.band]} ${band} (${f.severity})`),
    field('Type', safeCode(f.type, 200)),
    field('Account / region', `${safeText(f.accountId, 20)} / ${safeText(f.region, 30)}`),
    field('Tactic', safeText(findingTactic(f.type), 60)),
    field('Resources', resourceList(f.resources)),
    field('Seen', `${f.count} time${f.count === 1 ? '' : 's'}`),
  ];
  if (f.actor.userName || f.actor.accessKeyId) {
    const who = [f.actor.userName ? safeCode(f.actor.userName, 120) : '', f.actor.accessKeyId ? safeCode(f.actor.accessKeyId, 40) : '']
      .filter(Boolean)
      .join(' · ');
    fields.push(field('Principal', who));
  }
  if (f.remoteIps.length) fields.push(field('Remote IP', f.remoteIps.slice(0, 5).map((ip) => safeCode(ip, 60)).join(' ')));
  if (f.affected?.length) fields.push(field('Created or changed', resourceList(f.affected, 4)));
  // A sample is labelled where the eye lands first: it is GuardDuty's test data, not an attack.
  const label = f.sample ? ':test_tube: *SAMPLE* (GuardDuty sample finding, not real activity) ' : '';
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `${label}${BAND_EMOJI[sf.band]} *${title}*` } },
    { type: 'section', fields: fields.slice(0, LIMITS.fields) },
  ];
  if (f.description) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: safeText(f.description, 1500) } });
  }
  if (f.sequence) blocks.push(...renderSequenceBlocks(f.sequence));
  if (sf.signalOf) {
    // Without this line a signal reads as one more alert to work on its own.
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `:link: Signal of attack sequence *${safeText(sf.signalOf.title, 150)}* (finding ${safeCode(sf.signalOf.findingId, 120)}) — the case card has the whole story`,
        },
      ],
    });
  }
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        // GuardDuty's times (when the activity happened), not Cordon's ingestion time.
        text: `Finding ${safeCode(f.id, 120)} · activity ${slackDate(activityAt(f))} · updated ${slackDate(f.updatedAt)} · <${guardDutyConsoleUrl(f)}|open in the GuardDuty console>`,
      },
    ],
  });
  const target = containableTarget(f.resources);
  if (target) {
    const named = f.resources.find((r) => r.arn === target || r.id === target)?.kind;
    const kind = RESOURCE_KINDS.find((k) => k === named);
    // Contain is offered for a finding's IAM principal only once the worker has shown it is the one the finding saw (issue 15, point 14).
    const check = sf.principalCheck?.target === target ? sf.principalCheck : undefined;
    if (check) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${PRINCIPAL_CHECK_EMOJI[check.status]} ${safeText(principalCheckWords(check), 600)}` }] });
    blocks.push({
      type: 'actions',
      block_id: 'finding-actions',
      elements: [
        ...(!check || check.status === 'verified'
          ? [{ type: 'button' as const, action_id: ActionId.CONTAIN, text: { type: 'plain_text' as const, text: 'Contain' }, style: 'danger' as const, value: sf.id, confirm: containConfirm(target, kind) }]
          : []),
        { type: 'button', action_id: ActionId.ESCALATE, text: { type: 'plain_text', text: 'Escalate' }, value: sf.id },
        { type: 'button', action_id: ActionId.SUPPRESS_SIMILAR, text: { type: 'plain_text', text: 'Suppress similar' }, value: sf.id },
      ],
    });
  }
  return { text: `${f.sample ? 'SAMPLE ' : ''}${band} finding: ${safeText(f.title, 200)} (seen ${f.count}×)`, blocks };
}
