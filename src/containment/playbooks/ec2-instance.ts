import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type EC2Client,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { DeleteRolePolicyCommand, GetInstanceProfileCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import ipaddr from 'ipaddr.js';
import { DescribeAutoScalingInstancesCommand, EnterStandbyCommand, ExitStandbyCommand, type AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { Json, PlanStep, StepRecord } from '../../domain/actions/action';
import { NETWORK_RETRY_DELAYS_MS } from '../../config/limits';
import { CordonError, ErrorCode, failureWords } from '../../errors';
import { awsErrorName, param, paramList, principalRefusal, StepFailure, type PlanContext, type Playbook, type Prepared, type StepContext } from '../playbook';
import { applyRevoke, instanceCordonPolicy, revokeDocument, REVOKE_SESSIONS_POLICY } from './revocation';
import { pruneSpentRevocations } from './spent-revocations';

/** Tag that marks Cordon's per-VPC groups, so later actions reuse them. */
export const PURPOSE_TAG = 'cordon:purpose';
export const CASE_TAG = 'cordon:case';
export const ACTION_TAG = 'cordon:action';
/** Left on the instance by revert, as evidence that it was contained and released. */
export const RELEASED_TAG = 'cordon:released';

const ALL_V4: IpPermission = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };
const ALL_V6: IpPermission = { IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] };

type Purpose = 'untrack' | 'isolation';

/** EC2 puts this tag on every instance an Auto Scaling group launched. */
export const ASG_TAG = 'aws:autoscaling:groupName';

/** Where isolation ends, per interface, as recorded in the network step's result. */
export type EniState = 'pending' | 'isolated' | 'restored' | 'original' | 'exposed';

/** One interface as the network step records it: enough to finish, undo or explain it. */
export interface EniRecord {
  id: string;
  vpcId: string;
  /** Its own groups, Cordon's never among them; empty when it sat only in Cordon's groups (then revert leaves it isolated). */
  prior: string[];
  untrackGroupId: string | null;
  isolationGroupId: string;
  /** Moved into the untrack group by this step (or found there). */
  hopped: boolean;
  state: EniState;
  error?: string;
}

interface NetworkResult {
  phase: 'hop' | 'done';
  hopAt: string | null;
  untrackSeconds: number;
  enis: EniRecord[];
  changes: string[];
}

/**
 * What isolation with security groups cannot cut, said in every EC2 plan. From
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html:
 * ICMP and flows through automatically tracked paths stay tracked whatever the rules; the
 * Route 53 Resolver (VPC+2) is not filtered by security groups.
 */
export const ISOLATION_LIMITS =
  'Isolation cannot cut: ICMP, and flows through a Network Load Balancer, NAT gateway, Gateway Load Balancer, Transit Gateway or Network Firewall endpoint, which stay tracked and may survive the move; DNS through the Route 53 Resolver (VPC+2) is not filtered by security groups, so DNS exfiltration continues (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html).';

function groupName(purpose: Purpose, vpcId: string): string {
  return `cordon-${purpose}-${vpcId}`;
}

/** Deny everything to sessions of this role that come from this instance only. */
export function instanceDenyDocument(instanceArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'CordonIsolateInstance', Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEquals: { 'ec2:SourceInstanceARN': instanceArn } } }],
  });
}

function rulesOf(g: SecurityGroup | undefined): { ingress: number; egress: number } {
  return { ingress: g?.IpPermissions?.length ?? 0, egress: g?.IpPermissionsEgress?.length ?? 0 };
}

async function tolerate(fn: () => Promise<unknown>, ...names: string[]): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!names.includes(awsErrorName(err) ?? '')) throw err;
  }
}

const RETRYABLE = new Set([
  // A group just created is not visible everywhere yet (EC2 eventual consistency; the SDK does not retry it).
  'InvalidGroup.NotFound',
  'RequestLimitExceeded',
  'Throttling',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'Unavailable',
]);

/**
 * Bounded retries with backoff ({@link NETWORK_RETRY_DELAYS_MS}) for errors that pass:
 * eventual consistency after CreateSecurityGroup ("use an exponential backoff",
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/query-api-troubleshooting.html#eventual-consistency),
 * throttling and 5xx the SDK gave up on. Anything else fails at once.
 */
async function withRetry<T>(ctx: Pick<StepContext, 'sleep'>, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const delay = NETWORK_RETRY_DELAYS_MS[attempt];
      if (delay === undefined || !RETRYABLE.has(awsErrorName(err) ?? '')) throw err;
      await ctx.sleep(delay);
    }
  }
}

/**
 * Puts the instance's one policy on its role: deny all to its sessions, and records the
 * moment, which Revert needs. A role whose inline quota is full (dozens of contained
 * instances, or policies of its own) gets AWS's "Revoke active sessions" instead, role-wide
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html):
 * credentials the instance held, stolen or not, stop working, and so do the older sessions
 * of every other instance of the role, which fetch fresh ones from their metadata service.
 * Loud: the result carries the words, the service puts them on the action and the audit.
 */
