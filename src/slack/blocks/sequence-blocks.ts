import type { AttackSequence } from '../../domain/findings/finding';
import { safeCode, safeText } from '../../domain/text/mrkdwn';
import { LIMITS, type KnownBlock } from './block-types';

const SEQUENCE_RESOURCE_LABEL: Record<string, string> = {
  EC2_INSTANCE: 'EC2 instance',
  S3_BUCKET: 'S3 bucket',
  ACCESS_KEY: 'access key',
  EKS_CLUSTER: 'EKS cluster',
  ECS_CLUSTER: 'ECS cluster',
  ECS_TASK: 'ECS task',
  KUBERNETES_WORKLOAD: 'Kubernetes workload',
  CONTAINER: 'container',
};

function list(values: string[], max: number, width: number): string {
  if (values.length === 0) return '_none named_';
  const shown = values.slice(0, max).map((v) => safeCode(v, width));
  if (values.length > max) shown.push(`…and ${values.length - max} more`);
  return shown.join(' ');
}

function field(label: string, value: string): { type: 'mrkdwn'; text: string } {
  return { type: 'mrkdwn', text: `*${label}*\n${value}`.slice(0, LIMITS.fieldText) };
}

/**
 * What an attack sequence says about itself: the actor, how many signals it correlated
 * (how many of them are findings in this case), the resources, the indicators and MITRE's
 * tactics and techniques. Every value came from the finding: escaped and cut.
 */
export function renderSequenceBlocks(seq: AttackSequence, inCase?: number): KnownBlock[] {
  const actors = seq.actors.map((a) => [a.userName, a.userType ? `(${a.userType})` : '', a.credentialUid ? `key ${a.credentialUid}` : '', a.sessionUids.length ? `session ${a.sessionUids.join(', ')}` : ''].filter(Boolean).join(' '));
  const findings = seq.signals.filter((s) => s.findingId).length;
  const signals = `${seq.signals.length} signal${seq.signals.length === 1 ? '' : 's'} (${findings} finding${findings === 1 ? '' : 's'}${inCase !== undefined ? `, ${inCase} linked in this case` : ''})`;
  const resources = seq.resources.map((r) => `${SEQUENCE_RESOURCE_LABEL[r.type] ?? r.type.toLowerCase()} ${r.name ?? r.uid}`);
  const indicators = seq.indicators.filter((i) => i.key !== 'ATTACK_TACTIC' && i.key !== 'ATTACK_TECHNIQUE').map((i) => `${i.key}: ${i.values.slice(0, 3).join(', ')}`);
  const fields = [
    field('Actor', actors.length ? actors.slice(0, 3).map((a) => safeText(a, 200)).join('\n') : '_none named_'),
    field('Signals', signals),
    field('Resources', list(resources, 8, 120)),
    field('Endpoints', list(seq.endpoints, 5, 80)),
    field('Tactics (MITRE)', seq.tactics.length ? safeText(seq.tactics.join(', '), 600) : '_none named_'),
    field('Techniques (MITRE)', seq.techniques.length ? safeText(seq.techniques.join(', '), 900) : '_none named_'),
  ];
  if (indicators.length) fields.push(field('Indicators', safeText(indicators.slice(0, 6).join('\n'), 900)));
  const names = seq.signals.map((s) => s.name ?? s.type ?? s.uid);
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: '*Attack sequence*: GuardDuty correlated these signals into one attack' } },
    { type: 'section', fields: fields.slice(0, LIMITS.fields) },
  ];
  if (names.length) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Linked signals: ${safeText(names.slice(0, 20).join(' · '), 2500)}${names.length > 20 ? ` …and ${names.length - 20} more` : ''}` }] });
  }
  return blocks;
}
