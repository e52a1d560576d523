import type { StoredFinding } from '../../domain/cases/case';
import { activityAt, findingTactic } from '../../domain/findings/finding';
import { BAND_LABEL } from '../../domain/triage/bands';
import { safeCode, safeText } from '../../domain/text/mrkdwn';
import { ActionId } from '../ids';
import { slackDate } from './slack-date';
import { containableTarget } from '../../domain/actions/target';
import { principalCheckWords } from '../../domain/findings/principal-check';
import type { Button, ConfirmationDialog } from '@slack/types';
import { RESOURCE_KINDS, type ResourceKind } from '../../domain/actions/resource-kind';
import { fitMessage, LIMITS, type KnownBlock, type RenderedMessage } from './block-types';
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

/** Contain buttons on one grouped card; the rest are named with the command that contains them. */
export const MAX_CONTAIN_BUTTONS = 5;
/** Finding ids (each linked to the console) listed in a grouped card's context line. */
const MAX_LISTED_FINDINGS = 3;
/** Attack sequences named by a grouped card's signal lines. */
const MAX_SIGNAL_LINES = 3;

/**
 * Which card a finding belongs on in its case: one per finding type (samples apart from
 * real findings). An attack sequence is a story of its own and keeps its own card.
 */
export function findingCardKey(sf: StoredFinding): string {
  return sf.finding.sequence ? `sequence:${sf.id}` : `${sf.finding.sample ? 'sample:' : 'type:'}${sf.finding.type}`;
}

