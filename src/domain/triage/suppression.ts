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
}

/** A named network the team trusts (office, VPN, scanner). */
export interface KnownCidr {
  cidr: string;
  name: string;
}

type ParsedCidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parses CIDRs once; throws on a malformed one (config validation calls this). */
export function compileCidrs(cidrs: KnownCidr[]): { name: string; range: ParsedCidr }[] {
  return cidrs.map((c) => ({ name: c.name, range: ipaddr.parseCIDR(c.cidr) }));
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

/** The first rule that matches the finding and has neither expired nor been lifted. */
export function matchSuppression(
  finding: Finding,
  rules: SuppressionRule[],
  knownCidrs: { name: string; range: ParsedCidr }[],
  now: Date,
): SuppressionRule | undefined {
  return rules.find((rule) => {
    if (hasStopped(rule)) return false;
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
