import ipaddr from 'ipaddr.js';
import type { Finding } from '../findings/finding';

/** A suppression rule, from the config file or made in Slack. */
export interface SuppressionRule {
  id: string;
  reason: string;
  /** Finding type glob; `*` matches any run of characters. */
  type?: string;
  accounts?: string[];
  regions?: string[];
  /** Each tag must be on the resource; value `*` matches any value. */
  tags?: Record<string, string>;
  /** Match only when every remote IP of the finding lies in a known CIDR. */
  knownCidrsOnly?: boolean;
  /** ISO time after which the rule no longer applies. */
  expires?: string;
  author?: string;
  createdAt?: string;
  /**
   * Rules made in Slack: when the rule stopped applying (lifted, or expired and swept).
   * It stays among the active rules until its GuardDuty filters are all deleted.
   */
  liftRequestedAt?: string;
  /** When the rule was retired: stopped applying and no GuardDuty filter left. Lifted rules stay stored (audit). */
  liftedAt?: string;
  liftedBy?: string;
  /** Where a GuardDuty ARCHIVE filter is still to be created (a job does it; the ticker retries). */
  filtersPending?: { accountId: string; region: string }[];
  /** GuardDuty ARCHIVE filters of the rule that still exist (still to delete once it stops applying), per account and region. */
  filters?: {
    accountId: string;
    region: string;
    detectorId: string;
    name: string;
    /** The account the filter lives in: the GuardDuty administrator account when the config names one, else `accountId`. */
    hostAccountId?: string;
  }[];
  caseId?: string;
  /**
   * Rules that could blind triage widely (no account or region scope, or able to match a
   * High or Critical type) wait for a second commander; until then they suppress nothing.
   */
  approval?: { why: string[]; expiresAt: string; approvedBy?: string; approvedAt?: string; rejectedBy?: string };
  /** When the rule's expiry was announced in the triage channel (once). */
  expiryAnnouncedAt?: string;
}

/** A named network the team trusts (office, VPN, scanner). */
export interface KnownCidr {
  cidr: string;
  name: string;
}

type ParsedCidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parses CIDRs once; throws on a malformed one (config validation calls this). */
export function compileCidrs(cidrs: KnownCidr[]): { name: string; cidr: string; range: ParsedCidr }[] {
  return cidrs.map((c) => ({ name: c.name, cidr: c.cidr, range: ipaddr.parseCIDR(c.cidr) }));
}

/** Which known network (name and CIDR) holds each remote IP of the finding: what a known-network suppression says it matched. */
export function matchedNetworks(finding: Pick<Finding, 'remoteIps'>, compiled: { name: string; cidr: string; range: ParsedCidr }[]): { ip: string; name: string; cidr: string }[] {
  return finding.remoteIps.flatMap((ip) => {
    const name = knownNetworkOf(ip, compiled);
    const net = name === undefined ? undefined : compiled.find((c) => c.name === name);
    return net ? [{ ip, name: net.name, cidr: net.cidr }] : [];
  });
}

/** Name of the known network holding `ip`, if any. IPv4-mapped IPv6 counts as IPv4. */
export function knownNetworkOf(ip: string, compiled: { name: string; range: ParsedCidr }[]): string | undefined {
  if (!ipaddr.isValid(ip)) return undefined;
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  for (const c of compiled) {
    if (c.range[0].kind() === addr.kind() && addr.match(c.range)) return c.name;
  }
  return undefined;
}

export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'i');
}

/** A rule made in Slack that was lifted (or expired and swept): it no longer applies, whatever its filters. */
export function hasStopped(rule: SuppressionRule): boolean {
  return Boolean(rule.liftRequestedAt ?? rule.liftedAt);
}

/** A rule wide enough to need a second commander that has not had one yet: it suppresses nothing, and makes no GuardDuty filter. */
export function awaitingApproval(rule: SuppressionRule): boolean {
  return Boolean(rule.approval && !rule.approval.approvedBy);
}