function distinct<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => {
    const k = key(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Most severe first, then most recently updated: the finding a grouped card speaks for. */
function lead(group: StoredFinding[]): StoredFinding {
  return [...group].sort((a, b) => b.finding.severity - a.finding.severity || Date.parse(b.finding.updatedAt) - Date.parse(a.finding.updatedAt))[0] as StoredFinding;
}

function signalLine(s: { findingId: string; title: string }, of: number, total: number): string {
  const which = of < total ? `: ${of} of these ${total} findings` : '';
  return `:link: Signal of attack sequence *${safeText(s.title, 150)}* (finding ${safeCode(s.findingId, 120)})${which} — the case card has the whole story`;
}

/** The Contain button for one target, carrying the id of a finding that names it (the handler reloads it). */
/** The worker's check of the finding's IAM principal, when the target is that principal (issue 15, point 14). */
function checkOf(target: string, f: StoredFinding): StoredFinding['principalCheck'] {
  return f.principalCheck?.target === target ? f.principalCheck : undefined;
}

/** Contain is offered for a finding's IAM principal only once the worker has shown it is the one the finding saw. */
function offerContain(check: StoredFinding['principalCheck']): boolean {
  return !check || check.status === 'verified';
}

function containButton(target: string, f: StoredFinding, text: string): Button {
  const named = f.finding.resources.find((r) => r.arn === target || r.id === target)?.kind;
  const kind = RESOURCE_KINDS.find((k) => k === named);
  return { type: 'button', action_id: ActionId.CONTAIN, text: { type: 'plain_text', text }, style: 'danger', value: f.id, confirm: containConfirm(target, kind) };
}

/** The last part of an ARN (or the key id): what a responder calls the resource. */
function shortName(target: string): string {
  const tail = target.split(/[:/]/).pop() ?? target;
  return tail.replace(/[<>&|]/g, '');
}

/** One finding's card: a group of one. */
export function renderFindingCard(sf: StoredFinding): RenderedMessage {
  return renderFindingGroupCard([sf]);
}

/**
 * The card of one finding type in a case: counts, the affected resources (capped) and a
 * Contain button per resource (capped; the rest name `/ir contain <arn>`). Findings of the
 * same type join the card, which is edited in place, so 300 findings of a type cost one
 * post and a few edits instead of 300 posts (issue 16 point 11).
 */
export function renderFindingGroupCard(group: StoredFinding[]): RenderedMessage {
  const sorted = [...group].sort((a, b) => a.firstSeenAt.localeCompare(b.firstSeenAt) || a.id.localeCompare(b.id));
  const sf = lead(sorted);
  const n = sorted.length;
  const f = sf.finding;
  const band = BAND_LABEL[sf.band];
  const title = safeText(f.title, 300);
  const severities = sorted.map((x) => x.finding.severity);
  const low = Math.min(...severities);
  const seen = sorted.reduce((sum, x) => sum + x.finding.count, 0);
  const accounts = distinct(sorted.map((x) => `${safeText(x.finding.accountId, 20)} / ${safeText(x.finding.region, 30)}`), (x) => x);
  const resources = distinct(sorted.flatMap((x) => x.finding.resources), (r) => `${r.kind}:${r.id}`);
  const fields = [
    field('Severity', `${BAND_EMOJI[sf.band]} ${band} (${low === f.severity ? f.severity : `${low}–${f.severity}`})`),
    field('Type', safeCode(f.type, 200)),
    field('Account / region', accounts.slice(0, 4).join('\n') + (accounts.length > 4 ? `\n…and ${accounts.length - 4} more` : '')),
    field('Tactic', safeText(findingTactic(f.type), 60)),
    field('Resources', resourceList(resources)),
    field('Seen', n === 1 ? `${f.count} time${f.count === 1 ? '' : 's'}` : `${n} findings, ${seen} events`),
  ];
  const principals = distinct(
    sorted.filter((x) => x.finding.actor.userName || x.finding.actor.accessKeyId).map((x) => x.finding.actor),
    (a) => `${a.userName ?? ''}|${a.accessKeyId ?? ''}`,
  );
  if (principals.length) {
    const who = principals
      .slice(0, 4)
      .map((a) => [a.userName ? safeCode(a.userName, 120) : '', a.accessKeyId ? safeCode(a.accessKeyId, 40) : ''].filter(Boolean).join(' · '));
    if (principals.length > 4) who.push(`…and ${principals.length - 4} more`);
    fields.push(field('Principal', who.join('\n')));
  }
  const ips = distinct(sorted.flatMap((x) => x.finding.remoteIps), (ip) => ip);
  if (ips.length) fields.push(field('Remote IP', ips.slice(0, 5).map((ip) => safeCode(ip, 60)).join(' ') + (ips.length > 5 ? ` …and ${ips.length - 5} more` : '')));
  const affected = distinct(sorted.flatMap((x) => x.finding.affected ?? []), (r) => `${r.kind}:${r.id}`);
  if (affected.length) fields.push(field('Created or changed', resourceList(affected, 4)));
  // A sample is labelled where the eye lands first: it is GuardDuty's test data, not an attack.
  const label = f.sample ? ':test_tube: *SAMPLE* (GuardDuty sample finding, not real activity) ' : '';
  const count = n > 1 ? ` — ${n} findings of this type` : '';
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `${label}${BAND_EMOJI[sf.band]} *${title}*${count}` } },
    { type: 'section', fields: fields.slice(0, LIMITS.fields) },
  ];
  if (f.description) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: safeText(f.description, 1500) } });
  }
  if (n === 1 && f.sequence) blocks.push(...renderSequenceBlocks(f.sequence));
  // Without this line a signal reads as one more alert to work on its own.
  const sequences = distinct(sorted.flatMap((x) => (x.signalOf ? [x.signalOf] : [])), (s) => s.findingId);
  if (sequences.length) {
    blocks.push({
      type: 'context',
      elements: sequences.slice(0, MAX_SIGNAL_LINES).map((s) => ({ type: 'mrkdwn' as const, text: signalLine(s, sorted.filter((x) => x.signalOf?.findingId === s.findingId).length, n) })),
    });
  }
  // GuardDuty's times (when the activity happened), not Cordon's ingestion time.
  const firstActivity = sorted.map((x) => activityAt(x.finding)).sort()[0] as string;
  const lastUpdate = sorted.map((x) => x.finding.updatedAt).sort().pop() as string;
  const ids =
    n === 1
      ? `Finding ${safeCode(f.id, 120)} · activity ${slackDate(firstActivity)} · updated ${slackDate(lastUpdate)} · <${guardDutyConsoleUrl(f)}|open in the GuardDuty console>`
      : `Findings ${[...sorted].reverse().slice(0, MAX_LISTED_FINDINGS).map((x) => `<${guardDutyConsoleUrl(x.finding)}|${safeText(x.id, 40)}>`).join(', ')}${n > MAX_LISTED_FINDINGS ? ` and ${n - MAX_LISTED_FINDINGS} more` : ''} (open in the GuardDuty console) · first activity ${slackDate(firstActivity)} · updated ${slackDate(lastUpdate)}`;
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: ids }] });
  // One Contain per affected resource, each carrying the latest finding that names it.
  const targets = new Map<string, StoredFinding>();
  for (const x of [...sorted].reverse()) {
    const t = containableTarget(x.finding.resources);
    if (t && !targets.has(t)) targets.set(t, x);
  }
  const body = blocks.length;
  const others: Button[] = [
    { type: 'button', action_id: ActionId.ESCALATE, text: { type: 'plain_text', text: 'Escalate' }, value: sf.id },
    { type: 'button', action_id: ActionId.SUPPRESS_SIMILAR, text: { type: 'plain_text', text: 'Suppress similar' }, value: sf.id },
  ];
  if (targets.size === 1) {
    const [[t, x]] = [...targets] as [[string, StoredFinding]];
    const check = checkOf(t, x);
    if (check) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${PRINCIPAL_CHECK_EMOJI[check.status]} ${safeText(principalCheckWords(check), 600)}` }] });
    blocks.push({ type: 'actions', block_id: 'finding-actions', elements: [...(offerContain(check) ? [containButton(t, x, 'Contain')] : []), ...others] });
  } else if (targets.size > 1) {
    // action_id must be unique within a block: each resource gets its own row and button.
    let i = 0;
    for (const [t, x] of [...targets].slice(0, MAX_CONTAIN_BUTTONS)) {
      const r = x.finding.resources.find((rr) => rr.arn === t || rr.id === t);
      const check = checkOf(t, x);
      const label = `${RESOURCE_LABEL[r?.kind ?? ''] ?? 'resource'} ${safeCode(t, 300)}`;
      blocks.push({
        type: 'section',
        block_id: `finding-contain-${i++}`,
        text: { type: 'mrkdwn', text: check ? `${label}\n${PRINCIPAL_CHECK_EMOJI[check.status]} ${safeText(principalCheckWords(check), 600)}` : label },
        ...(offerContain(check) ? { accessory: containButton(t, x, `Contain ${shortName(t)}`.slice(0, 75)) } : {}),
      });
    }
    if (targets.size > MAX_CONTAIN_BUTTONS) {
      blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${targets.size - MAX_CONTAIN_BUTTONS} more: use \`/ir contain <arn>\`` }] });
    }
    blocks.push({ type: 'actions', block_id: 'finding-actions', elements: others });
  }
  const tail = n === 1 ? `(seen ${f.count}×)` : `(${n} findings, seen ${seen}×)`;
  // The buttons always stay; the body gives way to Slack's cumulative text limit first.
  return fitMessage({ text: `${f.sample ? 'SAMPLE ' : ''}${band} finding: ${safeText(f.title, 200)} ${tail}`, blocks }, blocks.length - body);
}
