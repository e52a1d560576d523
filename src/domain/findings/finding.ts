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
  /**
   * GuardDuty's own sample (`service.additionalInfo.sample: true`, what CreateSampleFindings
   * makes): labelled, never pages, never correlates with real findings. Optional: findings
   * stored before this field was read are real.
   */
  sample?: boolean;
  /** `service.eventFirstSeen` / `eventLastSeen`: when the activity itself happened. */
  eventFirstSeen?: string;
  eventLastSeen?: string;
  /**
   * Resources an API call of the finding created or changed (`awsApiCallAction.affectedResources`,
   * e.g. the instance a RunInstances launched). Correlation only: they are not what the
   * finding is about, so the card never offers to contain them.
   */
  affected?: FindingResource[];
  /** The attack sequence's own story (`service.detection.sequence`), for AttackSequence findings. */
  sequence?: AttackSequence;
}

/** One actor of an attack sequence (GuardDuty `Actor`: user and session). */
export interface SequenceActor {
  id?: string;
  userName?: string;
  userType?: string;
  /** The credential used, an access key id for IAM users (`user.credentialUid`). */
  credentialUid?: string;
  accountId?: string;
  sessionUids: string[];
  mfaStatus?: string;
}

/** What GuardDuty says an attack sequence correlated, reduced to what a responder reads. */
export interface AttackSequence {
  uid?: string;
  actors: SequenceActor[];
  /** Every signal (findings and raw activity); `findingId` when the signal is a finding. */
  signals: { uid: string; type?: string; name?: string; findingId?: string }[];
  /** `ResourceV2`: type (EC2_INSTANCE, S3_BUCKET, ACCESS_KEY…), uid and name. */
  resources: { type: string; uid: string; name?: string }[];
  /** Endpoints as IP or domain. */
  endpoints: string[];
  indicators: { key: string; values: string[]; title?: string }[];
  /** MITRE ATT&CK tactics and techniques, from the ATTACK_TACTIC / ATTACK_TECHNIQUE indicators. */
  tactics: string[];
  techniques: string[];
}

/** When the activity happened, as GuardDuty says: its first sighting, else the finding's creation. */
export function activityAt(f: Pick<Finding, 'createdAt' | 'eventFirstSeen'>): string {
  return f.eventFirstSeen ?? f.createdAt;
}

/** The MITRE-style tactic is the threat purpose: the finding type's prefix. */
export function findingTactic(type: string): string {
  const i = type.indexOf(':');
  return i > 0 ? type.slice(0, i) : 'Unknown';
}
