/**
 * Security group rules: one stored rule per peer, regrouped into IpPermissions on the
 * way out, with EC2's duplicate, not-found and quota rules and the default egress.
 */
import type { IpPermission, RevokedSecurityGroupRule, SecurityGroupRule } from '@aws-sdk/client-ec2';
import { SimError } from './sim-errors';
import { Ec2Rule, Ec2SecurityGroup, Ec2State, Ec2Vpc, partitionOfRegion } from './sim-state';
import { CallContext, SandboxWorld } from './sim-world';
import { KINDS, lookup } from './ec2-common';

// ---------------------------------------------------------------- security group rules

const PROTOCOLS: Record<string, string> = {
  tcp: 'tcp',
  '6': 'tcp',
  udp: 'udp',
  '17': 'udp',
  icmp: 'icmp',
  '1': 'icmp',
  icmpv6: 'icmpv6',
  '58': 'icmpv6',
  '-1': '-1',
  all: '-1',
};

function normalizeProtocol(p: string | undefined): string {
  if (p === undefined || p === '') throw new SimError('MissingParameter', 'The request must contain the parameter ipPermissions.ipProtocol');
  const known = PROTOCOLS[p.toLowerCase()];
  if (known) return known;
  if (/^\d+$/.test(p) && Number(p) <= 255) return String(Number(p));
  throw new SimError('InvalidParameterValue', `Invalid value '${p}' for IP protocol. Unknown protocol.`);
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function checkCidr(cidr: string, v6: boolean): string {
  if (v6) {
    const [addr, len] = cidr.split('/');
    if (!addr || !addr.includes(':') || len === undefined || !/^\d{1,3}$/.test(len) || Number(len) > 128 || !/^[0-9a-fA-F:]+$/.test(addr)) {
      throw new SimError('InvalidParameterValue', `CIDR block ${cidr} is malformed`);
    }
    return cidr.toLowerCase();
  }
  const m = IPV4_CIDR.exec(cidr);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
    throw new SimError('InvalidParameterValue', `CIDR block ${cidr} is malformed`);
  }
  return cidr;
}

export type RuleSpec = Omit<Ec2Rule, 'ruleId'>;

function ruleKey(r: RuleSpec): string {
  const peer = r.cidrIpv4 ?? r.cidrIpv6 ?? r.referencedGroupId ?? r.prefixListId ?? '';
  return `${r.protocol}|${r.fromPort ?? ''}|${r.toPort ?? ''}|${peer}`;
}

function portsFor(protocol: string, from: number | undefined, to: number | undefined): { fromPort?: number; toPort?: number } {
  if (protocol === 'tcp' || protocol === 'udp') {
    if (from === undefined || to === undefined) throw new SimError('InvalidParameterValue', `Invalid value 'null' for ${from === undefined ? 'fromPort' : 'toPort'}. Ports must be specified for ${protocol.toUpperCase()}`);
    if (from < 0 || to > 65535 || from > to) throw new SimError('InvalidParameterValue', `Invalid port range ${from}-${to}`);
    return { fromPort: from, toPort: to };
  }
  if (protocol === 'icmp' || protocol === 'icmpv6') return { fromPort: from ?? -1, toPort: to ?? -1 };
  // All-traffic and other protocols ignore ports, as EC2 does.
  return {};
}

export function expandPermissions(ec2: Ec2State, perms: IpPermission[], ownerId: string): RuleSpec[] {
  const out: RuleSpec[] = [];
  for (const perm of perms) {
    const protocol = normalizeProtocol(perm.IpProtocol);
    const ports = portsFor(protocol, perm.FromPort, perm.ToPort);
    const base = { protocol, ...ports };
    const before = out.length;
    for (const r of perm.IpRanges ?? []) {
      out.push({ ...base, cidrIpv4: checkCidr(r.CidrIp ?? '', false), ...(r.Description ? { description: r.Description } : {}) });
    }
    for (const r of perm.Ipv6Ranges ?? []) {
      out.push({ ...base, cidrIpv6: checkCidr(r.CidrIpv6 ?? '', true), ...(r.Description ? { description: r.Description } : {}) });
    }
    for (const pair of perm.UserIdGroupPairs ?? []) {
      const gid = pair.GroupId;
      if (!gid) throw new SimError('MissingParameter', 'The request must contain the parameter groupId');
      const ref = lookup(ec2.securityGroups, KINDS.group, gid, 'GroupId');
      out.push({ ...base, referencedGroupId: ref.groupId, referencedUserId: pair.UserId ?? ownerId, ...(pair.Description ? { description: pair.Description } : {}) });
    }
    for (const pl of perm.PrefixListIds ?? []) {
      if (!pl.PrefixListId) throw new SimError('MissingParameter', 'The request must contain the parameter prefixListId');
      out.push({ ...base, prefixListId: pl.PrefixListId, ...(pl.Description ? { description: pl.Description } : {}) });
    }
    if (out.length === before) {
      throw new SimError('InvalidParameterValue', 'The request must include an IP range, IPv6 range, prefix list or security group');
    }
  }
  return out;
}

