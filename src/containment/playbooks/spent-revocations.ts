import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { DeleteRolePolicyCommand, GetRolePolicyCommand, ListRolePoliciesCommand, type IAMClient } from '@aws-sdk/client-iam';
import { awsErrorName } from '../playbook';
import { instanceCordonPolicy } from './revocation';

/**
 * How long after its moment a revocation can still deny anything. A role session lasts at
 * most the role's MaxSessionDuration, which is at most 12 hours
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html), and a session
 * got by role chaining at most 1 hour
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use.html#id_roles_use_view-role-max-session);
 * an instance's role credentials are such sessions. One hour more for clocks. Only role
 * sessions: a user's GetSessionToken credentials last up to 36 hours, and Cordon never
 * prunes a user's policies.
 */
export const ROLE_SESSION_MAX_MS = 13 * 60 * 60 * 1000;

/** At most this many of the role's inline policy names are read; a role has far fewer in practice. */
const MAX_NAMES = 1000;

/** The instance a kept per-instance revocation names, and its moment, when that is all the document says. */
function revocationOf(doc: string): { before: string; instanceArn: string } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(doc);
  } catch {
    return undefined;
  }
  const statements = (parsed as { Statement?: unknown }).Statement;
  if (!Array.isArray(statements) || statements.length !== 1) return undefined;
  const st = statements[0] as Record<string, unknown>;
  const cond = st.Condition as { DateLessThan?: Record<string, unknown>; StringEquals?: Record<string, unknown> } | undefined;
  const before = cond?.DateLessThan?.['aws:TokenIssueTime'];
  const instanceArn = cond?.StringEquals?.['ec2:SourceInstanceARN'];
  const onlyThose = cond !== undefined && Object.keys(cond).length === 2 && Object.keys(cond.DateLessThan ?? {}).length === 1 && Object.keys(cond.StringEquals ?? {}).length === 1;
  if (st.Sid !== 'CordonRevokeOlderSessions' || st.Effect !== 'Deny' || st.Action !== '*' || st.Resource !== '*' || !onlyThose) return undefined;
  if (typeof before !== 'string' || typeof instanceArn !== 'string' || !Number.isFinite(Date.parse(before))) return undefined;
  return { before, instanceArn };
}

/**
 * Frees room on a fleet role whose inline quota is full, by deleting the per-instance
 * revocations Revert kept that can no longer deny anything: every session they name was
 * issued before a moment more than {@link ROLE_SESSION_MAX_MS} ago, so it has expired, and
 * the instance is terminated or gone, so no containment of it can be under way (one could
 * put its deny-all under the same name between this read and the delete). A deny-all of an
 * instance still contained, a revocation that can still matter, and anything that is not
 * exactly a Cordon revocation are left alone. Never throws: returns the names deleted, and
 * the error that stopped it, if one did.
 */
export async function pruneSpentRevocations(iam: IAMClient, ec2: EC2Client, roleName: string, now: Date, keepInstanceId: string): Promise<PruneResult> {
  const deleted: string[] = [];
  try {
    await prune(iam, ec2, roleName, now, keepInstanceId, deleted);
    return { deleted };
  } catch (err) {
    // A member role deployed before this needed iam:ListRolePolicies and iam:GetRolePolicy,
    // or any other refusal: what was deleted stays said, and the caller falls back as before.
    return { deleted, failed: `${awsErrorName(err) ?? 'Error'}: ${(err as Error).message}` };
  }
}

/** What {@link pruneSpentRevocations} deleted, and why it stopped early if it did. */
export interface PruneResult {
  deleted: string[];
  failed?: string;
}

async function prune(iam: IAMClient, ec2: EC2Client, roleName: string, now: Date, keepInstanceId: string, deleted: string[]): Promise<void> {
  const names: string[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName, ...(marker ? { Marker: marker } : {}) }));
    names.push(...(page.PolicyNames ?? []).filter((n) => n.startsWith(instanceCordonPolicy(''))));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker && names.length < MAX_NAMES);

  const spent = new Map<string, string>();
  for (const name of names) {
    const instanceId = name.slice(instanceCordonPolicy('').length);
    if (instanceId === keepInstanceId) continue;
    let doc: string;
    try {
      // GetRolePolicy answers the document URL-encoded (RFC 3986),
      // https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html.
      doc = decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }))).PolicyDocument ?? '');
    } catch (err) {
      if (awsErrorName(err) === 'NoSuchEntity') continue;
      throw err;
    }
    const r = revocationOf(doc);
    if (!r || !r.instanceArn.endsWith(`/${instanceId}`)) continue;
    if (now.getTime() - Date.parse(r.before) < ROLE_SESSION_MAX_MS) continue;
    spent.set(instanceId, name);
  }
  if (spent.size === 0) return;

  // An instance id unknown to EC2 is left out of a filtered describe rather than refused; a
  // terminated instance is described for about an hour after, in state terminated
  // (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/terminating-instances.html).
  const alive = new Set<string>();
  const ids = [...spent.keys()];
  for (let i = 0; i < ids.length; i += 200) {
    let token: string | undefined;
    do {
      const page = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: ids.slice(i, i + 200) }], ...(token ? { NextToken: token } : {}) }));
      for (const res of page.Reservations ?? []) {
        for (const inst of res.Instances ?? []) if (inst.InstanceId && inst.State?.Name !== 'terminated') alive.add(inst.InstanceId);
      }
      token = page.NextToken;
    } while (token);
  }

  for (const [instanceId, name] of spent) {
    if (alive.has(instanceId)) continue;
    try {
      await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
      deleted.push(name);
    } catch (err) {
      if (awsErrorName(err) !== 'NoSuchEntity') throw err;
    }
  }
}