async function applyInstanceCordon(step: PlanStep, ctx: StepContext): Promise<{ [key: string]: Json }> {
  const iam = ctx.clients.iam();
  const RoleName = param(step, 'roleName');
  const PolicyName = param(step, 'policyName');
  const before = ctx.now().toISOString();
  const deny = () => iam.send(new PutRolePolicyCommand({ RoleName, PolicyName, PolicyDocument: instanceDenyDocument(param(step, 'instanceArn')) }));
  const instanceId = param(step, 'instanceArn').split('/').pop() ?? '';
  try {
    await deny();
    return { before };
  } catch (err) {
    if (awsErrorName(err) !== 'LimitExceededException') throw err;
    let reason = `LimitExceeded: ${(err as Error).message}`;
    // Revocations kept for instances long gone fill a fleet role over time: freeing their room
    // keeps this instance's own deny, rather than revoking every instance's sessions.
    const { deleted: pruned, failed } = await pruneSpentRevocations(iam, ctx.clients.ec2(param(step, 'instanceArn').split(':')[3] ?? ''), RoleName, ctx.now(), instanceId);
    if (failed) reason += ` (looking for spent revocations to delete failed: ${failed})`;
    if (pruned.length > 0) {
      const notice = `Role ${RoleName} was at its inline policy quota: deleted ${pruned.length} revocation${pruned.length === 1 ? '' : 's'} kept for terminated instances whose sessions have all expired (${pruned.join(', ')}) to make room for ${PolicyName}`;
      try {
        await deny();
        return { before, pruned, warnings: [notice] };
      } catch (again) {
        if (awsErrorName(again) !== 'LimitExceededException') throw again;
        reason = `LimitExceeded after deleting ${pruned.join(', ')}: ${(again as Error).message}`;
      }
    }
    try {
      await iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: REVOKE_SESSIONS_POLICY, PolicyDocument: revokeDocument(before) }));
    } catch (again) {
      if (awsErrorName(again) !== 'LimitExceededException') throw again;
      // Nothing was put, so nothing to revert: a plain failure, not a StepFailure with a result.
      throw new CordonError(
        ErrorCode.AWS_FAILED,
        `Role ${RoleName} is at its inline policy quota${pruned.length ? ` even after deleting ${pruned.join(', ')} (spent revocations of terminated instances)` : ''}: neither ${PolicyName} nor the role-wide ${REVOKE_SESSIONS_POLICY} fits, so role credentials on ${instanceId} are NOT denied (only its network isolation holds them). Free room on the role, or revoke its sessions by hand (IAM console: Revoke active sessions).`,
      );
    }
    return {
      before,
      ...(pruned.length ? { pruned } : {}),
      fallback: REVOKE_SESSIONS_POLICY,
      fallbackReason: reason,
      warnings: [
        `Role ${RoleName} has no room for ${PolicyName} (${reason}): instead ${REVOKE_SESSIONS_POLICY} on ${RoleName} denies every session of the role issued before ${before}, so every instance of role ${RoleName} had its older sessions revoked (each gets fresh credentials from its instance metadata service). ${instanceId}'s own fresh credentials are not denied by the role; only its network isolation holds them. Revert keeps ${REVOKE_SESSIONS_POLICY}`,
      ],
    };
  }
}

/**
 * Revert swaps the deny for the revocation in one PutRolePolicy on the same name: no moment
 * with neither, no growth beyond a few dozen characters. A quota too full even for that gets,
 * under the same name and again in one call, the role-wide revocation from the same moment:
 * shorter than the deny it replaces (no instance ARN), and still denying every credential the
 * instance held before apply; the older sessions of the role's other instances with it.
 */
async function revertInstanceCordon(step: PlanStep, record: StepRecord, ctx: StepContext): Promise<void> {
  const result = record.result ?? {};
  // Apply fell back to the role-wide revocation: no instance policy was put, and the revocation stays.
  if (typeof result.fallback === 'string') return;
  const iam = ctx.clients.iam();
  const RoleName = param(step, 'roleName');
  const PolicyName = param(step, 'policyName');
  // No recorded moment (the process died mid-step): now, which denies more of this instance's sessions, never fewer.
  const before = typeof result.before === 'string' ? result.before : ctx.now().toISOString();
  try {
    await iam.send(new PutRolePolicyCommand({ RoleName, PolicyName, PolicyDocument: revokeDocument(before, param(step, 'instanceArn')) }));
    return;
  } catch (err) {
    if (awsErrorName(err) !== 'LimitExceededException') throw err;
    const reason = `LimitExceeded: ${(err as Error).message}`;
    // Refused too: Revert fails and the deny stays, which is safe, and the failure says why.
    await iam.send(new PutRolePolicyCommand({ RoleName, PolicyName, PolicyDocument: revokeDocument(before) }));
    await ctx.progress(step.id, {
      ...result,
      fallback: 'role-wide',
      fallbackReason: reason,
      revertWarnings: [
        `Role ${RoleName} had no room for the per-instance revocation (${reason}): ${PolicyName} now denies every session of role ${RoleName} issued before ${before}, so every instance of role ${RoleName} had its older sessions revoked (each gets fresh credentials from its instance metadata service). Kept`,
      ],
    });
  }
}

async function describeGroup(ec2: EC2Client, ctx: Pick<StepContext, 'sleep'>, groupId: string): Promise<SecurityGroup | undefined> {
  return withRetry(ctx, async () => (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups?.[0]);
}

/**
 * Proves a group has no rule at all: removes whatever it has, then describes it again.
 * Anyone who can create groups could have made one under Cordon's name with an egress
 * rule to their own host, and a group Cordon made can be loosened later: both are
 * emptied, and an isolation group that cannot be shown empty is never used.
 */
async function proveEmpty(ec2: EC2Client, ctx: Pick<StepContext, 'sleep'>, groupId: string): Promise<void> {
  const g = await describeGroup(ec2, ctx, groupId);
  // Both directions at once: each is its own call (one refused must not keep the other from running).
  const revokes: Promise<unknown>[] = [];
  if (g?.IpPermissions?.length) {
    const perms = g.IpPermissions;
    revokes.push(withRetry(ctx, () => tolerate(() => ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: perms })), 'InvalidPermission.NotFound')));
  }
  if (g?.IpPermissionsEgress?.length) {
    const perms = g.IpPermissionsEgress;
    revokes.push(withRetry(ctx, () => tolerate(() => ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: perms })), 'InvalidPermission.NotFound')));
  }
  await Promise.all(revokes);
  // Nothing removed: the first read is the proof, no second one is needed.
  const after = revokes.length ? await describeGroup(ec2, ctx, groupId) : g;
  const left = rulesOf(after);
  if (!after || left.ingress || left.egress) {
    throw new CordonError(ErrorCode.AWS_FAILED, `isolation group ${groupId} still has ${left.ingress} ingress and ${left.egress} egress rule(s) after they were removed; it is not used`);
  }
}

/**
 * Creates (or adopts) the VPC's group and makes its rules exactly what the purpose
 * needs. Every call on a group just created is retried while EC2 does not see it yet.
 */
