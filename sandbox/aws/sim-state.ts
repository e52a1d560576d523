/**
 * The simulated AWS state. Plain JSON throughout (timestamps as epoch ms, maps as
 * records) so a whole account can be deep-copied for EC2 `DryRun`, compared
 * before/after in tests, and printed.
 */

/** `{Key, Value}` tag as EC2 and IAM spell it. */
export interface KeyValueTag {
  Key: string;
  Value: string;
}

// ---------------------------------------------------------------- EC2

/** A VPC; `ipv6CidrBlock` set means new security groups also get `::/0` egress. */
export interface Ec2Vpc {
  vpcId: string;
  cidrBlock: string;
  cidrAssociationId: string;
  ipv6CidrBlock?: string;
  ipv6AssociationId?: string;
  isDefault: boolean;
  tags: KeyValueTag[];
}

/** A subnet; `nextHost` hands out private addresses. */
export interface Ec2Subnet {
  subnetId: string;
  vpcId: string;
  cidrBlock: string;
  ipv6CidrBlock?: string;
  availabilityZone: string;
  nextHost: number;
  tags: KeyValueTag[];
}

/** One security group rule: one protocol/port range and exactly one peer. */
export interface Ec2Rule {
  ruleId: string;
  /** Normalized: `-1`, `tcp`, `udp`, `icmp`, `icmpv6` or a protocol number. */
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrIpv4?: string;
  cidrIpv6?: string;
  referencedGroupId?: string;
  referencedUserId?: string;
  prefixListId?: string;
  description?: string;
}

/** A VPC security group with its ingress and egress rules. */
export interface Ec2SecurityGroup {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  ownerId: string;
  ingress: Ec2Rule[];
  egress: Ec2Rule[];
  tags: KeyValueTag[];
  /** Set on a group created while the sandbox has a visibility delay: until then, calls do not find it. */
  visibleAt?: number;
}

/** An elastic network interface; each has its own security groups. */
export interface Ec2NetworkInterface {
  networkInterfaceId: string;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  description: string;
  groupIds: string[];
  privateIpAddress: string;
  ipv6Addresses: string[];
  macAddress: string;
  sourceDestCheck: boolean;
  status: 'in-use' | 'available';
  attachment?: {
    attachmentId: string;
    instanceId: string;
    deviceIndex: number;
    attachTime: number;
    deleteOnTermination: boolean;
  };
  tags: KeyValueTag[];
}

/** An instance; its network interfaces and volumes live in their own maps. */
export interface Ec2Instance {
  instanceId: string;
  reservationId: string;
  instanceType: string;
  imageId: string;
  state: 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
  launchTime: number;
  availabilityZone: string;
  vpcId: string;
  subnetId: string;
  privateIpAddress: string;
  /** Ordered by device index; index 0 is the primary interface. */
  networkInterfaceIds: string[];
  blockDevices: { deviceName: string; volumeId: string; attachTime: number; deleteOnTermination: boolean }[];
  rootDeviceName: string;
  disableApiTermination: boolean;
  disableApiStop: boolean;
  /** `spot` for a Spot Instance (DescribeInstances' InstanceLifecycle); absent for On-Demand. */
  instanceLifecycle?: 'spot';
  instanceInitiatedShutdownBehavior: 'stop' | 'terminate';
  tags: KeyValueTag[];
}

/** An EBS volume. */
export interface Ec2Volume {
  volumeId: string;
  size: number;
  volumeType: string;
  encrypted: boolean;
  availabilityZone: string;
  createTime: number;
  state: 'in-use' | 'available';
  attachments: { instanceId: string; device: string; attachTime: number; deleteOnTermination: boolean }[];
  tags: KeyValueTag[];
}

/** An EBS snapshot; snapshots outlive the action that made them (evidence). */
export interface Ec2Snapshot {
  snapshotId: string;
  volumeId: string;
  volumeSize: number;
  startTime: number;
  description: string;
  state: 'pending' | 'completed';
  ownerId: string;
  encrypted: boolean;
  tags: KeyValueTag[];
}

/** An instance profile attached to an instance. */
export interface Ec2ProfileAssociation {
  associationId: string;
  instanceId: string;
  instanceProfileArn: string;
  instanceProfileId: string;
  state: 'associated';
  timestamp: number;
}

