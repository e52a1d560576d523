/**
 * A request as IAM authorizes it in the real service: which action, on which resources,
 * and the condition keys each resource carries. The sandbox hands this to a
 * {@link PolicyAuthorizer} a test plugs in (`AwsSandbox.setPolicyAuthorizer`), so a
 * policy written for real AWS (the member-account template) can be evaluated by an
 * evaluator that is not the sandbox's own. Nothing here evaluates a policy.
 *
 * What each action carries follows the Service Authorization Reference (SAR): the
 * resource types of the action and the condition keys listed on each of them, e.g.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
 * (also list_awsidentityandaccessmanagementiam.html, list_awslambda.html,
 * list_amazonguardduty.html, list_amazonec2autoscaling.html). Keys are given only on the
 * resource type the SAR lists them for: `aws:RequestTag/…` and `aws:TagKeys` on the
 * resource being created (the snapshot of `CreateSnapshot`, not its volume; the EBS
 * examples grant the two in separate statements,
 * https://docs.aws.amazon.com/ebs/latest/userguide/security_iam_id-based-policy-examples.html),
 * `aws:ResourceTag/…` on resources that exist.
 */

import type { KeyValueTag } from './sim-state';
import { CallContext, listField, strField } from './sim-world';
import type { SimService } from './sim-errors';

/** Condition keys of a request or of one resource; a list value is a multivalued key. */
export type PolicyContext = Record<string, string | string[]>;

/** One resource IAM authorizes for an action: its ARN and the keys that resource type carries. */
export interface PolicyResource {
  arn: string;
  context: PolicyContext;
}

/** One authorization: every resource must be allowed, and none explicitly denied. */
export interface PolicyCheck {
  /** `service:Action`. */
  action: string;
  /** `*` alone for actions without resource types (SAR: no resource-level permissions). */
  resources: PolicyResource[];
  /** Keys of the action itself (`ec2:CreateAction`, `iam:PolicyARN`, …). */
  context: PolicyContext;
}

/** What a {@link PolicyAuthorizer} is asked about one check. */
export interface PolicyAuthorizerRequest extends PolicyCheck {
  service: SimService;
  command: string;
  accountId: string;
  region: string;
  /** The caller as GetCallerIdentity names it (`arn:aws:sts::…:assumed-role/<role>/<session>`). */
  callerArn: string;
  /** The role of an assumed-role caller. */
  roleName?: string;
  /** Global keys of the request (`aws:PrincipalArn`, `aws:PrincipalTag/…`, …). */
  globalContext: PolicyContext;
}

/** An authorizer's answer; `undefined` means "not mine to judge" (another caller). */
export interface PolicyVerdict {
  decision: 'allow' | 'explicit-deny' | 'implicit-deny';
  /** The resource refused, for the error message. */
  resource?: string;
  /** Why, for the error message (e.g. the statement that denied). */
  reason?: string;
}

/** Evaluates one authorization; see {@link PolicyAuthorizerRequest}. */
export type PolicyAuthorizer = (request: PolicyAuthorizerRequest) => Promise<PolicyVerdict | undefined>;

function tagContext(tags: KeyValueTag[] | Record<string, string> | undefined, prefixes: string[]): PolicyContext {
  const out: PolicyContext = {};
  const list = Array.isArray(tags) ? tags : Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
  for (const t of list) for (const p of prefixes) out[`${p}/${t.Key}`] = t.Value ?? '';
  return out;
}

/** `aws:RequestTag/…` and `aws:TagKeys` of tags the request sets. */
function requestTagContext(tags: { Key?: string; Value?: string }[]): PolicyContext {
  const named = tags.filter((t): t is { Key: string; Value?: string } => typeof t.Key === 'string');
  if (named.length === 0) return {};
  const out: PolicyContext = { 'aws:TagKeys': named.map((t) => t.Key) };
  for (const t of named) out[`aws:RequestTag/${t.Key}`] = t.Value ?? '';
  return out;
}

