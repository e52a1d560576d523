import type {
  AssumeRoleCommandInput,
  AssumeRoleCommandOutput,
  DecodeAuthorizationMessageCommandInput,
  DecodeAuthorizationMessageCommandOutput,
  GetAccessKeyInfoCommandInput,
  GetAccessKeyInfoCommandOutput,
  GetCallerIdentityCommandInput,
  GetCallerIdentityCommandOutput,
  GetFederationTokenCommandInput,
  GetFederationTokenCommandOutput,
  GetSessionTokenCommandInput,
  GetSessionTokenCommandOutput,
} from '@aws-sdk/client-sts';
import { AuthzRequest, evaluatePolicies, parsePolicyDocument } from './policy-eval';
import { accessDeniedError, SimError } from './sim-errors';
import { partitionOfRegion } from './sim-state';
import { AuthzTarget, CallContext, Caller, IssuedCredential, SimHandler, strField } from './sim-world';

type Out<T> = Omit<T, '$metadata'>;

const ROLE_ARN_RE = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]{1,64})$/;
const SESSION_NAME_RE = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID_RE = /^[\w+=,.@:/-]{2,1224}$/;
// Session tag keys and values: letters, spaces, numbers and _ . : / = + - @ only.
const TAG_KEY_RE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE_RE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
const MAX_SESSION_TAGS = 50;
/** Role chaining (a role session assuming a role) is capped at one hour. */
const CHAINED_MAX_SECONDS = 3600;

function validation(member: string, value: string, constraint: string): SimError {
  return new SimError('ValidationError', `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${constraint}`);
}

function sessionTags(input: AssumeRoleCommandInput): Record<string, string> {
  const tags = input.Tags ?? [];
  if (tags.length > MAX_SESSION_TAGS) throw validation('tags', `[${tags.length} tags]`, `Member must have length less than or equal to ${MAX_SESSION_TAGS}`);
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  tags.forEach((t, i) => {
    const key = t.Key ?? '';
    const value = t.Value ?? '';
    if (!TAG_KEY_RE.test(key)) throw validation(`tags.${i + 1}.member.key`, key, 'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+');
    if (!TAG_VALUE_RE.test(value)) throw validation(`tags.${i + 1}.member.value`, value, 'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*');
    // Session tag keys are case-insensitive: "Team" and "team" collide.
    if (seen.has(key.toLowerCase())) throw new SimError('InvalidParameterValue', `Duplicate tag keys found. Please note that Tag keys are case insensitive.`);
    seen.add(key.toLowerCase());
    out[key] = value;
  });
  return out;
}

function principalTagContext(caller: Caller, ctx: CallContext): Record<string, string> {
  const out: Record<string, string> = {};
  const iam = ctx.world.account(caller.accountId).iam;
  const holder = caller.userName ? iam.users[caller.userName] : caller.roleName ? iam.roles[caller.roleName] : undefined;
  for (const t of holder?.tags ?? []) out[`aws:PrincipalTag/${t.Key}`] = t.Value;
  for (const [k, v] of Object.entries(caller.sessionTags)) out[`aws:PrincipalTag/${k}`] = v;
  return out;
}