async function ensureGroup(ec2: EC2Client, ctx: Pick<StepContext, 'sleep'>, purpose: Purpose, vpcId: string, ipv6: boolean, existing: string | undefined): Promise<string> {
  let groupId = existing;
  let fresh = false;
  if (!groupId) {
    try {
      const created = await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: groupName(purpose, vpcId),
          Description:
            purpose === 'untrack'
              ? 'Cordon: allow-all hop that makes existing connections untracked before isolation'
              : 'Cordon: isolation, no traffic in or out',
          VpcId: vpcId,
          TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: PURPOSE_TAG, Value: purpose }] }],
        }),
      );
      groupId = created.GroupId;
      fresh = true;
    } catch (err) {
      if (awsErrorName(err) !== 'InvalidGroup.Duplicate') throw err;
      // Someone (an earlier run, or anyone who can create groups) has the name: adopt it, proven below.
      const found = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'group-name', Values: [groupName(purpose, vpcId)] }] }));
      groupId = found.SecurityGroups?.[0]?.GroupId;
    }
    if (!groupId) throw new Error(`no ${purpose} group in ${vpcId}`);
  }
  const id = groupId;
  if (purpose === 'untrack') {
    // Allow everything both ways, one rule per call: a rule already there (InvalidPermission.Duplicate)
    // must not keep the other family from being authorized.
    const rules: [boolean, IpPermission][] = [
      [false, ALL_V4],
      [true, ALL_V4],
      ...(ipv6 ? ([[false, ALL_V6], [true, ALL_V6]] as [boolean, IpPermission][]) : []),
    ];
    await Promise.all(
      rules.map(([egress, perm]) =>
        withRetry(ctx, () =>
          tolerate(
            () =>
              egress
                ? ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: id, IpPermissions: [perm] }))
                : ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [perm] })),
            'InvalidPermission.Duplicate',
          ),
        ),
      ),
    );
  } else {
    // A group just made holds only AWS's default rules: all egress, IPv4 (and IPv6 in a VPC with
    // IPv6; sandbox/aws/ec2-rules.ts defaultEgress). They are removed without reading them first,
    // a round trip less; the proof below reads what is left and removes anything else, so the
    // shortcut never decides what is used.
    if (fresh) {
      await Promise.all(
        [ALL_V4, ...(ipv6 ? [ALL_V6] : [])].map((perm) =>
          withRetry(ctx, () => tolerate(() => ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: id, IpPermissions: [perm] })), 'InvalidPermission.NotFound')),
        ),
      );
    }
    await proveEmpty(ec2, ctx, id);
  }
  return id;
}

function groupIdFor(purpose: Purpose, vpcId: string, ctx: StepContext): string | undefined {
  const made = ctx.results.get(`ensure-group:${purpose}:${vpcId}`)?.groupId;
  return typeof made === 'string' ? made : undefined;
}

interface LiveEni {
  id: string;
  vpcId: string;
  groups: string[];
  ipv6: boolean;
}

async function readInterfaces(ec2: EC2Client, ctx: Pick<StepContext, 'sleep'>, instanceId: string): Promise<LiveEni[]> {
  const inst = await withRetry(ctx, async () => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0]);
  return (inst?.NetworkInterfaces ?? [])
    .map((n) => ({ id: n.NetworkInterfaceId ?? '', vpcId: n.VpcId ?? inst?.VpcId ?? '', groups: (n.Groups ?? []).map((g) => g.GroupId ?? '').sort(), ipv6: (n.Ipv6Addresses ?? []).length > 0 }))
    .filter((n) => n.id)
    .sort((a, b) => a.id.localeCompare(b.id));
}

async function moveEni(ec2: EC2Client, ctx: Pick<StepContext, 'sleep'>, eniId: string, groups: string[]): Promise<void> {
  await withRetry(ctx, () => ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: groups })));
}

/**
 * Remote administration, SSH and RDP: the ways in that GuardDuty's brute-force findings
 * (UnauthorizedAccess:EC2/SSHBruteForce, UnauthorizedAccess:EC2/RDPBruteForce) describe,
 * https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-ec2.html.
 */
const REMOTE_ADMIN_PORTS = [22, 3389];

/**
 * A source range wide enough to be "the internet": an IPv4 range of /7 or wider, an IPv6
 * range of /15 or wider. 0.0.0.0/0 and ::/0, and their halves (0.0.0.0/1 and 128.0.0.0/1
 * say the same in two rules); a /8 such as 10.0.0.0/8 is left as somebody's own network.
 */
function internetWide(cidr: string): boolean {
  try {
    const [addr, bits] = ipaddr.parseCIDR(cidr);
    return addr.kind() === 'ipv4' ? bits <= 7 : bits <= 15;
  } catch {
    return false;
  }
}

/**
 * The ingress rules of a group that let the internet reach remote administration (or
 * everything), in words; empty when there are none. Prefix lists and referenced groups are
 * not the internet.
 */
export function openToTheInternet(g: SecurityGroup): string[] {
  const out: string[] = [];
  for (const p of g.IpPermissions ?? []) {
    const from = [...(p.IpRanges ?? []).map((r) => r.CidrIp), ...(p.Ipv6Ranges ?? []).map((r) => r.CidrIpv6)].filter((c): c is string => c !== undefined && internetWide(c));
    if (!from.length) continue;
    if (p.IpProtocol === '-1') {
      out.push(`all traffic from ${from.join(' and ')}`);
      continue;
    }
    if (p.IpProtocol !== 'tcp' && p.IpProtocol !== '6') continue;
    const lo = p.FromPort ?? 0;
    const hi = p.ToPort ?? 65535;
    if (REMOTE_ADMIN_PORTS.some((port) => port >= lo && port <= hi)) out.push(`tcp ${lo === hi ? lo : `${lo}-${hi}`} from ${from.join(' and ')}`);
  }
  return out;
}

/**
 * Revert of isolation: each interface back to its own groups, except that one whose own
 * groups let the internet reach its remote administration stays isolated unless the
 * commanders chose `--restore-open`. That way in is often how the instance was taken, and
 * may be the attacker's own rule: putting it back hands the attacker what containment took.
 * The others are restored; then the step fails with what was kept and how to proceed, so
 * the action can be reverted again once the rules are closed. An interface whose own
 * groups are unknown (it sat only in Cordon's) stays isolated, as before.
 */
async function restoreInterfaces(ec2: EC2Client, ctx: StepContext, enis: { id: string; prior: string[] }[]): Promise<void> {
  const known = enis.filter((e) => e.prior.length);
  const open = new Map<string, string[]>();
  if (!ctx.revert?.restoreOpen && known.length) {
    const GroupIds = [...new Set(known.flatMap((e) => e.prior))];
    const groups = await withRetry(ctx, async () => (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds }))).SecurityGroups ?? []);
    for (const g of groups) {
      const rules = openToTheInternet(g);
      if (g.GroupId && rules.length) open.set(g.GroupId, rules);
    }
  }
  const kept: string[] = [];
  for (const e of known) {
    const exposing = e.prior.filter((g) => open.has(g));
    if (exposing.length) {
      kept.push(`${e.id} (its own ${exposing.map((g) => `${g} allows ${(open.get(g) ?? []).join(', ')}`).join('; ')})`);
      continue;
    }
    await tolerate(() => moveEni(ec2, ctx, e.id, e.prior), 'InvalidNetworkInterfaceID.NotFound');
  }
  if (kept.length) {
    throw new CordonError(
      ErrorCode.REVERT_EXPOSES,
      `Kept isolated: ${kept.join('; ')}. Its own groups would let the internet reach the instance's remote administration, which may be how it was taken. Close those rules and press Revert again, or run /ir revert ${ctx.actionId} --restore-open (cordon revert … --restore-open from a terminal) to put the groups back as they were.`,
    );
  }
}