export interface LegacyRuleInput {
  IpPermissions?: IpPermission[];
  CidrIp?: string;
  IpProtocol?: string;
  FromPort?: number;
  ToPort?: number;
}

export function permissionsOf(input: LegacyRuleInput): IpPermission[] {
  if (input.IpPermissions && input.IpPermissions.length > 0) return input.IpPermissions;
  if (input.CidrIp !== undefined || input.IpProtocol !== undefined) {
    return [{ IpProtocol: input.IpProtocol ?? '-1', FromPort: input.FromPort, ToPort: input.ToPort, IpRanges: input.CidrIp ? [{ CidrIp: input.CidrIp }] : [] }];
  }
  throw new SimError('MissingParameter', 'The request must contain the parameter ipPermissions');
}

export function renderPermissions(rules: Ec2Rule[]): IpPermission[] {
  const groups = new Map<string, IpPermission>();
  for (const r of rules) {
    const key = `${r.protocol}|${r.fromPort ?? ''}|${r.toPort ?? ''}`;
    let perm = groups.get(key);
    if (!perm) {
      perm = { IpProtocol: r.protocol, IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] };
      if (r.fromPort !== undefined) perm.FromPort = r.fromPort;
      if (r.toPort !== undefined) perm.ToPort = r.toPort;
      groups.set(key, perm);
    }
    const desc = r.description !== undefined ? { Description: r.description } : {};
    if (r.cidrIpv4 !== undefined) perm.IpRanges?.push({ CidrIp: r.cidrIpv4, ...desc });
    else if (r.cidrIpv6 !== undefined) perm.Ipv6Ranges?.push({ CidrIpv6: r.cidrIpv6, ...desc });
    else if (r.referencedGroupId !== undefined) perm.UserIdGroupPairs?.push({ GroupId: r.referencedGroupId, UserId: r.referencedUserId, ...desc });
    else if (r.prefixListId !== undefined) perm.PrefixListIds?.push({ PrefixListId: r.prefixListId, ...desc });
  }
  return [...groups.values()];
}

export function renderRule(sg: Ec2SecurityGroup, r: Ec2Rule, isEgress: boolean, region: string): SecurityGroupRule {
  return {
    SecurityGroupRuleId: r.ruleId,
    GroupId: sg.groupId,
    GroupOwnerId: sg.ownerId,
    IsEgress: isEgress,
    IpProtocol: r.protocol,
    FromPort: r.fromPort ?? -1,
    ToPort: r.toPort ?? -1,
    ...(r.cidrIpv4 !== undefined ? { CidrIpv4: r.cidrIpv4 } : {}),
    ...(r.cidrIpv6 !== undefined ? { CidrIpv6: r.cidrIpv6 } : {}),
    ...(r.prefixListId !== undefined ? { PrefixListId: r.prefixListId } : {}),
    ...(r.referencedGroupId !== undefined ? { ReferencedGroupInfo: { GroupId: r.referencedGroupId, UserId: r.referencedUserId } } : {}),
    ...(r.description !== undefined ? { Description: r.description } : {}),
    Tags: [],
    SecurityGroupRuleArn: `arn:${partitionOfRegion(region)}:ec2:${region}:${sg.ownerId}:security-group-rule/${r.ruleId}`,
  };
}

function renderRevoked(sg: Ec2SecurityGroup, r: Ec2Rule, isEgress: boolean): RevokedSecurityGroupRule {
  return {
    SecurityGroupRuleId: r.ruleId,
    GroupId: sg.groupId,
    IsEgress: isEgress,
    IpProtocol: r.protocol,
    FromPort: r.fromPort ?? -1,
    ToPort: r.toPort ?? -1,
    ...(r.cidrIpv4 !== undefined ? { CidrIpv4: r.cidrIpv4 } : {}),
    ...(r.cidrIpv6 !== undefined ? { CidrIpv6: r.cidrIpv6 } : {}),
    ...(r.prefixListId !== undefined ? { PrefixListId: r.prefixListId } : {}),
    ...(r.referencedGroupId !== undefined ? { ReferencedGroupId: r.referencedGroupId } : {}),
    ...(r.description !== undefined ? { Description: r.description } : {}),
  };
}

