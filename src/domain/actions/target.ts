import { CordonError, ErrorCode } from '../../errors';

/** Resource kinds Cordon can contain (docs/architecture.md §7). */
export type { ResourceKind } from './resource-kind';
import type { ResourceKind } from './resource-kind';

/** A resolved containment target. `accountId` is absent only for a bare access key id until AWS is asked. */
export interface Target {
  kind: ResourceKind;
  /** What the user gave, normalised (ARN or key id). */
  ref: string;
  partition: string;
  accountId?: string;
  /** Regional kinds only. */
  region?: string;
  /** Instance id, user name, role name, function name or access key id. */
  id: string;
  /** IAM path of users and roles (`/` by default). */
  path?: string;
  /** Access keys: `AKIA` (long-term) or `ASIA` (temporary, cannot be deactivated). */
  temporary?: boolean;
}

/**
 * The partitions Cordon works in. Every region is in exactly one partition, each partition
 * has its own IAM, and credentials of one cannot act on resources of another
 * (https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html).
 */
export const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'] as const;
export type Partition = (typeof PARTITIONS)[number];

/**
 * The forms `ARN.INVALID` lists, so a person can fix the input. `<partition>` is one of
 * PARTITIONS: a GovCloud or China responder types `arn:aws-us-gov:` or `arn:aws-cn:`, and a
 * form showing only `arn:aws:` would lead them to an ARN Cordon refuses there.
 */
export const ACCEPTED_FORMS = [
  'arn:<partition>:ec2:<region>:<account>:instance/i-<id>',
  'arn:<partition>:iam::<account>:user/<name>',
  'arn:<partition>:iam::<account>:role/<name>',
  'arn:<partition>:lambda:<region>:<account>:function:<name>',
  'an access key id: AKIA… (long-term) or ASIA… (temporary)',
] as const;

/** The accepted forms where Cordon runs: in its partition when that is known, else with the partitions named. */
export function acceptedForms(partition?: Partition): string[] {
  if (partition) return ACCEPTED_FORMS.map((f) => f.replace('<partition>', partition));
  return [...ACCEPTED_FORMS, `<partition> is ${PARTITIONS.slice(0, -1).join(', ')} or ${PARTITIONS[PARTITIONS.length - 1]}`];
}

function invalid(input: string, why: string, partition?: Partition): CordonError {
  const shown = input.length > 120 ? `${input.slice(0, 120)}…` : input;
  const accepted = acceptedForms(partition);
  return new CordonError(ErrorCode.ARN_INVALID, `"${shown}" is not something Cordon can contain: ${why}. Accepted: ${accepted.join('; ')}`, { accepted });
}

/** The partition of a region: `cn-*` is aws-cn, `us-gov-*` is aws-us-gov, every other region aws. */
export function partitionOfRegion(region: string): Partition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

const PARTITION = /^(aws|aws-cn|aws-us-gov)$/;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const ACCOUNT = /^\d{12}$/;
const IAM_NAME = /^[\w+=,.@-]{1,128}$/;
const IAM_PATH = /^\/([\x21-\x7e]{0,510}\/)?$/;

/** Where Cordon runs: a target elsewhere cannot be reached, and a bare key id is taken to be here. */
export interface TargetContext {
  /** The configured partition (the config's `partition`, or that of its regions). */
  partition?: Partition;
}

/**
 * Parses what a responder typed. Strict: look-alike ARNs (wrong service, missing
 * account, another resource type, stray characters, another partition than Cordon's, a
 * region of another partition than the ARN's) are refused with the reason, before any AWS call.
 * A bare access key id names no partition: it takes the configured one.
 */