function sameGroups(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().every((g, i) => g === [...b].sort()[i]);
}

/** The network result as recorded (or undefined when nothing was recorded yet). */
function networkResult(json: { [key: string]: Json } | undefined): NetworkResult | undefined {
  if (!json || !Array.isArray(json.enis)) return undefined;
  return json as unknown as NetworkResult;
}

function toJson(r: NetworkResult): { [key: string]: Json } {
  return JSON.parse(JSON.stringify(r)) as { [key: string]: Json };
}

/**
 * After the hop (or instead of it), every interface is isolated; one that cannot be goes
 * back to its own groups. Nothing is left in the allow-all group unless putting it back
 * failed too, and then the record says so (`exposed`) and the next tick tries again.
 */
async function isolateOrRestore(ec2: EC2Client, ctx: StepContext, stepId: string, r: NetworkResult): Promise<NetworkResult> {
  // Re-check at apply time: a group loosened (or adopted) since it was checked is emptied again, or not used.
  const proven = new Map<string, Promise<string | undefined>>();
  const check = (groupId: string): Promise<string | undefined> => {
    let p = proven.get(groupId);
    if (!p) {
      p = proveEmpty(ec2, ctx, groupId).then(
        () => undefined,
        (err: unknown) => errorText(err),
      );
      proven.set(groupId, p);
    }
    return p;
  };
  const enis = await Promise.all(
    r.enis.map(async (e): Promise<EniRecord> => {
      if (e.state === 'isolated') return e;
      let error: string | undefined;
      if (e.hopped) {
        // In the untrack group it is open both ways: no group is looser, so it moves while the
        // isolation group is re-checked, a round trip less after the wait. A group that cannot
        // be shown empty sends it back to its own groups below, as when the check comes first.
        const [unusable, moveError] = await Promise.all([
          check(e.isolationGroupId),
          moveEni(ec2, ctx, e.id, [e.isolationGroupId]).then(
            () => undefined,
            (err: unknown) => errorText(err),
          ),
        ]);
        if (!unusable && !moveError) return { ...e, state: 'isolated', error: undefined };
        error = unusable ?? moveError;
      } else {
        // From its own groups, it moves only into a group shown empty first.
        error = await check(e.isolationGroupId);
        if (!error) {
          try {
            await moveEni(ec2, ctx, e.id, [e.isolationGroupId]);
            return { ...e, state: 'isolated', error: undefined };
          } catch (err) {
            error = errorText(err);
          }
        }
      }
      if (!e.hopped && e.state !== 'exposed') return { ...e, state: 'original', ...(error ? { error } : {}) };
      if (!e.prior.length) return { ...e, state: 'exposed', error: `${error ?? ''}; its own groups are unknown, so it stays in the untrack group` };
      try {
        await moveEni(ec2, ctx, e.id, e.prior);
        return { ...e, state: 'restored', ...(error ? { error } : {}) };
      } catch (err) {
        return { ...e, state: 'exposed', error: `${error ?? ''}; putting its own groups back failed too: ${errorText(err)}` };
      }
    }),
  );
  const done: NetworkResult = { ...r, phase: 'done', enis };
  await ctx.progress(stepId, toJson(done));
  return done;
}

/** Cordon's words and the AWS error code: this text reaches Slack (the step record), the AWS message does not. */
function errorText(err: unknown): string {
  return failureWords(err).slice(0, 300);
}

/** Throws, saying plainly that the instance is not contained, unless every interface is isolated. */
function requireIsolated(instanceId: string, r: NetworkResult): { [key: string]: Json } {
  const open = r.enis.filter((e) => e.state !== 'isolated');
  if (!open.length) return toJson(r);
  const lines = open.map((e) =>
    e.state === 'exposed'
      ? `${e.id} is STILL IN THE ALLOW-ALL UNTRACK GROUP ${e.untrackGroupId ?? ''} (${e.error ?? ''}); Cordon retries on every tick`
      : e.state === 'restored'
        ? `${e.id} could not be isolated (${e.error ?? ''}); its own groups are back: ${e.prior.join(', ')}`
        : `${e.id} could not be isolated (${e.error ?? ''}); it kept its own groups`,
  );
  throw new StepFailure(`NOT CONTAINED: ${instanceId} is not isolated. ${lines.join('. ')}`, toJson(r), true);
}

/**
 * The network step. Re-reads the instance first: an interface attached since the plan is
 * isolated too, one gone is left alone, and the differences are recorded and told. The
 * interfaces' own groups are recorded before anything moves, so a process that dies in
 * the hop leaves the next one what it needs to finish (see `recover`).
 */