/** EC2 state of one account in one region. */
export interface Ec2State {
  vpcs: Record<string, Ec2Vpc>;
  subnets: Record<string, Ec2Subnet>;
  securityGroups: Record<string, Ec2SecurityGroup>;
  instances: Record<string, Ec2Instance>;
  networkInterfaces: Record<string, Ec2NetworkInterface>;
  volumes: Record<string, Ec2Volume>;
  snapshots: Record<string, Ec2Snapshot>;
  iamInstanceProfileAssociations: Record<string, Ec2ProfileAssociation>;
}

// ---------------------------------------------------------------- IAM

/** An access key of an IAM user. */
export interface IamAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  status: 'Active' | 'Inactive';
  createDate: number;
}

/** An IAM user. Inline policies are stored as the JSON text that was put. */
export interface IamUser {
  userName: string;
  userId: string;
  arn: string;
  path: string;
  createDate: number;
  tags: KeyValueTag[];
  attachedPolicyArns: string[];
  inlinePolicies: Record<string, string>;
  accessKeys: IamAccessKey[];
}

/** An IAM role with its trust policy. */
export interface IamRole {
  roleName: string;
  roleId: string;
  arn: string;
  path: string;
  createDate: number;
  description?: string;
  assumeRolePolicyDocument: string;
  maxSessionDuration: number;
  tags: KeyValueTag[];
  attachedPolicyArns: string[];
  inlinePolicies: Record<string, string>;
}

/** An instance profile (holds at most one role). */
export interface IamInstanceProfile {
  instanceProfileName: string;
  instanceProfileId: string;
  arn: string;
  path: string;
  createDate: number;
  roleNames: string[];
}

/** A customer managed policy. */
export interface IamManagedPolicy {
  arn: string;
  policyName: string;
  policyId: string;
  path: string;
  description?: string;
  document: string;
  createDate: number;
}

/** IAM state of one account (IAM is global: no region). */
export interface IamState {
  users: Record<string, IamUser>;
  roles: Record<string, IamRole>;
  instanceProfiles: Record<string, IamInstanceProfile>;
  policies: Record<string, IamManagedPolicy>;
  /** Managed policies per user/role: 10 by default (AWS quota, raisable to 20). */
  managedPolicyQuota: number;
}

// ---------------------------------------------------------------- Lambda

/** A Lambda function (`$LATEST` only). */
export interface LambdaFunctionState {
  functionName: string;
  functionArn: string;
  runtime: string;
  role: string;
  handler: string;
  description: string;
  timeout: number;
  memorySize: number;
  codeSha256: string;
  codeSize: number;
  lastModified: number;
  revisionId: string;
  reservedConcurrency?: number;
  /** Provisioned concurrency per qualifier (a published version or an alias), as requested. */
  provisionedConcurrency?: Record<string, number>;
  tags: Record<string, string>;
}

/** Lambda state of one account in one region. */
export interface LambdaState {
  functions: Record<string, LambdaFunctionState>;
  /** Account concurrency limit; AWS keeps at least 100 of it unreserved. */
  concurrencyLimit: number;
}

// ---------------------------------------------------------------- GuardDuty

/** A GuardDuty suppression/filter rule. */
export interface GuardDutyFilterState {
  name: string;
  description?: string;
  action: 'NOOP' | 'ARCHIVE';
  rank: number;
  findingCriteria: { Criterion?: Record<string, Record<string, unknown>> };
  tags: Record<string, string>;
  createdAt: number;
  /** The idempotency token it was created with, if any. */
  clientToken?: string;
}

/** A detector with its findings (stored in GetFindings' PascalCase shape). */
export interface GuardDutyDetectorState {
  detectorId: string;
  status: 'ENABLED' | 'DISABLED';
  createdAt: number;
  findingPublishingFrequency: string;
  findings: Record<string, Record<string, unknown>>;
  filters: Record<string, GuardDutyFilterState>;
  /** Set on a member account's detector: the GuardDuty administrator account that manages it. */
  administratorAccountId?: string;
}

/** GuardDuty state of one account in one region. */
export interface GuardDutyState {
  detectors: Record<string, GuardDutyDetectorState>;
}

// ---------------------------------------------------------------- account

/** Regional services of one account in one region. */
export interface RegionState {
  ec2: Ec2State;
  lambda: LambdaState;
  guardduty: GuardDutyState;
  autoscaling: AutoScalingState;
}