function tagSpecs(input: unknown, resourceType: string): { Key?: string; Value?: string }[] {
  const specs = (input as { TagSpecifications?: { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[] }).TagSpecifications ?? [];
  return specs.filter((s) => s.ResourceType === resourceType).flatMap((s) => s.Tags ?? []);
}

const WILDCARD: PolicyResource[] = [{ arn: '*', context: {} }];

/** EC2 ids by prefix, for `CreateTags`/`DeleteTags` resources. */
const EC2_TYPE_OF: Record<string, string> = { i: 'instance', sg: 'security-group', eni: 'network-interface', vol: 'volume', snap: 'snapshot', vpc: 'vpc', subnet: 'subnet' };

/** The attribute a ModifyInstanceAttribute call sets, as `ec2:Attribute` names it (the request's parameter, camelCase). */
function modifiedAttribute(input: unknown): string | undefined {
  const explicit = strField(input, 'Attribute');
  if (explicit) return explicit;
  const field = Object.keys(input as object).find((k) => !['InstanceId', 'DryRun', 'Value'].includes(k) && (input as Record<string, unknown>)[k] !== undefined);
  return field ? field.charAt(0).toLowerCase() + field.slice(1) : undefined;
}

function ec2Checks(command: string, input: unknown, ctx: CallContext): PolicyCheck[] {
  const acct = ctx.account.accountId;
  const arn = (type: string, id: string): string => (type === 'snapshot' ? `arn:${ctx.account.partition}:ec2:${ctx.region}::snapshot/${id}` : `arn:${ctx.account.partition}:ec2:${ctx.region}:${acct}:${type}/${id}`);
  const ec2 = ctx.account.regions[ctx.region]?.ec2;
  const tagsOf = (type: string, id: string): KeyValueTag[] | undefined => {
    if (!ec2) return undefined;
    const byType: Record<string, Record<string, { tags: KeyValueTag[] }>> = {
      instance: ec2.instances,
      'security-group': ec2.securityGroups,
      'network-interface': ec2.networkInterfaces,
      volume: ec2.volumes,
      snapshot: ec2.snapshots,
      vpc: ec2.vpcs,
      subnet: ec2.subnets,
    };
    return byType[type]?.[id]?.tags;
  };
  // Existing resources carry aws:ResourceTag/… and ec2:ResourceTag/… (SAR, each resource type's row).
  const existing = (type: string, id: string, extra: PolicyContext = {}): PolicyResource => ({ arn: arn(type, id), context: { ...tagContext(tagsOf(type, id), ['aws:ResourceTag', 'ec2:ResourceTag']), ...extra } });
  // Tags given at creation are authorized again as ec2:CreateTags with ec2:CreateAction
  // (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html).
  const tagOnCreate = (type: string, tags: { Key?: string; Value?: string }[]): PolicyCheck[] =>
    tags.length ? [{ action: 'ec2:CreateTags', resources: [{ arn: arn(type, '*'), context: requestTagContext(tags) }], context: { 'ec2:CreateAction': command } }] : [];
  const instanceId = strField(input, 'InstanceId');
  switch (command) {
    case 'ModifyInstanceAttribute': {
      // ec2:Attribute is a key of the instance resource of ModifyInstanceAttribute (SAR).
      const attribute = modifiedAttribute(input);
      return [
        {
          action: `ec2:${command}`,
          resources: [existing('instance', instanceId ?? '*', attribute ? { 'ec2:Attribute': attribute } : {}), ...listField(input, 'Groups').map((g) => existing('security-group', g))],
          context: {},
        },
      ];
    }
    case 'CreateSecurityGroup': {
      const tags = tagSpecs(input, 'security-group');
      const vpc = strField(input, 'VpcId');
      return [
        { action: `ec2:${command}`, resources: [{ arn: arn('security-group', '*'), context: requestTagContext(tags) }, ...(vpc ? [existing('vpc', vpc)] : [])], context: {} },
        ...tagOnCreate('security-group', tags),
      ];
    }
    case 'AuthorizeSecurityGroupIngress':
    case 'AuthorizeSecurityGroupEgress':
    case 'RevokeSecurityGroupIngress':
    case 'RevokeSecurityGroupEgress':
    case 'DeleteSecurityGroup': {
      const gid = strField(input, 'GroupId');
      return [{ action: `ec2:${command}`, resources: [existing('security-group', gid ?? '*')], context: {} }];
    }
    case 'CreateTags':
    case 'DeleteTags': {
      const tags = (input as { Tags?: { Key?: string; Value?: string }[] }).Tags ?? [];
      // DeleteTags names keys (aws:TagKeys) and values only when it matches on them.
      const request = command === 'CreateTags' ? requestTagContext(tags) : tags.length ? { 'aws:TagKeys': tags.flatMap((t) => (t.Key ? [t.Key] : [])) } : {};
      const resources = listField(input, 'Resources').map((id) => {
        const type = EC2_TYPE_OF[id.split('-')[0] ?? ''];
        return type ? { ...existing(type, id), context: { ...existing(type, id).context, ...request } } : { arn: '*', context: request };
      });
      return [{ action: `ec2:${command}`, resources, context: {} }];
    }
    case 'CreateSnapshot': {
      const tags = tagSpecs(input, 'snapshot');
      const vol = strField(input, 'VolumeId');
      return [
        { action: `ec2:${command}`, resources: [existing('volume', vol ?? '*'), { arn: arn('snapshot', '*'), context: requestTagContext(tags) }], context: {} },
        ...tagOnCreate('snapshot', tags),
      ];
    }
    case 'ModifyNetworkInterfaceAttribute': {
      const eni = strField(input, 'NetworkInterfaceId');
      return [{ action: `ec2:${command}`, resources: [existing('network-interface', eni ?? '*'), ...listField(input, 'Groups').map((g) => existing('security-group', g))], context: {} }];
    }
    case 'DescribeInstanceAttribute':
      return [{ action: `ec2:${command}`, resources: [existing('instance', instanceId ?? '*')], context: {} }];
    default:
      // Describe* and the rest Cordon does not call with the member role: no resource types.
      return [{ action: `ec2:${command}`, resources: WILDCARD, context: {} }];
  }
}

function iamChecks(command: string, input: unknown, ctx: CallContext): PolicyCheck[] {
  const iam = ctx.account.iam;
  const acct = ctx.account.accountId;
  let resource: PolicyResource | undefined;
  const roleName = strField(input, 'RoleName');
  let userName = strField(input, 'UserName');
  if (command === 'GetAccessKeyLastUsed') {
    // The user resource is the key's owner (SAR: GetAccessKeyLastUsed, resource type user).
    const keyId = strField(input, 'AccessKeyId');
    userName = Object.values(iam.users).find((u) => u.accessKeys.some((k) => k.accessKeyId === keyId))?.userName;
  }
  const profileName = strField(input, 'InstanceProfileName');
  // IAM users and roles carry aws:ResourceTag/… (SAR, resource types user and role).
  if (roleName) resource = { arn: iam.roles[roleName]?.arn ?? `arn:${ctx.account.partition}:iam::${acct}:role/${roleName}`, context: tagContext(iam.roles[roleName]?.tags, ['aws:ResourceTag']) };
  else if (userName) resource = { arn: iam.users[userName]?.arn ?? `arn:${ctx.account.partition}:iam::${acct}:user/${userName}`, context: tagContext(iam.users[userName]?.tags, ['aws:ResourceTag']) };
  else if (profileName) resource = { arn: iam.instanceProfiles[profileName]?.arn ?? `arn:${ctx.account.partition}:iam::${acct}:instance-profile/${profileName}`, context: {} };
  const policyArn = strField(input, 'PolicyArn');
  return [{ action: `iam:${command}`, resources: resource ? [resource] : WILDCARD, context: /^(Attach|Detach)(User|Role)Policy$/.test(command) && policyArn ? { 'iam:PolicyARN': policyArn } : {} }];
}

function lambdaChecks(command: string, input: unknown, ctx: CallContext): PolicyCheck[] {
  const ref = strField(input, 'FunctionName');
  if (!ref) return [{ action: `lambda:${command}`, resources: WILDCARD, context: {} }];
  const name = /([A-Za-z0-9_-]{1,64})(?::[^:]+)?$/.exec(ref.replace(/^.*function:/, ''))?.[1] ?? ref;
  // Provisioned concurrency is configured on a version or alias: the SAR's resource types
  // for those actions are the qualified function ARN.
  const qualifier = strField(input, 'Qualifier');
  const suffix = qualifier && /ProvisionedConcurrencyConfig$/.test(command) && !command.startsWith('List') ? `:${qualifier}` : '';
  const action = command === 'Invoke' ? 'lambda:InvokeFunction' : `lambda:${command}`;
  return [{ action, resources: [{ arn: `arn:${ctx.account.partition}:lambda:${ctx.region}:${ctx.account.accountId}:function:${name}${suffix}`, context: {} }], context: {} }];
}

function guardDutyChecks(command: string, input: unknown, ctx: CallContext): PolicyCheck[] {
  const detector = strField(input, 'DetectorId');
  const base = `arn:${ctx.account.partition}:guardduty:${ctx.region}:${ctx.account.accountId}:detector/${detector ?? '*'}`;
  // Filter actions are authorized on the filter resource,
  // detector/${DetectorId}/filter/${FilterName} (SAR, Amazon GuardDuty); ListFilters and
  // ListDetectors have no resource type.
  const filter = command === 'CreateFilter' ? strField(input, 'Name') : strField(input, 'FilterName');
  const tags = (input as { Tags?: Record<string, string> }).Tags;
  const context: PolicyContext = command === 'CreateFilter' && tags ? requestTagContext(Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))) : {};
  if (['CreateFilter', 'DeleteFilter', 'UpdateFilter', 'GetFilter'].includes(command)) return [{ action: `guardduty:${command}`, resources: [{ arn: `${base}/filter/${filter ?? '*'}`, context: {} }], context }];
  if (command === 'ListFilters' || command === 'ListDetectors' || !detector) return [{ action: `guardduty:${command}`, resources: WILDCARD, context }];
  return [{ action: `guardduty:${command}`, resources: [{ arn: base, context: {} }], context }];
}