export function parseTarget(raw: string, where: TargetContext = {}): Target {
  // The forms shown are those of Cordon's partition when it is configured.
  const refuse = (shown: string, why: string): CordonError => invalid(shown, why, where.partition);
  const input = raw.trim();
  if (!input) throw refuse(raw, 'it is empty');
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f<>|`]/.test(input)) throw refuse(input, 'it contains spaces, control or markup characters');

  const key = /^(AKIA|ASIA)[A-Z2-7]{16}$/.exec(input);
  if (key) return { kind: 'access-key', ref: input, partition: where.partition ?? 'aws', id: input, temporary: key[1] === 'ASIA' };
  if (/^(AKIA|ASIA)/i.test(input)) throw refuse(input, 'an access key id is AKIA or ASIA followed by 16 characters A-Z or 2-7');

  const parts = input.split(':');
  if (parts[0] !== 'arn' || parts.length < 6) throw refuse(input, 'it is neither an ARN nor an access key id');
  const [, partition = '', service = '', region = '', account = '', ...restParts] = parts;
  const resource = restParts.join(':');
  if (!PARTITION.test(partition)) throw refuse(input, `"${partition}" is not an AWS partition`);
  if (!ACCOUNT.test(account)) throw refuse(input, 'the account must be 12 digits');
  if (where.partition && partition !== where.partition) {
    throw refuse(input, `it is in partition ${partition}, and Cordon runs in ${where.partition}: credentials of one partition cannot act in another`);
  }
  if (region && REGION.test(region) && partitionOfRegion(region) !== partition) {
    throw refuse(input, `region ${region} is in partition ${partitionOfRegion(region)}, not ${partition}`);
  }

  switch (service) {
    case 'ec2': {
      if (!REGION.test(region)) throw refuse(input, 'an EC2 ARN needs a region');
      const m = /^instance\/(i-[0-9a-f]{8}(?:[0-9a-f]{9})?)$/.exec(resource);
      if (!m?.[1]) throw refuse(input, 'only EC2 instances (instance/i-…) can be contained');
      return { kind: 'ec2-instance', ref: input, partition, accountId: account, region, id: m[1] };
    }
    case 'iam': {
      if (region) throw refuse(input, `IAM ARNs have no region (arn:${partition}:iam::<account>:…)`);
      const m = /^(user|role)(\/.*\/|\/)([^/]+)$/.exec(resource);
      if (!m?.[1] || !m[2] || !m[3]) throw refuse(input, 'only IAM users (user/<name>) and roles (role/<name>) can be contained');
      if (!IAM_NAME.test(m[3])) throw refuse(input, `"${m[3].length > 64 ? `${m[3].slice(0, 63)}…` : m[3]}" is not a valid IAM name (1–128 letters, digits and +=,.@_-)`);
      if (!IAM_PATH.test(m[2])) throw refuse(input, 'the IAM path is malformed');
      if (m[1] === 'role' && m[2].startsWith('/aws-service-role/')) throw refuse(input, 'service-linked roles belong to AWS and cannot be changed');
      return { kind: m[1] === 'user' ? 'iam-user' : 'iam-role', ref: input, partition, accountId: account, id: m[3], path: m[2] };
    }
    case 'lambda': {
      if (!REGION.test(region)) throw refuse(input, 'a Lambda ARN needs a region');
      const m = /^function:([a-zA-Z0-9_-]{1,64})(?::(\$LATEST|[a-zA-Z0-9_-]+))?$/.exec(resource);
      if (!m?.[1]) throw refuse(input, 'only Lambda functions (function:<name>) can be contained');
      return { kind: 'lambda-function', ref: `arn:${partition}:lambda:${region}:${account}:function:${m[1]}`, partition, accountId: account, region, id: m[1] };
    }
    default:
      throw refuse(input, `"${service}" resources cannot be contained`);
  }
}

/** The first resource of a finding that a playbook can contain, as an ARN or key id. */
export function containableTarget(resources: { kind: string; id: string; arn?: string }[]): string | undefined {
  for (const kind of ['ec2-instance', 'iam-user', 'iam-role', 'lambda-function', 'access-key']) {
    const r = resources.find((x) => x.kind === kind);
    if (!r) continue;
    if (kind === 'access-key') {
      if (/^(AKIA|ASIA)[A-Z2-7]{16}$/.test(r.id)) return r.id;
      continue;
    }
    if (r.arn) return r.arn;
  }
  return undefined;
}
