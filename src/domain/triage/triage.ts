import type { Band, Finding } from '../findings/finding';
import { bandOf } from './bands';
import { correlationKeys } from './correlation';
import { compileCidrs, matchSuppression, type KnownCidr, type SuppressionRule } from './suppression';

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
  | { kind: 'suppress'; band: Band; rule: SuppressionRule }
  | { kind: 'digest'; band: Band }
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
    if (rule) return { kind: 'suppress', band, rule };
    const route = this.policy.routing[band];
    if (route.open === 'digest') return { kind: 'digest', band };
    return { kind: 'case', band, route, keys: correlationKeys(finding) };
  }

  routeOf(band: Band): Route {
    return this.policy.routing[band];
  }
}