function autoScalingChecks(command: string, input: unknown, ctx: CallContext): PolicyCheck[] {
  const name = strField(input, 'AutoScalingGroupName');
  const group = name ? (ctx.account.regions[ctx.region]?.autoscaling as { groups: Record<string, { arn: string }> } | undefined)?.groups[name] : undefined;
  if (command.startsWith('Describe') || !name) return [{ action: `autoscaling:${command}`, resources: WILDCARD, context: {} }];
  return [{ action: `autoscaling:${command}`, resources: [{ arn: group?.arn ?? `arn:${ctx.account.partition}:autoscaling:${ctx.region}:${ctx.account.accountId}:autoScalingGroup:*:autoScalingGroupName/${name}`, context: {} }], context: {} }];
}

/** The authorizations real AWS makes for one call (usually one; two when tags are given at creation). */
export function policyChecks(service: SimService, command: string, input: unknown, ctx: CallContext): PolicyCheck[] {
  switch (service) {
    case 'ec2':
      return ec2Checks(command, input, ctx);
    case 'iam':
      return iamChecks(command, input, ctx);
    case 'lambda':
      return lambdaChecks(command, input, ctx);
    case 'guardduty':
      return guardDutyChecks(command, input, ctx);
    case 'autoscaling':
      return autoScalingChecks(command, input, ctx);
    case 'sts':
      return [{ action: `sts:${command}`, resources: WILDCARD, context: {} }];
  }
}