async function isolateNetwork(ec2: EC2Client, step: PlanStep, ctx: StepContext): Promise<{ [key: string]: Json }> {
  const instanceId = param(step, 'instanceId');
  const untrackSeconds = typeof step.params.untrackSeconds === 'number' ? step.params.untrackSeconds : 0;
  const planned = step.params.enis as unknown as { id: string; vpcId: string; groups: string[] }[];
  const cordonIds = new Set(Array.isArray(step.params.cordonGroups) ? (step.params.cordonGroups as string[]) : []);
  const live = await readInterfaces(ec2, ctx, instanceId);
  const region = ctx.target.region as string;
  // Groups of every VPC an interface is in, made in stage 1 or, for a VPC that appeared since the plan, now.
  const groupsOf = async (vpcId: string, ipv6: boolean): Promise<{ untrack: string | null; isolation: string }> => {
    const get = async (p: Purpose): Promise<string> =>
      groupIdFor(p, vpcId, ctx) ?? (await ctx.once(`${ctx.target.accountId}/${region}/${vpcId}/${p}`, () => ensureGroup(ec2, ctx, p, vpcId, ipv6, undefined)));
    const isolation = await get('isolation');
    const untrack = untrackSeconds > 0 ? await get('untrack') : null;
    cordonIds.add(isolation);
    if (untrack) cordonIds.add(untrack);
    return { untrack, isolation };
  };
  const changes: string[] = [];
  for (const n of live.filter((l) => !planned.some((p) => p.id === l.id))) changes.push(`${n.id} was attached after the plan: isolated too`);
  for (const p of planned.filter((x) => !live.some((l) => l.id === x.id))) changes.push(`${p.id} is no longer attached: left alone`);
  const vpcGroups = new Map<string, { untrack: string | null; isolation: string }>();
  for (const v of [...new Set(live.map((n) => n.vpcId))]) vpcGroups.set(v, await groupsOf(v, live.some((n) => n.vpcId === v && n.ipv6)));
  const enis: EniRecord[] = live.map((n) => {
    const g = vpcGroups.get(n.vpcId) as { untrack: string | null; isolation: string };
    const own = n.groups.filter((x) => !cordonIds.has(x));
    const plannedOwn = planned.find((p) => p.id === n.id)?.groups ?? [];
    if (plannedOwn.length && own.length && !sameGroups(own, plannedOwn)) changes.push(`${n.id} changed groups since the plan (${plannedOwn.join(', ')} → ${own.join(', ')}): the current ones are recorded for revert`);
    const prior = own.length ? own : plannedOwn;
    const alreadyIsolated = n.groups.length === 1 && n.groups[0] === g.isolation;
    const inUntrack = !!g.untrack && n.groups.includes(g.untrack);
    return { id: n.id, vpcId: n.vpcId, prior, untrackGroupId: g.untrack, isolationGroupId: g.isolation, hopped: inUntrack, state: alreadyIsolated ? 'isolated' : 'pending' };
  });
  let r: NetworkResult = { phase: 'hop', hopAt: null, untrackSeconds, enis, changes };
  // Recorded before the first move: a crash from here on leaves each interface's own groups in the store.
  const toHop = untrackSeconds > 0 ? r.enis.filter((e) => e.state === 'pending' && !e.hopped) : [];
  if (toHop.length) r = { ...r, hopAt: ctx.now().toISOString(), enis: r.enis.map((e) => (toHop.includes(e) ? { ...e, hopped: true } : e)) };
  await ctx.progress(step.id, toJson(r));
  if (toHop.length) {
    const moved = await Promise.all(
      r.enis.map(async (e) => {
        if (!toHop.some((t) => t.id === e.id) || !e.untrackGroupId) return e;
        try {
          await moveEni(ec2, ctx, e.id, [e.untrackGroupId]);
          return e;
        } catch (err) {
          // It never left its own groups: no hop for it, isolation is still attempted below.
          return { ...e, hopped: false, error: `untrack move failed: ${errorText(err)}` };
        }
      }),
    );
    r = { ...r, enis: moved };
    if (r.enis.some((e) => e.hopped)) await ctx.sleep(untrackSeconds * 1000);
  }
  const done = await isolateOrRestore(ec2, ctx, step.id, r);
  return requireIsolated(instanceId, done);
}

/**
 * Standby with the desired capacity decremented, so the group launches no replacement and
 * Revert's ExitStandby brings the capacity back to where it was. Auto Scaling refuses the
 * decrement below the group's minimum size: then without it (a replacement is launched,
 * and Revert's ExitStandby leaves the group one instance larger, which it scales in).
 */
async function enterStandby(asg: AutoScalingClient, step: PlanStep): Promise<{ [key: string]: Json }> {
  const base = { AutoScalingGroupName: param(step, 'group'), InstanceIds: [param(step, 'instanceId')] };
  try {
    await asg.send(new EnterStandbyCommand({ ...base, ShouldDecrementDesiredCapacity: true }));
    return { decremented: true };
  } catch (err) {
    if (awsErrorName(err) !== 'ValidationError' || !/min-size/.test((err as Error).message)) throw err;
  }
  await asg.send(new EnterStandbyCommand({ ...base, ShouldDecrementDesiredCapacity: false }));
  return { decremented: false };
}

/** Back in service; an instance no longer in Standby (someone moved it already) counts as done. */
async function exitStandby(asg: AutoScalingClient, step: PlanStep): Promise<void> {
  try {
    await asg.send(new ExitStandbyCommand({ AutoScalingGroupName: param(step, 'group'), InstanceIds: [param(step, 'instanceId')] }));
  } catch (err) {
    if (awsErrorName(err) === 'ValidationError' && /is not in Standby/.test((err as Error).message)) return;
    throw err;
  }
}

/**
 * EC2 instance (docs/architecture.md §7). Stage 1: tags, termination protection, shutdown → stop, a
 * deny on the instance-profile role limited to this instance, EBS snapshots (none of them
 * essential: a failure is recorded and isolation still happens) and the per-VPC groups.
 * Stage 2, the network on its own: each interface through its VPC's untrack group into
 * its VPC's isolation group, or back to its own groups, never left open.
 */