const RULES_PER_GROUP = 60;

export function authorize(ctx: CallContext, sg: Ec2SecurityGroup, specs: RuleSpec[], isEgress: boolean): SecurityGroupRule[] {
  const list = isEgress ? sg.egress : sg.ingress;
  const seen = new Set(list.map(ruleKey));
  for (const spec of specs) {
    const key = ruleKey(spec);
    if (seen.has(key)) {
      const peer = spec.cidrIpv4 ?? spec.cidrIpv6 ?? spec.referencedGroupId ?? spec.prefixListId ?? '';
      const proto = spec.protocol === '-1' ? 'ALL' : spec.protocol.toUpperCase();
      const ports = spec.fromPort !== undefined ? `, from port: ${spec.fromPort}, to port: ${spec.toPort ?? ''}` : '';
      throw new SimError('InvalidPermission.Duplicate', `the specified rule "peer: ${peer}, ${proto}${ports}, ALLOW" already exists`);
    }
    seen.add(key);
  }
  // IPv4 and IPv6 rules count against separate quotas of 60 per direction.
  const v6 = (r: RuleSpec): boolean => r.cidrIpv6 !== undefined;
  const all = [...list, ...specs];
  if (all.filter(v6).length > RULES_PER_GROUP || all.filter((r) => !v6(r)).length > RULES_PER_GROUP) {
    throw new SimError('RulesPerSecurityGroupLimitExceeded', 'The maximum number of rules per security group has been reached.');
  }
  const created = specs.map((s) => ({ ruleId: ctx.world.ids.ec2('sgr'), ...s }));
  list.push(...created);
  return created.map((r) => renderRule(sg, r, isEgress, ctx.region));
}

export function revoke(sg: Ec2SecurityGroup, specs: RuleSpec[], ruleIds: string[], isEgress: boolean): { revoked: RevokedSecurityGroupRule[]; unknown: RuleSpec[] } {
  const list = isEgress ? sg.egress : sg.ingress;
  const toRemove = new Set<string>();
  const unknown: RuleSpec[] = [];
  for (const spec of specs) {
    const match = list.find((r) => ruleKey(r) === ruleKey(spec));
    if (match) toRemove.add(match.ruleId);
    else unknown.push(spec);
  }
  for (const id of ruleIds) {
    const match = list.find((r) => r.ruleId === id);
    if (!match) throw new SimError('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`);
    toRemove.add(match.ruleId);
  }
  if (toRemove.size === 0) throw new SimError('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
  const revoked = list.filter((r) => toRemove.has(r.ruleId)).map((r) => renderRevoked(sg, r, isEgress));
  const kept = list.filter((r) => !toRemove.has(r.ruleId));
  if (isEgress) sg.egress = kept;
  else sg.ingress = kept;
  return { revoked, unknown };
}

export function specsToPermissions(specs: RuleSpec[]): IpPermission[] {
  return renderPermissions(specs.map((s, i) => ({ ruleId: String(i), ...s })));
}

export function groupByIdOrName(ec2: Ec2State, groupId: string | undefined, groupName: string | undefined): Ec2SecurityGroup {
  if (groupId) return lookup(ec2.securityGroups, KINDS.group, groupId, 'GroupId');
  if (groupName) {
    // Group names address the default VPC only, as in EC2.
    const defaultVpc = Object.values(ec2.vpcs).find((v) => v.isDefault);
    const sg = defaultVpc ? Object.values(ec2.securityGroups).find((g) => g.vpcId === defaultVpc.vpcId && g.groupName === groupName) : undefined;
    if (!sg) throw new SimError('InvalidGroup.NotFound', `The security group '${groupName}' does not exist in default VPC '${defaultVpc?.vpcId ?? 'none'}'`);
    return sg;
  }
  throw new SimError('MissingParameter', 'The request must contain the parameter groupId');
}

/** The allow-all egress AWS puts in every new VPC security group (and `::/0` in an IPv6 VPC). */
export function defaultEgress(world: SandboxWorld, vpc: Ec2Vpc): Ec2Rule[] {
  const rules: Ec2Rule[] = [{ ruleId: world.ids.ec2('sgr'), protocol: '-1', cidrIpv4: '0.0.0.0/0' }];
  if (vpc.ipv6CidrBlock) rules.push({ ruleId: world.ids.ec2('sgr'), protocol: '-1', cidrIpv6: '::/0' });
  return rules;
}
