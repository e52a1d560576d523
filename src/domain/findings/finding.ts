/** Severity bands of docs/architecture.md §4. */
export type Band = 'low' | 'medium' | 'high' | 'critical';

/** A resource a finding names, reduced to what triage, correlation and containment need. */
export interface FindingResource {
  /** `ec2-instance`, `iam-user`, `iam-role`, `access-key`, `s3-bucket`, `lambda-function`, `eks-cluster`, … */
  kind: string;
  /** Instance id, user name, access key id, bucket name, function name… */
  id: string;
  /** Full ARN when Cordon can build or read one. */
  arn?: string;
}

/**
 * A GuardDuty finding normalised from any door (EventBridge detail, raw detail,
 * GetFindings output). Every string in it came from the attacker's side of the
 * fence: escape before rendering.
 */
export interface Finding {
  id: string;
  arn: string;
  type: string;
  accountId: string;
  region: string;
  partition: string;
  severity: number;
  title: string;
  description: string;
  createdAt: string;
  updatedAt: string;
  /** GuardDuty's `service.count`: how often the activity was seen. */
  count: number;
  archived: boolean;
  resourceType: string;
  resources: FindingResource[];
  /** Tags of the affected resources, merged (first wins). */
  tags: Record<string, string>;
  /** Remote IPs seen in the finding's action. */
  remoteIps: string[];
  actor: {
    userName?: string;
    principalId?: string;
    accessKeyId?: string;
    userType?: string;
  };
  /** For attack-sequence findings: ids of the findings it was built from. */
  signalFindingIds: string[];
  isAttackSequence: boolean;
}

/** The MITRE-style tactic is the threat purpose: the finding type's prefix. */
export function findingTactic(type: string): string {
  const i = type.indexOf(':');
  return i > 0 ? type.slice(0, i) : 'Unknown';
}