/** An Auto Scaling group member, as DescribeAutoScalingInstances reports it. */
export interface AsgMember {
  lifecycleState: 'InService' | 'Standby' | 'Terminating' | 'Terminated';
  healthStatus: 'Healthy' | 'Unhealthy';
  protectedFromScaleIn: boolean;
}

/** An Auto Scaling group: its sizes, how it checks health, and its members. */
export interface AutoScalingGroup {
  name: string;
  arn: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  /** `ELB`: the load balancer's health checks count, and an instance no check can reach is replaced. */
  healthCheckType: 'EC2' | 'ELB';
  instances: Record<string, AsgMember>;
}

export interface AutoScalingState {
  groups: Record<string, AutoScalingGroup>;
}

/** Everything the sandbox knows about one account. */
export interface AccountState {
  accountId: string;
  /** The account's partition: its ARNs are built in it, and AWS managed policy ARNs are its own. */
  partition: SimPartition;
  iam: IamState;
  regions: Record<string, RegionState>;
}

export function emptyRegion(): RegionState {
  return {
    autoscaling: { groups: {} },
    ec2: {
      vpcs: {},
      subnets: {},
      securityGroups: {},
      instances: {},
      networkInterfaces: {},
      volumes: {},
      snapshots: {},
      iamInstanceProfileAssociations: {},
    },
    lambda: { functions: {}, concurrencyLimit: 1000 },
    guardduty: { detectors: {} },
  };
}

/**
 * AWS partitions. Every region is in exactly one, each has its own IAM, and credentials of
 * one cannot act on resources of another
 * (https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html);
 * the partition is the second field of every ARN
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
 */
export type SimPartition = 'aws' | 'aws-cn' | 'aws-us-gov';

/** The partition of a region: China regions (`cn-*`) are aws-cn, GovCloud (`us-gov-*`) aws-us-gov, the rest aws. */
export function partitionOfRegion(region: string): SimPartition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The partition field of an ARN, when it is one of the three. */
export function partitionOfArn(arn: string): SimPartition | undefined {
  const p = /^arn:(aws|aws-cn|aws-us-gov):/.exec(arn)?.[1];
  return p as SimPartition | undefined;
}

export function emptyAccount(accountId: string, partition: SimPartition = 'aws'): AccountState {
  return {
    accountId,
    partition,
    iam: { users: {}, roles: {}, instanceProfiles: {}, policies: {}, managedPolicyQuota: 10 },
    regions: {},
  };
}

/** The region's state, created on first use. */
export function regionOf(account: AccountState, region: string): RegionState {
  let r = account.regions[region];
  if (!r) {
    r = emptyRegion();
    account.regions[region] = r;
  }
  return r;
}

function isEmptyRegion(r: RegionState): boolean {
  const ec2Empty = (Object.values(r.ec2) as object[]).every((m) => Object.keys(m).length === 0);
  return ec2Empty && Object.keys(r.autoscaling.groups).length === 0 && Object.keys(r.lambda.functions).length === 0 && r.lambda.concurrencyLimit === 1000 && Object.keys(r.guardduty.detectors).length === 0;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    // Every list in AWS state is a set (rule order, tag order and group order carry
    // no meaning), so sort them: a revert that re-adds in another order is still exact.
    const items = value.map(canonical);
    return items
      .map((v) => ({ v, k: JSON.stringify(v) }))
      .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
      .map((x) => x.v);
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

/** Options for `snapshotAccount`. */
export interface SnapshotOptions {
  /**
   * Keep security group rule ids. Off by default: EC2 assigns a new id on every
   * authorize, so even an exact revert cannot bring the old id back.
   */
  keepRuleIds?: boolean;
}

/**
 * A deep, JSON-serializable, stably ordered copy of the account. Regions nothing
 * was ever created in are left out, so merely describing a region changes nothing.
 */
export function snapshotAccount(account: AccountState, opts: SnapshotOptions = {}): AccountState {
  const regions: Record<string, RegionState> = {};
  for (const [name, r] of Object.entries(account.regions)) {
    if (isEmptyRegion(r)) continue;
    const copy = structuredClone(r);
    if (!opts.keepRuleIds) {
      for (const sg of Object.values(copy.ec2.securityGroups)) {
        for (const rule of [...sg.ingress, ...sg.egress]) delete (rule as Partial<Ec2Rule>).ruleId;
      }
    }
    regions[name] = copy;
  }
  return canonical({ ...account, regions }) as AccountState;
}