const AssumeRole = (input: AssumeRoleCommandInput, ctx: CallContext): Out<AssumeRoleCommandOutput> => {
  const { caller, world } = ctx;
  const roleArnIn = input.RoleArn ?? '';
  const m = ROLE_ARN_RE.exec(roleArnIn);
  if (!m?.[1] || !m[2] || !m[3]) throw validation('roleArn', roleArnIn, 'Member must satisfy regular expression pattern: arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]+');
  // Each partition has its own IAM and STS: an STS endpoint answers for the roles of its own
  // partition only, and credentials of one partition cannot act in another
  // (https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html).
  // The exact error STS gives is not documented; the sandbox answers as IAM does for an ARN of
  // another partition (a ValidationError naming the partition).
  const endpointPartition = partitionOfRegion(ctx.region);
  if (m[1] !== endpointPartition) {
    throw new SimError('ValidationError', `Partition "${m[1]}" is not valid for resource "${roleArnIn}": this STS endpoint (${ctx.region}) is in partition ${endpointPartition}.`);
  }
  const sessionName = input.RoleSessionName ?? '';
  if (!SESSION_NAME_RE.test(sessionName)) throw validation('roleSessionName', sessionName, 'Member must satisfy regular expression pattern: [\\w+=,.@-]*');
  if (input.ExternalId !== undefined && !EXTERNAL_ID_RE.test(input.ExternalId)) {
    throw validation('externalId', input.ExternalId, 'Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*');
  }
  const tags = sessionTags(input);
  if (caller.kind === 'root') throw new SimError('AccessDenied', 'Roles may not be assumed by root accounts.');
  const denied = (action: string): SimError => accessDeniedError('sts', caller.arn, action, roleArnIn, 'the role trust policy does not allow it');

  const target = world.account(m[2]);
  const role = target.iam.roles[m[3]];
  // A missing role and a role that does not trust the caller look the same from outside.
  if (!role || role.arn !== roleArnIn) throw denied('sts:AssumeRole');
  const trust = parsePolicyDocument(role.assumeRolePolicyDocument);
  const context: AuthzRequest['context'] = {
    'sts:ExternalId': input.ExternalId,
    'sts:RoleSessionName': sessionName,
    'sts:SourceIdentity': input.SourceIdentity,
    'aws:PrincipalArn': caller.principalArn,
    'aws:PrincipalAccount': caller.accountId,
    'aws:SourceIdentity': input.SourceIdentity,
    'aws:TagKeys': Object.keys(tags),
    ...principalTagContext(caller, ctx),
  };
  for (const [k, v] of Object.entries(tags)) context[`aws:RequestTag/${k}`] = v;
  const principal = { principalArn: caller.principalArn, sessionArn: caller.kind === 'assumed-role' ? caller.arn : undefined, accountId: caller.accountId };
  if (evaluatePolicies([trust], { action: 'sts:AssumeRole', resources: [], context, principal }) !== 'allow') throw denied('sts:AssumeRole');
  // Passing session tags needs its own grant in the trust policy.
  if (Object.keys(tags).length > 0 && evaluatePolicies([trust], { action: 'sts:TagSession', resources: [], context, principal }) !== 'allow') {
    throw denied('sts:TagSession');
  }
  // Setting a source identity needs its own grant in the trust policy, and once set it cannot
  // change along a chain (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html).
  if (input.SourceIdentity !== undefined) {
    if (!/^[\w+=,.@-]{2,64}$/.test(input.SourceIdentity)) throw validation('sourceIdentity', input.SourceIdentity, 'Member must satisfy regular expression pattern: [\\w+=,.@-]*');
    if (evaluatePolicies([trust], { action: 'sts:SetSourceIdentity', resources: [], context, principal }) !== 'allow') throw denied('sts:SetSourceIdentity');
    if (caller.sourceIdentity !== undefined && caller.sourceIdentity !== input.SourceIdentity) {
      throw new SimError('AccessDenied', 'The source identity of a role session cannot be changed by assuming another role with a different source identity.');
    }
  }
  const chained = caller.kind === 'assumed-role';
  const maxSeconds = chained ? CHAINED_MAX_SECONDS : role.maxSessionDuration;
  const duration = input.DurationSeconds ?? 3600;
  if (duration < 900) throw validation('durationSeconds', String(duration), 'Member must have value greater than or equal to 900');
  if (duration > maxSeconds) {
    throw new SimError(
      'ValidationError',
      chained
        ? 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.'
        : `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
    );
  }
  const issuedAt = ctx.now;
  const cred: IssuedCredential = {
    kind: 'session',
    accessKeyId: world.ids.iam('ASIA', 16),
    secretAccessKey: world.ids.secret(),
    sessionToken: `IQoJb3JpZ2luX2Vj${world.ids.secret(300)}`,
    accountId: target.accountId,
    roleName: role.roleName,
    roleArn: role.arn,
    roleId: role.roleId,
    sessionName,
    tags,
    issuedAt,
    expiresAt: issuedAt + duration * 1000,
    ...(input.SourceIdentity ? { sourceIdentity: input.SourceIdentity } : {}),
  };
  world.credentials.set(cred.accessKeyId, cred);
  const packed = Object.keys(tags).length ? Math.min(100, Math.ceil((JSON.stringify(tags).length / 2048) * 100)) : undefined;
  return {
    Credentials: {
      AccessKeyId: cred.accessKeyId,
      SecretAccessKey: cred.secretAccessKey,
      SessionToken: cred.sessionToken,
      Expiration: new Date(cred.expiresAt),
    },
    AssumedRoleUser: { AssumedRoleId: `${role.roleId}:${sessionName}`, Arn: `arn:${target.partition}:sts::${target.accountId}:assumed-role/${role.roleName}/${sessionName}` },
    ...(packed !== undefined ? { PackedPolicySize: packed } : {}),
    ...(input.SourceIdentity ? { SourceIdentity: input.SourceIdentity } : {}),
  };
};

/** GetSessionToken and GetFederationToken last 900 s to 36 h, 12 h by default. */
const USER_SESSION_MIN_SECONDS = 900;
const USER_SESSION_MAX_SECONDS = 129_600;
const FEDERATED_NAME_RE = /^[\w+=,.@-]{2,32}$/;

/**
 * An IAM user's temporary credentials, minted with one of the user's long-term keys.
 * Both calls need the long-term credentials of an IAM user: a role session is refused
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html,
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html).
 * The credentials stay valid when the key that minted them is deactivated; only a deny on
 * the user (e.g. on `aws:TokenIssueTime`) stops them
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html).
 */
function issueUserSession(ctx: CallContext, durationIn: number | undefined, federatedName?: string): IssuedCredential & { kind: 'user-session' } {
  const { caller, world } = ctx;
  const command = federatedName === undefined ? 'GetSessionToken' : 'GetFederationToken';
  if (caller.kind !== 'user' || caller.temporary || !caller.userName) {
    throw new SimError('AccessDenied', `Cannot call ${command} with session credentials`);
  }
  const user = world.account(caller.accountId).iam.users[caller.userName];
  if (!user) throw new SimError('AccessDenied', `Cannot call ${command}: the caller is not an IAM user of account ${caller.accountId}`);
  const duration = durationIn ?? 43_200;
  if (duration < USER_SESSION_MIN_SECONDS) throw validation('durationSeconds', String(duration), `Member must have value greater than or equal to ${USER_SESSION_MIN_SECONDS}`);
  if (duration > USER_SESSION_MAX_SECONDS) throw validation('durationSeconds', String(duration), `Member must have value less than or equal to ${USER_SESSION_MAX_SECONDS}`);
  const cred = {
    kind: 'user-session' as const,
    accessKeyId: world.ids.iam('ASIA', 16),
    secretAccessKey: world.ids.secret(),
    sessionToken: `IQoJb3JpZ2luX2Vj${world.ids.secret(300)}`,
    accountId: caller.accountId,
    userName: user.userName,
    userArn: user.arn,
    userId: user.userId,
    sourceAccessKeyId: caller.accessKeyId,
    issuedAt: ctx.now,
    expiresAt: ctx.now + duration * 1000,
    ...(federatedName !== undefined ? { federatedName } : {}),
  };
  world.credentials.set(cred.accessKeyId, cred);
  return cred;
}

const GetSessionToken = (input: GetSessionTokenCommandInput, ctx: CallContext): Out<GetSessionTokenCommandOutput> => {
  const cred = issueUserSession(ctx, input.DurationSeconds);
  return { Credentials: { AccessKeyId: cred.accessKeyId, SecretAccessKey: cred.secretAccessKey, SessionToken: cred.sessionToken, Expiration: new Date(cred.expiresAt) } };
};

const GetFederationToken = (input: GetFederationTokenCommandInput, ctx: CallContext): Out<GetFederationTokenCommandOutput> => {
  const name = input.Name ?? '';
  if (!FEDERATED_NAME_RE.test(name)) throw validation('name', name, 'Member must satisfy regular expression pattern: [\\w+=,.@-]*');
  const cred = issueUserSession(ctx, input.DurationSeconds, name);
  return {
    Credentials: { AccessKeyId: cred.accessKeyId, SecretAccessKey: cred.secretAccessKey, SessionToken: cred.sessionToken, Expiration: new Date(cred.expiresAt) },
    FederatedUser: { FederatedUserId: `${cred.accountId}:${name}`, Arn: `arn:${ctx.world.account(cred.accountId).partition}:sts::${cred.accountId}:federated-user/${name}` },
  };
};

const GetCallerIdentity = (_input: GetCallerIdentityCommandInput, ctx: CallContext): Out<GetCallerIdentityCommandOutput> => ({
  UserId: ctx.caller.userId,
  Account: ctx.caller.accountId,
  Arn: ctx.caller.arn,
});

/**
 * Which account owns an access key. AWS decodes it from the key id itself and answers
 * from any account; the sandbox looks the key up among those it issued.
 */
const GetAccessKeyInfo = (input: GetAccessKeyInfoCommandInput, ctx: CallContext): Out<GetAccessKeyInfoCommandOutput> => {
  const keyId = input.AccessKeyId ?? '';
  if (!/^(AKIA|ASIA)[A-Z0-9]{16}$/.test(keyId)) throw validation('accessKeyId', keyId, 'Member must satisfy regular expression pattern: [\\w]*');
  const issued = ctx.world.credentials.get(keyId);
  if (issued) return { Account: issued.accountId };
  for (const account of ctx.world.accounts.values()) {
    for (const user of Object.values(account.iam.users)) {
      if (user.accessKeys.some((k) => k.accessKeyId === keyId)) return { Account: account.accountId };
    }
  }
  throw new SimError('InvalidClientTokenId', 'The security token included in the request is invalid.');
};

const DecodeAuthorizationMessage = (input: DecodeAuthorizationMessageCommandInput, _ctx: CallContext): Out<DecodeAuthorizationMessageCommandOutput> => {
  try {
    const decoded = Buffer.from(input.EncodedMessage ?? '', 'base64').toString('utf8');
    JSON.parse(decoded);
    return { DecodedMessage: decoded };
  } catch {
    throw new SimError('InvalidAuthorizationMessageException', 'The error message provided is not valid.');
  }
};

/** STS command handlers, keyed by command name without the `Command` suffix. */
export const STS_HANDLERS = {
  AssumeRole,
  GetCallerIdentity,
  GetAccessKeyInfo,
  DecodeAuthorizationMessage,
  GetSessionToken,
  GetFederationToken,
} satisfies Record<string, SimHandler>;

export function stsAuthzTarget(command: string, input: unknown): AuthzTarget {
  if (command === 'AssumeRole') return { resources: [strField(input, 'RoleArn') ?? '*'] };
  return { resources: ['*'] };
}