/** The first rule that matches the finding and has neither expired nor been lifted. */
export function matchSuppression(
  finding: Finding,
  rules: SuppressionRule[],
  knownCidrs: { name: string; range: ParsedCidr }[],
  now: Date,
): SuppressionRule | undefined {
  return rules.find((rule) => {
    if (hasStopped(rule)) return false;
    if (awaitingApproval(rule)) return false;
    if (rule.expires && Date.parse(rule.expires) <= now.getTime()) return false;
    if (rule.type && !globToRegExp(rule.type).test(finding.type)) return false;
    if (rule.accounts?.length && !rule.accounts.includes(finding.accountId)) return false;
    if (rule.regions?.length && !rule.regions.includes(finding.region)) return false;
    if (rule.tags) {
      for (const [k, v] of Object.entries(rule.tags)) {
        const actual = finding.tags[k];
        if (actual === undefined || (v !== '*' && actual !== v)) return false;
      }
    }
    if (rule.knownCidrsOnly) {
      if (finding.remoteIps.length === 0) return false;
      if (!finding.remoteIps.every((ip) => knownNetworkOf(ip, knownCidrs) !== undefined)) return false;
    }
    return true;
  });
}

/**
 * Whether a type glob matches every finding type: a lone star, stars joined by `:` or `/`
 * and the like, with no letter or digit to pin anything down. Such a rule would blind triage, so it is refused.
 */
export function matchesEveryType(glob: string | undefined): boolean {
  return !glob || !/[a-z0-9]/i.test(glob);
}

/**
 * GuardDuty finding types GuardDuty reports at High severity, and attack sequences
 * (Critical), from the finding-type reference
 * (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-active.html).
 * Not every High type: a rule that matches one of these, or a type Cordon has seen at
 * High or Critical, needs a second commander (the service checks both).
 */
export const HIGH_SEVERITY_TYPES: readonly string[] = [
  'AttackSequence:IAM/CompromisedCredentials',
  'AttackSequence:S3/CompromisedData',
  'AttackSequence:EKS/CompromisedCluster',
  'AttackSequence:ECS/CompromisedCluster',
  'AttackSequence:EC2/CompromisedInstanceGroup',
  'Backdoor:EC2/C&CActivity.B',
  'Backdoor:EC2/DenialOfService.Tcp',
  'Backdoor:Lambda/C&CActivity.B',
  'CryptoCurrency:EC2/BitcoinTool.B',
  'CryptoCurrency:Lambda/BitcoinTool.B',
  'Impact:EC2/BitcoinDomainRequest.Reputation',
  'Trojan:EC2/DNSDataExfiltration',
  'Trojan:EC2/BlackholeTraffic',
  'UnauthorizedAccess:EC2/TorRelay',
  'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
  'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS',
  'Exfiltration:S3/MaliciousIPCaller',
  'Impact:S3/MaliciousIPCaller',
  'Execution:EC2/MaliciousFile',
  'Execution:Runtime/ReverseShell',
  'Policy:IAMUser/RootCredentialUsage',
];

/**
 * Why a suppression rule is wide enough to need a second commander: no account scope,
 * no region scope, or a type glob that can match a High or Critical type (`seenHigh`: types
 * Cordon has stored at High or Critical). Empty when one commander may make it.
 */
export function wideSuppressionReasons(rule: Pick<SuppressionRule, 'type' | 'accounts' | 'regions'>, seenHigh: readonly string[] = []): string[] {
  const why: string[] = [];
  if (!rule.accounts?.length) why.push('it names no account');
  if (!rule.regions?.length) why.push('it names no region');
  const re = globToRegExp(rule.type ?? '*');
  const high = [...HIGH_SEVERITY_TYPES, ...seenHigh].find((t) => re.test(t));
  if (high) why.push(`it can match High or Critical findings (${high})`);
  return why;
}
