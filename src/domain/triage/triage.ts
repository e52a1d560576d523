import type { Band, Finding } from '../findings/finding';
import { bandOf } from './bands';
import { correlationKeys } from './correlation';
import { compileCidrs, matchedNetworks, matchSuppression, type KnownCidr, type SuppressionRule } from './suppression';

/** What to do with a band (docs/architecture.md §4 routing). */
export interface Route {
  open: 'case' | 'digest';
  mention: boolean;
  escalate: boolean;
}

/** The triage policy: routing per band, suppression rules, trusted networks. */
export interface TriagePolicy {
  routing: Record<Band, Route>;
  knownCidrs: KnownCidr[];
  suppressions: SuppressionRule[];
}

export type TriageDecision =
  /** `networks`: for a known-network rule, which known network (name, CIDR) held each remote IP. */
  | { kind: 'suppress'; band: Band; rule: SuppressionRule; networks?: { ip: string; name: string; cidr: string }[] }
  /** `keys`: a digest finding still joins an open case it shares one with (docs/triage.md). */
  | { kind: 'digest'; band: Band; keys: string[] }
  | { kind: 'case'; band: Band; route: Route; keys: string[] };

/** Compiles a policy once (CIDRs parsed) and decides per finding. Pure. */
export class Triage {
  private readonly cidrs: ReturnType<typeof compileCidrs>;

  constructor(private readonly policy: TriagePolicy) {
    this.cidrs = compileCidrs(policy.knownCidrs);
  }

  /** Rules from the store (made in Slack) are checked after the config's. */
  decide(finding: Finding, now: Date, extraRules: SuppressionRule[] = []): TriageDecision {
    const band = bandOf(finding.severity);
    const rule = matchSuppression(finding, [...this.policy.suppressions, ...extraRules], this.cidrs, now);
    if (rule) return rule.knownCidrsOnly ? { kind: 'suppress', band, rule, networks: matchedNetworks(finding, this.cidrs) } : { kind: 'suppress', band, rule };
    const routed = this.policy.routing[band];
    if (routed.open === 'digest') return { kind: 'digest', band, keys: correlationKeys(finding) };
    // GuardDuty's samples exist to test the wiring: they get a case, never a page.
    const route = finding.sample ? { ...routed, mention: false, escalate: false } : routed;
    return { kind: 'case', band, route, keys: correlationKeys(finding) };
  }

  routeOf(band: Band): Route {
    return this.policy.routing[band];
  }
}