export const ec2InstancePlaybook: Playbook = {
  services: ['ec2', 'iam', 'autoScaling'],
  async prepare(ctx): Promise<Prepared> {
    const region = ctx.target.region as string;
    const ec2 = ctx.clients.ec2(region);
    const id = ctx.target.id;
    let instance;
    try {
      instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0];
    } catch (err) {
      if (awsErrorName(err) !== 'InvalidInstanceID.NotFound' && awsErrorName(err) !== 'InvalidInstanceID.Malformed') throw err;
    }
    if (!instance) throw new CordonError(ErrorCode.AWS_FAILED, `EC2 instance ${id} does not exist in ${ctx.target.accountId}/${region}`);
    const vpcId = instance.VpcId;
    if (!vpcId) throw new CordonError(ErrorCode.AWS_FAILED, `EC2 instance ${id} is not in a VPC; EC2-Classic cannot be isolated with security groups`);
    const rawEnis = (instance.NetworkInterfaces ?? [])
      .map((n) => ({ id: n.NetworkInterfaceId ?? '', vpcId: n.VpcId ?? vpcId, groups: (n.Groups ?? []).map((g) => g.GroupId ?? '').sort(), ipv6: (n.Ipv6Addresses ?? []).length > 0 }))
      .filter((n) => n.id)
      .sort((a, b) => a.id.localeCompare(b.id));
    // Multi-VPC instances: every interface is isolated with the groups of its own VPC.
    const vpcIds = [...new Set([vpcId, ...rawEnis.map((n) => n.vpcId)])].sort();
    const profileName = instance.IamInstanceProfile?.Arn?.split('/').pop();
    const [termination, shutdown, groups, vpcs, profile] = await Promise.all([
      ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'disableApiTermination' })),
      ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'instanceInitiatedShutdownBehavior' })),
      ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: vpcIds }, { Name: `tag:${PURPOSE_TAG}`, Values: ['untrack', 'isolation'] }] })),
      ec2.send(new DescribeVpcsCommand({ VpcIds: vpcIds })),
      profileName ? ctx.clients.iam().send(new GetInstanceProfileCommand({ InstanceProfileName: profileName })) : Promise.resolve(undefined),
    ]);
    const ipv6Of = (v: string): boolean =>
      (vpcs.Vpcs?.find((x) => x.VpcId === v)?.Ipv6CidrBlockAssociationSet ?? []).some((a) => a.Ipv6CidrBlockState?.State === 'associated' || !a.Ipv6CidrBlockState);
    const cordonGroup = (p: Purpose, v: string): SecurityGroup | undefined =>
      groups.SecurityGroups?.find((g) => g.VpcId === v && g.Tags?.some((t) => t.Key === PURPOSE_TAG && t.Value === p));
    // Cordon's own groups are never an interface's "prior" state: an interface an earlier
    // (crashed) run left in the untrack group must not get that group back on revert.
    const cordonIds = new Set((groups.SecurityGroups ?? []).map((g) => g.GroupId ?? ''));
    const profileRole = profile?.InstanceProfile?.Roles?.[0];
    // A role AWS lets no one change, or a protected one, is left alone: the instance is still isolated.
    const roleRefusal = profileRole?.RoleName
      ? principalRefusal(ctx.settings, { kind: 'role', name: profileRole.RoleName, arn: profileRole.Arn ?? '', path: profileRole.Path, tags: profileRole.Tags ?? [] })
      : undefined;
    const roleName = roleRefusal ? undefined : profileRole?.RoleName;
    const volumes = (instance.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId).filter((v): v is string => !!v);
    const tags = Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    const priorTermination = termination.DisableApiTermination?.Value ?? false;
    const priorShutdown = shutdown.InstanceInitiatedShutdownBehavior?.Value ?? 'stop';
    const instanceArn = `arn:${ctx.target.partition}:ec2:${region}:${ctx.target.accountId}:instance/${id}`;
    const spot = instance.InstanceLifecycle === 'spot';
    const asg = tags[ASG_TAG];

    const plan: PlanStep[] = [];
    const notes: string[] = [];
    const skipped: { [k: string]: Json } = {};
    const priorTags: { [k: string]: Json } = {};
    for (const k of [CASE_TAG, ACTION_TAG]) priorTags[k] = tags[k] ?? null;
    const side = { stage: 1, essential: false };
    plan.push({
      id: 'tag',
      ...side,
      op: 'ec2.tag',
      description: `Tag ${id} ${CASE_TAG}=${ctx.caseId ?? 'none'}, ${ACTION_TAG}=${ctx.actionId}`,
      params: { instanceId: id, caseId: ctx.caseId ?? 'none', actionId: ctx.actionId },
      revertible: true,
    });
    if (spot) {
      // AWS refuses it ("You can't enable termination protection for Spot Instances"): skipped, and said so.
      skipped['termination-protection'] = 'Spot Instance: EC2 does not allow termination protection on Spot Instances';
      notes.push(`Termination protection: skipped, ${id} is a Spot Instance (EC2 does not allow it); EC2 may still reclaim it, taking its instance store with it.`);
    } else if (!priorTermination) {
      plan.push({ id: 'termination-protection', ...side, op: 'ec2.termination-protection', description: `Turn termination protection on for ${id}`, params: { instanceId: id }, revertible: true });
    }
    if (priorShutdown !== 'stop') {
      plan.push({ id: 'shutdown-behavior', ...side, op: 'ec2.shutdown-behavior', description: `Set shutdown behavior of ${id} to stop (was ${priorShutdown})`, params: { instanceId: id, previous: priorShutdown }, revertible: true });
    }
    if (asg) {
      // Isolation fails the group's health checks, and the group would terminate the instance
      // and the evidence with it; Standby takes it out of health checks, as
      // AWSSupport-ContainEC2Instance does (https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-enter-exit-standby.html).
      const manual = `aws autoscaling enter-standby --auto-scaling-group-name ${asg} --instance-ids ${id} --should-decrement-desired-capacity`;
      let state: string | undefined;
      let read = false;
      try {
        const m = (await ctx.clients.autoScaling(region).send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [id] }))).AutoScalingInstances?.find((x) => x.InstanceId === id);
        state = m?.AutoScalingGroupName === asg ? m.LifecycleState : undefined;
        read = true;
      } catch (err) {
        notes.push(`:warning: ${id} belongs to Auto Scaling group ${asg}, whose state Cordon could not read (${awsErrorName(err) ?? 'error'}): isolation fails its health checks and the group may terminate it. Put it in Standby by hand: ${manual}.`);
      }
      if (state === 'InService') {
        plan.push({
          id: 'asg-standby',
          ...side,
          op: 'asg.enter-standby',
          description: `Put ${id} in Standby in Auto Scaling group ${asg}, so isolation does not fail its health checks and get it terminated (desired capacity decremented where the minimum size allows; Revert takes it out of Standby)`,
          params: { instanceId: id, group: asg },
          revertible: true,
        });
      } else if (state === 'Standby') notes.push(`${id} is already in Standby in Auto Scaling group ${asg}; left so, and Revert leaves it there.`);
      else if (state) notes.push(`:warning: ${id} is ${state} in Auto Scaling group ${asg}: it cannot be put in Standby, and the group may still replace it.`);
      else if (read) notes.push(`:warning: ${id} is tagged for Auto Scaling group ${asg}, but Auto Scaling does not list it as a member: Cordon leaves it alone. If it is one, put it in Standby by hand: ${manual}.`);
    }
    if (roleName) {
      const policyName = instanceCordonPolicy(id);
      plan.push({
        id: `role-deny:${roleName}`,
        ...side,
        op: 'iam.instance-cordon',
        description: `Put inline policy ${policyName} on role ${roleName}: deny all to sessions from this instance only (ec2:SourceInstanceARN); other instances sharing the role keep working. Revert replaces it in one call with a deny on this instance's sessions issued before the moment this step runs (kept)`,
        params: { roleName, policyName, instanceArn },
        revertible: true,
      });
      notes.push(
        `Revert keeps ${policyName}, swapped in one call from deny-all to a deny on the credentials of role ${roleName} that ${id} received before the moment of apply: they stay blocked after Revert (the instance gets fresh ones from its metadata service); other instances sharing the role are not affected. If the role's inline policy quota is full, Cordon revokes the older sessions of every instance of ${roleName} instead (${REVOKE_SESSIONS_POLICY}, kept) and says so.`,
      );
    } else if (roleRefusal && profileRole?.RoleName) {
      notes.push(`:warning: Instance role ${profileRole.RoleName} is not changed: ${roleRefusal.message} The instance is still isolated.`);
    }
    if (ctx.settings.snapshots) {
      for (const v of volumes) {
        plan.push({ id: `snapshot:${v}`, ...side, op: 'ec2.snapshot', description: `Snapshot EBS volume ${v} (kept as evidence)`, params: { volumeId: v, instanceId: id, caseId: ctx.caseId ?? 'none', actionId: ctx.actionId }, revertible: false });
      }
    } else if (volumes.length) notes.push('Snapshots are off in the config: no EBS evidence is taken.');
    const untrackSeconds = ctx.settings.untrackSeconds;
    const purposes: Purpose[] = untrackSeconds > 0 ? ['untrack', 'isolation'] : ['isolation'];
    for (const v of vpcIds.filter((x) => x === vpcId || rawEnis.some((n) => n.vpcId === x))) {
      for (const p of purposes) {
        const g = cordonGroup(p, v);
        const ipv6 = ipv6Of(v);
        plan.push({
          id: `ensure-group:${p}:${v}`,
          stage: 1,
          op: 'ec2.ensure-group',
          description: g
            ? p === 'isolation'
              ? `Check that isolation group ${g.GroupId ?? ''} in ${v} has no rule (remove any)`
              : `Check that untrack group ${g.GroupId ?? ''} in ${v} allows all in and out`
            : `Create the ${p} security group ${groupName(p, v)} in ${v} (${p === 'untrack' ? `allow all in and out, IPv4${ipv6 ? ' and IPv6' : ''}` : `no ingress; default egress revoked (0.0.0.0/0${ipv6 ? ' and ::/0' : ''})`})`,
          params: { purpose: p, vpcId: v, ipv6, existing: g?.GroupId ?? null },
          revertible: false,
        });
      }
    }
    const enis = rawEnis.map((n) => {
      const own = n.groups.filter((g) => !cordonIds.has(g));
      if (!own.length && n.groups.length) {
        notes.push(`:warning: ${n.id} sits only in Cordon's groups (${n.groups.join(', ')}), left by an earlier action: its own groups are not known here, so Revert leaves it isolated; that action's record has them.`);
      }
      return { ...n, groups: own, cordonGroups: n.groups.filter((g) => cordonIds.has(g)) };
    });
    if (enis.length) {
      const isolated = enis.filter((n) => n.cordonGroups.length === 1 && n.cordonGroups[0] === cordonGroup('isolation', n.vpcId)?.GroupId && !n.groups.length);
      plan.push({
        id: 'network',
        stage: 2,
        op: 'ec2.isolate-network',
        contains: true,
        description:
          untrackSeconds > 0
            ? `Move ${enis.map((n) => n.id).join(', ')} to the untrack group of ${vpcIds.length > 1 ? 'each one’s' : 'its'} VPC, wait ${untrackSeconds}s, then to the isolation group; if isolation fails, put each interface's own groups back`
            : `Move ${enis.map((n) => n.id).join(', ')} to the isolation group of ${vpcIds.length > 1 ? 'each one’s' : 'its'} VPC; if isolation fails, put each interface's own groups back`,
        params: { instanceId: id, untrackSeconds, enis: enis.map((n) => ({ id: n.id, vpcId: n.vpcId, groups: n.groups })), cordonGroups: [...cordonIds].sort() },
        revertible: true,
      });
      if (isolated.length) notes.push(`${isolated.map((n) => n.id).join(', ')} already in the isolation group: no hop.`);
      if (untrackSeconds > 0) notes.push(`:warning: For ${untrackSeconds}s the instance sits in an allow-all group (open in and out) before isolation.`);
    } else notes.push(`${id} has no network interface to isolate.`);
    notes.push(ISOLATION_LIMITS);
    if (untrackSeconds === 0) notes.push(':warning: untrackSeconds is 0: connections already open stay tracked and survive the move to isolation until they end or time out.');
    return {
      prior: {
        instanceId: id,
        vpcId,
        vpcIds,
        enis: enis.map((n) => ({ id: n.id, vpcId: n.vpcId, groups: n.groups, ipv6: n.ipv6 })),
        volumes,
        roleName: roleName ?? null,
        disableApiTermination: priorTermination,
        shutdownBehavior: priorShutdown,
        spot,
        autoScalingGroup: asg ?? null,
        skipped,
        tags: priorTags,
      },
      plan,
      notes,
    };
  },

  async dryRunCheck(ctx: PlanContext, prepared: Prepared): Promise<string[]> {
    const ec2 = ctx.clients.ec2(ctx.target.region as string);
    const probe = async (label: string, fn: () => Promise<unknown>): Promise<string> => {
      try {
        await fn();
        return `DryRun ${label}: unexpected success`;
      } catch (err) {
        const name = awsErrorName(err);
        if (name === 'DryRunOperation') return `DryRun ${label}: permitted`;
        if (name === 'UnauthorizedOperation') return `:x: DryRun ${label}: NOT permitted`;
        return `DryRun ${label}: ${name ?? 'error'}`;
      }
    };
    const id = ctx.target.id;
    const enis = (prepared.prior.enis as { id: string; groups: string[] }[] | undefined) ?? [];
    const volumes = (prepared.prior.volumes as string[] | undefined) ?? [];
    return Promise.all([
      probe('ModifyInstanceAttribute', () => ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiTermination: { Value: true }, DryRun: true }))),
      probe('CreateTags', () => ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: ACTION_TAG, Value: ctx.actionId }], DryRun: true }))),
      ...enis.map((n) => probe(`ModifyNetworkInterfaceAttribute ${n.id}`, () => ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: n.id, Groups: n.groups, DryRun: true })))),
      // With the tags the real call gives: the member role allows snapshots only with the case
      // tag (Ec2EvidenceSnapshots), so an untagged probe would be refused where the step is not.
      ...(ctx.settings.snapshots
        ? volumes.map((v) =>
            probe(`CreateSnapshot ${v}`, () =>
              ec2.send(new CreateSnapshotCommand({ VolumeId: v, TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: CASE_TAG, Value: ctx.caseId ?? 'none' }, { Key: ACTION_TAG, Value: ctx.actionId }, { Key: 'cordon:instance', Value: id }] }], DryRun: true })),
            ),
          )
        : []),
    ]);
  },

  async apply(step, ctx): Promise<{ [key: string]: Json } | undefined> {
    const region = ctx.target.region as string;
    const ec2 = ctx.clients.ec2(region);
    switch (step.op) {
      case 'ec2.tag':
        await ec2.send(
          new CreateTagsCommand({ Resources: [param(step, 'instanceId')], Tags: [{ Key: CASE_TAG, Value: param(step, 'caseId') }, { Key: ACTION_TAG, Value: param(step, 'actionId') }] }),
        );
        return undefined;
      case 'ec2.termination-protection':
        await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: param(step, 'instanceId'), DisableApiTermination: { Value: true } }));
        return undefined;
      case 'ec2.shutdown-behavior':
        await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: param(step, 'instanceId'), InstanceInitiatedShutdownBehavior: { Value: 'stop' } }));
        return undefined;
      case 'iam.instance-cordon':
        return applyInstanceCordon(step, ctx);
      // Plans stored before one policy per instance: their deny and their revocation, as they were.
      case 'iam.instance-role-deny':
        await ctx.clients
          .iam()
          .send(new PutRolePolicyCommand({ RoleName: param(step, 'roleName'), PolicyName: param(step, 'policyName'), PolicyDocument: instanceDenyDocument(param(step, 'instanceArn')) }));
        return undefined;
      case 'iam.revoke-sessions':
        return applyRevoke(ctx.clients.iam(), step, ctx);
      case 'asg.enter-standby':
        return enterStandby(ctx.clients.autoScaling(region), step);
      case 'ec2.snapshot': {
        const snap = await ec2.send(
          new CreateSnapshotCommand({
            VolumeId: param(step, 'volumeId'),
            Description: `Cordon evidence: ${param(step, 'instanceId')}, case ${param(step, 'caseId')}, action ${param(step, 'actionId')}`,
            TagSpecifications: [
              {
                ResourceType: 'snapshot',
                Tags: [
                  { Key: CASE_TAG, Value: param(step, 'caseId') },
                  { Key: ACTION_TAG, Value: param(step, 'actionId') },
                  { Key: 'cordon:instance', Value: param(step, 'instanceId') },
                ],
              },
            ],
          }),
        );
        return { snapshotId: snap.SnapshotId ?? null };
      }
      case 'ec2.ensure-group': {
        const purpose = param(step, 'purpose') as Purpose;
        const vpcId = param(step, 'vpcId');
        const existing = typeof step.params.existing === 'string' ? step.params.existing : undefined;
        const groupId = await ctx.once(`${ctx.target.accountId}/${region}/${vpcId}/${purpose}`, () => ensureGroup(ec2, ctx, purpose, vpcId, step.params.ipv6 === true, existing));
        return { groupId };
      }
      case 'ec2.isolate-network':
        return isolateNetwork(ec2, step, ctx);
      case 'wait': {
        const seconds = step.params.seconds;
        await ctx.sleep((typeof seconds === 'number' ? seconds : 0) * 1000);
        return undefined;
      }
      default:
        throw new Error(`ec2-instance cannot apply ${step.op}`);
    }
  },

  async revert(step, record, ctx) {
    const ec2 = ctx.clients.ec2(ctx.target.region as string);
    switch (step.op) {
      case 'ec2.tag': {
        const instanceId = param(step, 'instanceId');
        const prior = (ctx.prior.tags ?? {}) as { [k: string]: Json };
        const restore = Object.entries(prior).filter((e): e is [string, string] => typeof e[1] === 'string');
        const remove = Object.entries(prior).filter(([, v]) => v === null).map(([k]) => ({ Key: k }));
        if (remove.length) await ec2.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: remove }));
        await ec2.send(
          new CreateTagsCommand({
            Resources: [instanceId],
            Tags: [...restore.map(([Key, Value]) => ({ Key, Value })), { Key: RELEASED_TAG, Value: `${ctx.actionId} ${ctx.now().toISOString()}` }],
          }),
        );
        return;
      }
      case 'ec2.termination-protection':
        await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: param(step, 'instanceId'), DisableApiTermination: { Value: ctx.prior.disableApiTermination === true } }));
        return;
      case 'ec2.shutdown-behavior':
        await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: param(step, 'instanceId'), InstanceInitiatedShutdownBehavior: { Value: param(step, 'previous') } }));
        return;
      case 'iam.instance-cordon':
        await revertInstanceCordon(step, record, ctx);
        return;
      case 'iam.instance-role-deny':
        await tolerate(() => ctx.clients.iam().send(new DeleteRolePolicyCommand({ RoleName: param(step, 'roleName'), PolicyName: param(step, 'policyName') })), 'NoSuchEntityException');
        return;
      case 'asg.enter-standby':
        await exitStandby(ctx.clients.autoScaling(ctx.target.region as string), step);
        return;
      case 'ec2.eni-groups':
        // Per-interface moves of actions planned before the network step existed.
        await restoreInterfaces(ec2, ctx, [{ id: param(step, 'eniId'), prior: paramList(step, 'previous') }]);
        return;
      case 'ec2.isolate-network': {
        // Each interface back to its own groups: from the record when the step got that far, else from the plan.
        const recorded = networkResult(record.result)?.enis;
        const planned = (step.params.enis as unknown as { id: string; groups: string[] }[]).map((e) => ({ id: e.id, prior: e.groups }));
        await restoreInterfaces(ec2, ctx, recorded ?? planned);
        return;
      }
      default:
        throw new Error(`ec2-instance cannot revert ${step.op}`);
    }
  },

  needsRecovery(step, record): boolean {
    if (step.op !== 'ec2.isolate-network') return false;
    const r = networkResult(record.result);
    // Mid-hop when the process died, or an interface that could not be put back: open to the world.
    if ((record.status === 'running' || record.status === 'unknown') && r) return true;
    return !!r?.enis.some((e) => e.state === 'exposed');
  },

  async recover(step, record, ctx): Promise<{ [key: string]: Json }> {
    const ec2 = ctx.clients.ec2(ctx.target.region as string);
    const r = networkResult(record.result) as NetworkResult;
    // No waiting out the rest of the untrack time: an interface in the allow-all group is
    // worse than a connection that stays tracked; the record says the wait was cut short.
    const cut = r.phase === 'hop' && r.untrackSeconds > 0 ? [`recovered after the process running it died: the untrack wait was cut short, so connections still tracked may survive`] : [];
    const done = await isolateOrRestore(ec2, ctx, step.id, { ...r, changes: [...r.changes, ...cut] });
    return requireIsolated(param(step, 'instanceId'), done);
  },
};
