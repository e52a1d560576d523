import type {
  AddRoleToInstanceProfileCommandInput,
  AddRoleToInstanceProfileCommandOutput,
  AttachedPolicy,
  AttachRolePolicyCommandInput,
  AttachRolePolicyCommandOutput,
  AttachUserPolicyCommandInput,
  AttachUserPolicyCommandOutput,
  CreateAccessKeyCommandInput,
  CreateAccessKeyCommandOutput,
  CreateInstanceProfileCommandInput,
  CreateInstanceProfileCommandOutput,
  CreatePolicyCommandInput,
  CreatePolicyCommandOutput,
  CreateRoleCommandInput,
  CreateRoleCommandOutput,
  CreateUserCommandInput,
  CreateUserCommandOutput,
  DeleteAccessKeyCommandInput,
  DeleteAccessKeyCommandOutput,
  DeleteRoleCommandInput,
  DeleteRoleCommandOutput,
  DeleteRolePolicyCommandInput,
  DeleteRolePolicyCommandOutput,
  DeleteUserCommandInput,
  DeleteUserCommandOutput,
  DeleteUserPolicyCommandInput,
  DeleteUserPolicyCommandOutput,
  DetachRolePolicyCommandInput,
  DetachRolePolicyCommandOutput,
  DetachUserPolicyCommandInput,
  DetachUserPolicyCommandOutput,
  GetAccessKeyLastUsedCommandInput,
  GetAccessKeyLastUsedCommandOutput,
  GetInstanceProfileCommandInput,
  GetInstanceProfileCommandOutput,
  GetPolicyCommandInput,
  GetPolicyCommandOutput,
  GetPolicyVersionCommandInput,
  GetPolicyVersionCommandOutput,
  GetRoleCommandInput,
  GetRoleCommandOutput,
  GetRolePolicyCommandInput,
  GetRolePolicyCommandOutput,
  GetUserCommandInput,
  GetUserCommandOutput,
  GetUserPolicyCommandInput,
  GetUserPolicyCommandOutput,
  InstanceProfile,
  ListAccessKeysCommandInput,
  ListAccessKeysCommandOutput,
  ListAttachedRolePoliciesCommandInput,
  ListAttachedRolePoliciesCommandOutput,
  ListAttachedUserPoliciesCommandInput,
  ListAttachedUserPoliciesCommandOutput,
  ListInstanceProfilesForRoleCommandInput,
  ListInstanceProfilesForRoleCommandOutput,
  ListRolePoliciesCommandInput,
  ListRolePoliciesCommandOutput,
  ListRolesCommandInput,
  ListRolesCommandOutput,
  ListUserPoliciesCommandInput,
  ListUserPoliciesCommandOutput,
  ListUsersCommandInput,
  ListUsersCommandOutput,
  Policy,
  PutRolePolicyCommandInput,
  PutRolePolicyCommandOutput,
  PutUserPolicyCommandInput,
  PutUserPolicyCommandOutput,
  RemoveRoleFromInstanceProfileCommandInput,
  RemoveRoleFromInstanceProfileCommandOutput,
  Role,
  Tag,
  UpdateAccessKeyCommandInput,
  UpdateAccessKeyCommandOutput,
  UpdateAssumeRolePolicyCommandInput,
  UpdateAssumeRolePolicyCommandOutput,
  User,
} from '@aws-sdk/client-iam';
import { parsePolicyDocument, PolicyDocument } from './policy-eval';
import { accessDeniedError, SimError } from './sim-errors';
import { AccountState, IamAccessKey, IamInstanceProfile, IamManagedPolicy, IamRole, IamState, IamUser, KeyValueTag, partitionOfArn } from './sim-state';
import { AuthzTarget, CallContext, Caller, SandboxWorld, SimHandler, strField, toDate } from './sim-world';

type Out<T> = Omit<T, '$metadata'>;

/** An AWS managed policy (global, present in every account). */
export interface AwsManagedPolicy {
  arn: string;
  policyName: string;
  policyId: string;
  path: string;
  document: string;
}

function awsPolicy(name: string, id: string, statements: unknown[], path = '/'): AwsManagedPolicy {
  return {
    arn: `arn:aws:iam::aws:policy${path}${name}`,
    policyName: name,
    policyId: id,
    path,
    document: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
  };
}

/**
 * A handful of AWS managed policies. Enough distinct ones to fill the quota of 10
 * in tests; documents are simplified where the real one is long.
 */
export const AWS_MANAGED_POLICIES: ReadonlyMap<string, AwsManagedPolicy> = new Map(
  [
    awsPolicy('AWSDenyAll', 'ANPAZKAPJZG4CC6S5XOY3', [{ Effect: 'Deny', Action: ['*'], Resource: '*' }]),
    awsPolicy('AdministratorAccess', 'ANPAIWMBCKSKIEE64ZLYK', [{ Effect: 'Allow', Action: '*', Resource: '*' }]),
    awsPolicy('ReadOnlyAccess', 'ANPAILL3HVNFSB6DCOWYQ', [{ Effect: 'Allow', Action: ['ec2:Describe*', 'iam:Get*', 'iam:List*', 'lambda:Get*', 'lambda:List*', 'guardduty:Get*', 'guardduty:List*'], Resource: '*' }]),
    awsPolicy('SecurityAudit', 'ANPAIX2T3QCXHR2OGGCTO', [{ Effect: 'Allow', Action: ['ec2:Describe*', 'iam:Get*', 'iam:List*', 'guardduty:Get*', 'guardduty:List*'], Resource: '*' }]),
    awsPolicy('ViewOnlyAccess', 'ANPAID22R6XPJATWOFDK6', [{ Effect: 'Allow', Action: ['ec2:Describe*', 'iam:List*', 'lambda:List*'], Resource: '*' }]),
    awsPolicy('PowerUserAccess', 'ANPAJYRXTHIB4FOVS3ZXS', [{ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' }]),
    awsPolicy('IAMReadOnlyAccess', 'ANPAJKSO7NDY4T57MWDSQ', [{ Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' }]),
    awsPolicy('AmazonEC2ReadOnlyAccess', 'ANPAIGDT4SV4GSETWTBZK', [{ Effect: 'Allow', Action: 'ec2:Describe*', Resource: '*' }]),
    awsPolicy('AmazonEC2FullAccess', 'ANPAI3VAJF5ZCRZ7MCQE6', [{ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }]),
    awsPolicy('AmazonS3ReadOnlyAccess', 'ANPAIZTJ4DXE7G6AGAE6M', [{ Effect: 'Allow', Action: ['s3:Get*', 's3:List*'], Resource: '*' }]),
    awsPolicy('AmazonS3FullAccess', 'ANPAIFIR6V6BVTRAHWINE', [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }]),
    awsPolicy('CloudWatchReadOnlyAccess', 'ANPAJN23PDQP7SZQAE3QE', [{ Effect: 'Allow', Action: ['cloudwatch:Describe*', 'cloudwatch:Get*', 'cloudwatch:List*'], Resource: '*' }]),
    awsPolicy('AmazonSSMManagedInstanceCore', 'ANPAIXSHM2BNB2D3AXXRU', [{ Effect: 'Allow', Action: ['ssm:*', 'ssmmessages:*', 'ec2messages:*'], Resource: '*' }]),
    awsPolicy('AWSLambdaBasicExecutionRole', 'ANPAJNCQGXC42545SKXIK', [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }], '/service-role/'),
    awsPolicy('AWSLambda_ReadOnlyAccess', 'ANPAJLDG7J3CGUHFN4YN6', [{ Effect: 'Allow', Action: ['lambda:Get*', 'lambda:List*'], Resource: '*' }]),
  ].map((p) => [p.arn, p]),
);

/** `arn:aws:iam::aws:policy/AWSDenyAll`. */
export const AWS_DENY_ALL_ARN = 'arn:aws:iam::aws:policy/AWSDenyAll';

const NAME_RE = /^[\w+=,.@-]{1,64}$/;
const POLICY_NAME_RE = /^[\w+=,.@-]{1,128}$/;

function checkName(value: string | undefined, member: string, re = NAME_RE): string {
  if (value === undefined || value === '') {
    throw new SimError('ValidationError', `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  if (!re.test(value)) {
    throw new SimError('ValidationError', `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`);
  }
  return value;
}

function iamOf(ctx: CallContext): IamState {
  return ctx.account.iam;
}

function userArn(account: AccountState, path: string, name: string): string {
  return `arn:${account.partition}:iam::${account.accountId}:user${path}${name}`;
}

function roleArn(account: AccountState, path: string, name: string): string {
  return `arn:${account.partition}:iam::${account.accountId}:role${path}${name}`;
}

function getUser(iam: IamState, name: string | undefined): IamUser {
  const user = name ? iam.users[name] : undefined;
  if (!user) throw new SimError('NoSuchEntity', `The user with name ${name ?? ''} cannot be found.`);
  return user;
}

function getRole(iam: IamState, name: string | undefined): IamRole {
  const role = name ? iam.roles[name] : undefined;
  if (!role) throw new SimError('NoSuchEntity', `The role with name ${name ?? ''} cannot be found.`);
  return role;
}

/**
 * A role a change may touch. Service-linked roles (`/aws-service-role/`) and the roles IAM
 * Identity Center creates from permission sets (`/aws-reserved/sso.amazonaws.com/`) refuse
 * every change made through IAM with UnmodifiableEntity: only the owning service changes
 * them (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html,
 * https://docs.aws.amazon.com/singlesignon/latest/userguide/using-service-linked-roles.html,
 * https://repost.aws/knowledge-center/identity-center-aws-reserved-sso).
 */
function getModifiableRole(iam: IamState, name: string | undefined): IamRole {
  const role = getRole(iam, name);
  if (role.path.startsWith('/aws-service-role/') || role.path.startsWith('/aws-reserved/sso.amazonaws.com/')) {
    throw new SimError('UnmodifiableEntity', `Cannot perform the operation on the protected role '${role.roleName}' - this role is only modifiable by AWS`);
  }
  return role;
}

/** The user a call without `UserName` is about: the caller, when the caller is a user. */
function implicitUser(ctx: CallContext, name: string | undefined): IamUser | 'root' {
  if (name) return getUser(iamOf(ctx), name);
  if (ctx.caller.kind === 'user' && ctx.caller.userName) return getUser(iamOf(ctx), ctx.caller.userName);
  if (ctx.caller.kind === 'root') return 'root';
  throw new SimError('ValidationError', 'Must specify userName when calling with non-User credentials');
}

function tagsOut(tags: KeyValueTag[]): { Tags?: Tag[] } {
  return tags.length > 0 ? { Tags: tags.map((t) => ({ ...t })) } : {};
}

function tagsIn(tags: Tag[] | undefined): KeyValueTag[] {
  return (tags ?? []).map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' }));
}

// IAM returns policy documents URL-encoded (RFC 3986); the SDK does not decode them.
function encodeDocument(doc: string): string {
  return encodeURIComponent(doc);
}

function renderUser(u: IamUser): User {
  return { Path: u.path, UserName: u.userName, UserId: u.userId, Arn: u.arn, CreateDate: toDate(u.createDate), ...tagsOut(u.tags) };
}

function renderRole(r: IamRole): Role {
  return {
    Path: r.path,
    RoleName: r.roleName,
    RoleId: r.roleId,
    Arn: r.arn,
    CreateDate: toDate(r.createDate),
    AssumeRolePolicyDocument: encodeDocument(r.assumeRolePolicyDocument),
    MaxSessionDuration: r.maxSessionDuration,
    RoleLastUsed: {},
    ...(r.description !== undefined ? { Description: r.description } : {}),
    ...tagsOut(r.tags),
  };
}

function renderProfile(iam: IamState, p: IamInstanceProfile): InstanceProfile {
  return {
    Path: p.path,
    InstanceProfileName: p.instanceProfileName,
    InstanceProfileId: p.instanceProfileId,
    Arn: p.arn,
    CreateDate: toDate(p.createDate),
    Roles: p.roleNames.map((n) => iam.roles[n]).filter((r): r is IamRole => r !== undefined).map(renderRole),
  };
}

/** A managed policy visible from this account: AWS managed or the account's own. */
/**
 * An AWS managed policy as the account's partition names it: `arn:aws-cn:iam::aws:policy/AWSDenyAll`
 * in China, `arn:aws-us-gov:…` in GovCloud. The catalogue is keyed by the `aws` form.
 */
function awsManaged(account: AccountState, arn: string): AwsManagedPolicy | undefined {
  const prefix = `arn:${account.partition}:iam::aws:policy/`;
  if (!arn.startsWith(prefix)) return undefined;
  const p = AWS_MANAGED_POLICIES.get(`arn:aws:iam::aws:policy/${arn.slice(prefix.length)}`);
  return p ? { ...p, arn } : undefined;
}

export function managedPolicy(account: AccountState, arn: string): { policyName: string; document: string } | undefined {
  return awsManaged(account, arn) ?? account.iam.policies[arn];
}

function policyNameOf(account: AccountState, arn: string): string {
  return managedPolicy(account, arn)?.policyName ?? arn.split('/').pop() ?? arn;
}

function checkAttachable(account: AccountState, arn: string | undefined): string {
  // IAM validates every element of an ARN passed to it, and "the partition name must match the
  // partition of the AWS account from where you are calling the API" (AWS's notice on IAM ARN
  // validation, quoted in https://github.com/cloud-gov/aws-broker/issues/383); an aws-partition
  // managed policy attached in cn-northwest-1 answers "ValidationError: Invalid ARN partition"
  // (https://github.com/pulumi/pulumi-aws-apigateway/issues/347).
  const partition = arn ? partitionOfArn(arn) : undefined;
  if (arn && partition && partition !== account.partition) throw new SimError('ValidationError', 'Invalid ARN partition');
  if (!arn || !managedPolicy(account, arn)) throw new SimError('NoSuchEntity', `Policy ${arn ?? ''} does not exist or is not attachable.`);
  return arn;
}

function attach(account: AccountState, list: string[], arn: string, quotaName: string): void {
  if (list.includes(arn)) return;
  // Attaching beyond the quota fails; Cordon's fallback is an inline deny-all.
  if (list.length >= account.iam.managedPolicyQuota) {
    throw new SimError('LimitExceeded', `Cannot exceed quota for ${quotaName}: ${account.iam.managedPolicyQuota}`);
  }
  list.push(arn);
}

function detach(list: string[], arn: string | undefined): string[] {
  if (!arn || !list.includes(arn)) throw new SimError('NoSuchEntity', `Policy ${arn ?? ''} was not found.`);
  return list.filter((a) => a !== arn);
}

function renderAttached(account: AccountState, arns: string[]): AttachedPolicy[] {
  return arns.map((arn) => ({ PolicyName: policyNameOf(account, arn), PolicyArn: arn }));
}

/** Non-whitespace characters, which is how IAM measures inline policy size. */
function policySize(doc: string): number {
  return doc.replace(/\s/g, '').length;
}

function putInline(holder: { inlinePolicies: Record<string, string> }, name: string, doc: string | undefined, limit: number, what: string, who: string): void {
  if (doc === undefined || doc === '') throw new SimError('ValidationError', "1 validation error detected: Value null at 'policyDocument' failed to satisfy constraint: Member must not be null");
  parsePolicyDocument(doc);
  const others = Object.entries(holder.inlinePolicies)
    .filter(([n]) => n !== name)
    .reduce((sum, [, d]) => sum + policySize(d), 0);
  if (others + policySize(doc) > limit) throw new SimError('LimitExceeded', `Maximum policy size of ${limit} bytes exceeded for ${what} ${who}`);
  holder.inlinePolicies[name] = doc;
}

/** Aggregate inline policy size per user and per role, in characters without whitespace. */
export const INLINE_POLICY_LIMITS = { user: 2048, role: 10240 } as const;

const GetUser = (input: GetUserCommandInput, ctx: CallContext): Out<GetUserCommandOutput> => {
  const u = implicitUser(ctx, input.UserName);
  if (u === 'root') {
    return { User: { Path: '/', UserName: undefined, UserId: ctx.account.accountId, Arn: `arn:${ctx.account.partition}:iam::${ctx.account.accountId}:root`, CreateDate: toDate(0) } };
  }
  return { User: renderUser(u) };
};

const CreateUser = (input: CreateUserCommandInput, ctx: CallContext): Out<CreateUserCommandOutput> => {
  const u = seedUser(ctx.world, ctx.account, checkName(input.UserName, 'userName'), { path: input.Path, tags: tagsIn(input.Tags) });
  return { User: renderUser(u) };
};

const ListUsers = (_input: ListUsersCommandInput, ctx: CallContext): Out<ListUsersCommandOutput> => ({
  Users: Object.values(iamOf(ctx).users).map(renderUser),
  IsTruncated: false,
});

const GetRole = (input: GetRoleCommandInput, ctx: CallContext): Out<GetRoleCommandOutput> => ({ Role: renderRole(getRole(iamOf(ctx), input.RoleName)) });

const CreateRole = (input: CreateRoleCommandInput, ctx: CallContext): Out<CreateRoleCommandOutput> => {
  const name = checkName(input.RoleName, 'roleName');
  const doc = input.AssumeRolePolicyDocument;
  if (!doc) throw new SimError('ValidationError', "1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null");
  const role = seedRole(ctx.world, ctx.account, name, {
    trustPolicy: doc,
    path: input.Path,
    description: input.Description,
    maxSessionDuration: input.MaxSessionDuration,
    tags: tagsIn(input.Tags),
  });
  return { Role: renderRole(role) };
};

const ListRoles = (_input: ListRolesCommandInput, ctx: CallContext): Out<ListRolesCommandOutput> => ({
  Roles: Object.values(iamOf(ctx).roles).map(renderRole),
  IsTruncated: false,
});

const UpdateAssumeRolePolicy = (input: UpdateAssumeRolePolicyCommandInput, ctx: CallContext): Out<UpdateAssumeRolePolicyCommandOutput> => {
  const role = getModifiableRole(iamOf(ctx), input.RoleName);
  parsePolicyDocument(input.PolicyDocument ?? '');
  role.assumeRolePolicyDocument = input.PolicyDocument ?? '';
  return {};
};

const GetInstanceProfile = (input: GetInstanceProfileCommandInput, ctx: CallContext): Out<GetInstanceProfileCommandOutput> => {
  const iam = iamOf(ctx);
  const p = input.InstanceProfileName ? iam.instanceProfiles[input.InstanceProfileName] : undefined;
  if (!p) throw new SimError('NoSuchEntity', `Instance Profile ${input.InstanceProfileName ?? ''} cannot be found.`);
  return { InstanceProfile: renderProfile(iam, p) };
};

const CreateInstanceProfile = (input: CreateInstanceProfileCommandInput, ctx: CallContext): Out<CreateInstanceProfileCommandOutput> => {
  const p = seedInstanceProfile(ctx.world, ctx.account, checkName(input.InstanceProfileName, 'instanceProfileName', /^[\w+=,.@-]{1,128}$/), { path: input.Path });
  return { InstanceProfile: renderProfile(iamOf(ctx), p) };
};

const AddRoleToInstanceProfile = (input: AddRoleToInstanceProfileCommandInput, ctx: CallContext): Out<AddRoleToInstanceProfileCommandOutput> => {
  const iam = iamOf(ctx);
  const p = input.InstanceProfileName ? iam.instanceProfiles[input.InstanceProfileName] : undefined;
  if (!p) throw new SimError('NoSuchEntity', `Instance Profile ${input.InstanceProfileName ?? ''} cannot be found.`);
  const role = getRole(iam, input.RoleName);
  if (p.roleNames.length >= 1) throw new SimError('LimitExceeded', 'Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1');
  p.roleNames.push(role.roleName);
  return {};
};

const RemoveRoleFromInstanceProfile = (input: RemoveRoleFromInstanceProfileCommandInput, ctx: CallContext): Out<RemoveRoleFromInstanceProfileCommandOutput> => {
  const iam = iamOf(ctx);
  const p = input.InstanceProfileName ? iam.instanceProfiles[input.InstanceProfileName] : undefined;
  if (!p) throw new SimError('NoSuchEntity', `Instance Profile ${input.InstanceProfileName ?? ''} cannot be found.`);
  if (!input.RoleName || !p.roleNames.includes(input.RoleName)) throw new SimError('NoSuchEntity', `The role with name ${input.RoleName ?? ''} cannot be found.`);
  p.roleNames = p.roleNames.filter((n) => n !== input.RoleName);
  return {};
};

const ListInstanceProfilesForRole = (input: ListInstanceProfilesForRoleCommandInput, ctx: CallContext): Out<ListInstanceProfilesForRoleCommandOutput> => {
  const iam = iamOf(ctx);
  const role = getRole(iam, input.RoleName);
  return {
    InstanceProfiles: Object.values(iam.instanceProfiles)
      .filter((p) => p.roleNames.includes(role.roleName))
      .map((p) => renderProfile(iam, p)),
    IsTruncated: false,
  };
};

const AttachUserPolicy = (input: AttachUserPolicyCommandInput, ctx: CallContext): Out<AttachUserPolicyCommandOutput> => {
  const user = getUser(iamOf(ctx), input.UserName);
  attach(ctx.account, user.attachedPolicyArns, checkAttachable(ctx.account, input.PolicyArn), 'PoliciesPerUser');
  return {};
};

const DetachUserPolicy = (input: DetachUserPolicyCommandInput, ctx: CallContext): Out<DetachUserPolicyCommandOutput> => {
  const user = getUser(iamOf(ctx), input.UserName);
  user.attachedPolicyArns = detach(user.attachedPolicyArns, input.PolicyArn);
  return {};
};

const AttachRolePolicy = (input: AttachRolePolicyCommandInput, ctx: CallContext): Out<AttachRolePolicyCommandOutput> => {
  const role = getModifiableRole(iamOf(ctx), input.RoleName);
  attach(ctx.account, role.attachedPolicyArns, checkAttachable(ctx.account, input.PolicyArn), 'PoliciesPerRole');
  return {};
};

const DetachRolePolicy = (input: DetachRolePolicyCommandInput, ctx: CallContext): Out<DetachRolePolicyCommandOutput> => {
  const role = getModifiableRole(iamOf(ctx), input.RoleName);
  role.attachedPolicyArns = detach(role.attachedPolicyArns, input.PolicyArn);
  return {};
};

const ListAttachedUserPolicies = (input: ListAttachedUserPoliciesCommandInput, ctx: CallContext): Out<ListAttachedUserPoliciesCommandOutput> => {
  const user = getUser(iamOf(ctx), input.UserName);
  return { AttachedPolicies: renderAttached(ctx.account, user.attachedPolicyArns), IsTruncated: false };
};

const ListAttachedRolePolicies = (input: ListAttachedRolePoliciesCommandInput, ctx: CallContext): Out<ListAttachedRolePoliciesCommandOutput> => {
  const role = getRole(iamOf(ctx), input.RoleName);
  return { AttachedPolicies: renderAttached(ctx.account, role.attachedPolicyArns), IsTruncated: false };
};

const PutUserPolicy = (input: PutUserPolicyCommandInput, ctx: CallContext): Out<PutUserPolicyCommandOutput> => {
  const user = getUser(iamOf(ctx), input.UserName);
  const name = checkName(input.PolicyName, 'policyName', POLICY_NAME_RE);
  putInline(user, name, input.PolicyDocument, INLINE_POLICY_LIMITS.user, 'user', user.userName);
  return {};
};

const DeleteUserPolicy = (input: DeleteUserPolicyCommandInput, ctx: CallContext): Out<DeleteUserPolicyCommandOutput> => {
  const user = getUser(iamOf(ctx), input.UserName);
  if (!input.PolicyName || user.inlinePolicies[input.PolicyName] === undefined) {
    throw new SimError('NoSuchEntity', `The user policy with name ${input.PolicyName ?? ''} cannot be found.`);
  }
  delete user.inlinePolicies[input.PolicyName];
  return {};
};

const GetUserPolicy = (input: GetUserPolicyCommandInput, ctx: CallContext): Out<GetUserPolicyCommandOutput> => {
  const user = getUser(iamOf(ctx), input.UserName);
  const doc = input.PolicyName ? user.inlinePolicies[input.PolicyName] : undefined;
  if (doc === undefined) throw new SimError('NoSuchEntity', `The user policy with name ${input.PolicyName ?? ''} cannot be found.`);
  return { UserName: user.userName, PolicyName: input.PolicyName, PolicyDocument: encodeDocument(doc) };
};

const ListUserPolicies = (input: ListUserPoliciesCommandInput, ctx: CallContext): Out<ListUserPoliciesCommandOutput> => {
  const user = getUser(iamOf(ctx), input.UserName);
  return { PolicyNames: Object.keys(user.inlinePolicies), IsTruncated: false };
};

const PutRolePolicy = (input: PutRolePolicyCommandInput, ctx: CallContext): Out<PutRolePolicyCommandOutput> => {
  const role = getModifiableRole(iamOf(ctx), input.RoleName);
  const name = checkName(input.PolicyName, 'policyName', POLICY_NAME_RE);
  putInline(role, name, input.PolicyDocument, INLINE_POLICY_LIMITS.role, 'role', role.roleName);
  return {};
};

const DeleteRolePolicy = (input: DeleteRolePolicyCommandInput, ctx: CallContext): Out<DeleteRolePolicyCommandOutput> => {
  const role = getModifiableRole(iamOf(ctx), input.RoleName);
  if (!input.PolicyName || role.inlinePolicies[input.PolicyName] === undefined) {
    throw new SimError('NoSuchEntity', `The role policy with name ${input.PolicyName ?? ''} cannot be found.`);
  }
  delete role.inlinePolicies[input.PolicyName];
  return {};
};

const GetRolePolicy = (input: GetRolePolicyCommandInput, ctx: CallContext): Out<GetRolePolicyCommandOutput> => {
  const role = getRole(iamOf(ctx), input.RoleName);
  const doc = input.PolicyName ? role.inlinePolicies[input.PolicyName] : undefined;
  if (doc === undefined) throw new SimError('NoSuchEntity', `The role policy with name ${input.PolicyName ?? ''} cannot be found.`);
  return { RoleName: role.roleName, PolicyName: input.PolicyName, PolicyDocument: encodeDocument(doc) };
};

const ListRolePolicies = (input: ListRolePoliciesCommandInput, ctx: CallContext): Out<ListRolePoliciesCommandOutput> => {
  const role = getRole(iamOf(ctx), input.RoleName);
  return { PolicyNames: Object.keys(role.inlinePolicies), IsTruncated: false };
};

function renderPolicy(account: AccountState, arn: string): Policy {
  const aws = awsManaged(account, arn);
  const own = account.iam.policies[arn];
  const p = aws ?? own;
  if (!p) throw new SimError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`);
  const attachments = [...Object.values(account.iam.users), ...Object.values(account.iam.roles)].filter((x) => x.attachedPolicyArns.includes(arn)).length;
  return {
    PolicyName: p.policyName,
    PolicyId: p.policyId,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: 'v1',
    AttachmentCount: attachments,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    CreateDate: toDate(own?.createDate ?? 0),
    UpdateDate: toDate(own?.createDate ?? 0),
  };
}

const CreatePolicy = (input: CreatePolicyCommandInput, ctx: CallContext): Out<CreatePolicyCommandOutput> => {
  const p = seedPolicy(ctx.world, ctx.account, checkName(input.PolicyName, 'policyName', POLICY_NAME_RE), input.PolicyDocument ?? '', {
    path: input.Path,
    description: input.Description,
  });
  return { Policy: renderPolicy(ctx.account, p.arn) };
};

const GetPolicy = (input: GetPolicyCommandInput, ctx: CallContext): Out<GetPolicyCommandOutput> => ({ Policy: renderPolicy(ctx.account, input.PolicyArn ?? '') });

const GetPolicyVersion = (input: GetPolicyVersionCommandInput, ctx: CallContext): Out<GetPolicyVersionCommandOutput> => {
  const p = managedPolicy(ctx.account, input.PolicyArn ?? '');
  if (!p || input.VersionId !== 'v1') throw new SimError('NoSuchEntity', `Policy ${input.PolicyArn ?? ''} version ${input.VersionId ?? ''} does not exist or is not attachable.`);
  return { PolicyVersion: { Document: encodeDocument(p.document), VersionId: 'v1', IsDefaultVersion: true, CreateDate: toDate(0) } };
};

const ACCESS_KEYS_PER_USER = 2;

const ListAccessKeys = (input: ListAccessKeysCommandInput, ctx: CallContext): Out<ListAccessKeysCommandOutput> => {
  const u = implicitUser(ctx, input.UserName);
  if (u === 'root') return { AccessKeyMetadata: [], IsTruncated: false };
  return {
    AccessKeyMetadata: u.accessKeys.map((k) => ({ UserName: u.userName, AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: toDate(k.createDate) })),
    IsTruncated: false,
  };
};

const CreateAccessKey = (input: CreateAccessKeyCommandInput, ctx: CallContext): Out<CreateAccessKeyCommandOutput> => {
  const u = implicitUser(ctx, input.UserName);
  if (u === 'root') throw new SimError('ValidationError', 'The sandbox does not model root access keys');
  const key = seedAccessKey(ctx.world, ctx.account, u.userName);
  return { AccessKey: { UserName: u.userName, AccessKeyId: key.accessKeyId, Status: key.status, SecretAccessKey: key.secretAccessKey, CreateDate: toDate(key.createDate) } };
};

function keyOf(user: IamUser, accessKeyId: string | undefined): IamAccessKey {
  const key = user.accessKeys.find((k) => k.accessKeyId === accessKeyId);
  if (!key) throw new SimError('NoSuchEntity', `The Access Key with id ${accessKeyId ?? ''} cannot be found.`);
  return key;
}

const UpdateAccessKey = (input: UpdateAccessKeyCommandInput, ctx: CallContext): Out<UpdateAccessKeyCommandOutput> => {
  const u = implicitUser(ctx, input.UserName);
  if (input.Status !== 'Active' && input.Status !== 'Inactive') {
    throw new SimError('ValidationError', `1 validation error detected: Value '${String(input.Status)}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`);
  }
  if (u === 'root') throw new SimError('NoSuchEntity', `The Access Key with id ${input.AccessKeyId ?? ''} cannot be found.`);
  keyOf(u, input.AccessKeyId).status = input.Status;
  return {};
};

const DeleteAccessKey = (input: DeleteAccessKeyCommandInput, ctx: CallContext): Out<DeleteAccessKeyCommandOutput> => {
  const u = implicitUser(ctx, input.UserName);
  if (u === 'root') throw new SimError('NoSuchEntity', `The Access Key with id ${input.AccessKeyId ?? ''} cannot be found.`);
  const key = keyOf(u, input.AccessKeyId);
  u.accessKeys = u.accessKeys.filter((k) => k !== key);
  ctx.world.userKeyIndex.delete(key.accessKeyId);
  return {};
};

/**
 * A user or role is deleted only once nothing hangs off it: IAM answers DeleteConflict until
 * its access keys, inline policies and attached policies (a user's), or its instance profiles,
 * inline and attached policies (a role's) are gone
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteUser.html,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html). A user or role
 * created again under the same name is another principal with a new unique id
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids),
 * which is what a finding's principalId tells apart.
 */
const DeleteUser = (input: DeleteUserCommandInput, ctx: CallContext): Out<DeleteUserCommandOutput> => {
  const user = getUser(iamOf(ctx), input.UserName);
  if (user.accessKeys.length) throw new SimError('DeleteConflict', 'Cannot delete entity, must delete access keys first.');
  if (Object.keys(user.inlinePolicies).length) throw new SimError('DeleteConflict', 'Cannot delete entity, must delete policies first.');
  if (user.attachedPolicyArns.length) throw new SimError('DeleteConflict', 'Cannot delete entity, must detach all policies first.');
  delete iamOf(ctx).users[user.userName];
  return {};
};

const DeleteRole = (input: DeleteRoleCommandInput, ctx: CallContext): Out<DeleteRoleCommandOutput> => {
  const role = getModifiableRole(iamOf(ctx), input.RoleName);
  if (Object.values(iamOf(ctx).instanceProfiles).some((p) => p.roleNames.includes(role.roleName))) {
    throw new SimError('DeleteConflict', 'Cannot delete entity, must remove roles from instance profile first.');
  }
  if (Object.keys(role.inlinePolicies).length) throw new SimError('DeleteConflict', 'Cannot delete entity, must delete policies first.');
  if (role.attachedPolicyArns.length) throw new SimError('DeleteConflict', 'Cannot delete entity, must detach all policies first.');
  delete iamOf(ctx).roles[role.roleName];
  return {};
};

const GetAccessKeyLastUsed = (input: GetAccessKeyLastUsedCommandInput, ctx: CallContext): Out<GetAccessKeyLastUsedCommandOutput> => {
  const id = input.AccessKeyId ?? '';
  const owner = Object.values(iamOf(ctx).users).find((u) => u.accessKeys.some((k) => k.accessKeyId === id));
  // IAM does not say whether a key of another account exists; it just refuses.
  if (!owner) throw accessDeniedError('iam', ctx.caller.arn, 'iam:GetAccessKeyLastUsed', `access key ${id}`, 'no identity-based policy allows the iam:GetAccessKeyLastUsed action');
  const usage = ctx.world.keyUsage.get(id);
  return {
    UserName: owner.userName,
    AccessKeyLastUsed: usage
      ? { LastUsedDate: toDate(usage.lastUsedDate), ServiceName: usage.serviceName, Region: usage.region }
      : { ServiceName: 'N/A', Region: 'N/A' },
  };
};

/** IAM command handlers, keyed by command name without the `Command` suffix. */
export const IAM_HANDLERS = {
  GetUser,
  CreateUser,
  DeleteUser,
  DeleteRole,
  ListUsers,
  GetRole,
  CreateRole,
  ListRoles,
  UpdateAssumeRolePolicy,
  GetInstanceProfile,
  CreateInstanceProfile,
  AddRoleToInstanceProfile,
  RemoveRoleFromInstanceProfile,
  ListInstanceProfilesForRole,
  AttachUserPolicy,
  DetachUserPolicy,
  AttachRolePolicy,
  DetachRolePolicy,
  ListAttachedUserPolicies,
  ListAttachedRolePolicies,
  PutUserPolicy,
  DeleteUserPolicy,
  GetUserPolicy,
  ListUserPolicies,
  PutRolePolicy,
  DeleteRolePolicy,
  GetRolePolicy,
  ListRolePolicies,
  CreatePolicy,
  GetPolicy,
  GetPolicyVersion,
  ListAccessKeys,
  CreateAccessKey,
  UpdateAccessKey,
  DeleteAccessKey,
  GetAccessKeyLastUsed,
} satisfies Record<string, SimHandler>;

/** Resource ARNs and `iam:PolicyARN` for a request. */
export function iamAuthzTarget(command: string, input: unknown, ctx: CallContext): AuthzTarget {
  const acct = ctx.account.accountId;
  const resources: string[] = [];
  const userName = strField(input, 'UserName') ?? (ctx.caller.kind === 'user' ? ctx.caller.userName : undefined);
  const roleName = strField(input, 'RoleName');
  const profileName = strField(input, 'InstanceProfileName');
  const iam = ctx.account.iam;
  if (roleName) resources.push(iam.roles[roleName]?.arn ?? roleArn(ctx.account, '/', roleName));
  else if (profileName) resources.push(iam.instanceProfiles[profileName]?.arn ?? `arn:${ctx.account.partition}:iam::${acct}:instance-profile/${profileName}`);
  else if (userName && command !== 'GetAccessKeyLastUsed') resources.push(iam.users[userName]?.arn ?? userArn(ctx.account, '/', userName));
  const policyArn = strField(input, 'PolicyArn');
  if (command === 'GetPolicy' || command === 'GetPolicyVersion') resources.push(policyArn ?? '*');
  if (command === 'CreatePolicy') resources.push(`arn:${ctx.account.partition}:iam::${acct}:policy/${strField(input, 'PolicyName') ?? ''}`);
  return {
    resources: resources.length ? resources : ['*'],
    context: /^(Attach|Detach)(User|Role)Policy$/.test(command) ? { 'iam:PolicyARN': policyArn } : {},
  };
}

/** Identity policies of the caller, parsed; root has none (and needs none). */
export function identityPolicies(account: AccountState, caller: Caller): PolicyDocument[] {
  let holder: IamUser | IamRole | undefined;
  if (caller.kind === 'user' && caller.userName) holder = account.iam.users[caller.userName];
  if (caller.kind === 'assumed-role' && caller.roleName) holder = account.iam.roles[caller.roleName];
  if (!holder) return [];
  const docs: PolicyDocument[] = [];
  for (const arn of holder.attachedPolicyArns) {
    const p = managedPolicy(account, arn);
    if (p) docs.push(parsePolicyDocument(p.document));
  }
  for (const doc of Object.values(holder.inlinePolicies)) docs.push(parsePolicyDocument(doc));
  return docs;
}

/** Whether the caller is a principal IAM state knows (synthetic test principals are not). */
export function principalExists(account: AccountState, caller: Caller): boolean {
  if (caller.kind === 'user') return caller.userName !== undefined && account.iam.users[caller.userName] !== undefined;
  if (caller.kind === 'assumed-role') return caller.roleName !== undefined && account.iam.roles[caller.roleName] !== undefined;
  return false;
}

// ---------------------------------------------------------------- seeding

function normalizePath(path: string | undefined): string {
  if (!path) return '/';
  if (!path.startsWith('/') || !path.endsWith('/')) throw new SimError('ValidationError', `The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`);
  return path;
}

/** Options shared by user and role seeding. */
export interface SeedPrincipalOptions {
  path?: string;
  tags?: KeyValueTag[];
  attachedPolicyArns?: string[];
  inlinePolicies?: Record<string, string>;
}

export function seedUser(world: SandboxWorld, account: AccountState, userName: string, opts: SeedPrincipalOptions = {}): IamUser {
  const iam = account.iam;
  if (iam.users[userName]) throw new SimError('EntityAlreadyExists', `User with name ${userName} already exists.`);
  const path = normalizePath(opts.path);
  const user: IamUser = {
    userName,
    userId: world.ids.iam('AIDA'),
    arn: userArn(account, path, userName),
    path,
    createDate: world.now(),
    tags: opts.tags ?? [],
    attachedPolicyArns: [],
    inlinePolicies: {},
    accessKeys: [],
  };
  for (const arn of opts.attachedPolicyArns ?? []) attach(account, user.attachedPolicyArns, checkAttachable(account, arn), 'PoliciesPerUser');
  for (const [name, doc] of Object.entries(opts.inlinePolicies ?? {})) putInline(user, name, doc, INLINE_POLICY_LIMITS.user, 'user', userName);
  iam.users[userName] = user;
  return user;
}

/** Options for seeding a role. */
export interface SeedRoleOptions extends SeedPrincipalOptions {
  /** Trust policy JSON; default trusts the account root. */
  trustPolicy?: string;
  description?: string;
  maxSessionDuration?: number;
}

export function seedRole(world: SandboxWorld, account: AccountState, roleName: string, opts: SeedRoleOptions = {}): IamRole {
  const iam = account.iam;
  if (iam.roles[roleName]) throw new SimError('EntityAlreadyExists', `Role with name ${roleName} already exists.`);
  const path = normalizePath(opts.path);
  const trust =
    opts.trustPolicy ??
    JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:${account.partition}:iam::${account.accountId}:root` }, Action: 'sts:AssumeRole' }] });
  parsePolicyDocument(trust);
  const maxSessionDuration = opts.maxSessionDuration ?? 3600;
  if (maxSessionDuration < 3600 || maxSessionDuration > 43200) {
    throw new SimError('ValidationError', `1 validation error detected: Value '${maxSessionDuration}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200`);
  }
  const role: IamRole = {
    roleName,
    roleId: world.ids.iam('AROA'),
    arn: roleArn(account, path, roleName),
    path,
    createDate: world.now(),
    assumeRolePolicyDocument: trust,
    maxSessionDuration,
    tags: opts.tags ?? [],
    attachedPolicyArns: [],
    inlinePolicies: {},
    ...(opts.description !== undefined ? { description: opts.description } : {}),
  };
  for (const arn of opts.attachedPolicyArns ?? []) attach(account, role.attachedPolicyArns, checkAttachable(account, arn), 'PoliciesPerRole');
  for (const [name, doc] of Object.entries(opts.inlinePolicies ?? {})) putInline(role, name, doc, INLINE_POLICY_LIMITS.role, 'role', roleName);
  iam.roles[roleName] = role;
  return role;
}

export function seedInstanceProfile(world: SandboxWorld, account: AccountState, name: string, opts: { path?: string; roleName?: string } = {}): IamInstanceProfile {
  const iam = account.iam;
  if (iam.instanceProfiles[name]) throw new SimError('EntityAlreadyExists', `Instance Profile ${name} already exists.`);
  const path = normalizePath(opts.path);
  const profile: IamInstanceProfile = {
    instanceProfileName: name,
    instanceProfileId: world.ids.iam('AIPA'),
    arn: `arn:${account.partition}:iam::${account.accountId}:instance-profile${path}${name}`,
    path,
    createDate: world.now(),
    roleNames: opts.roleName ? [getRole(iam, opts.roleName).roleName] : [],
  };
  iam.instanceProfiles[name] = profile;
  return profile;
}

export function seedAccessKey(world: SandboxWorld, account: AccountState, userName: string, status: 'Active' | 'Inactive' = 'Active'): IamAccessKey {
  const user = getUser(account.iam, userName);
  if (user.accessKeys.length >= ACCESS_KEYS_PER_USER) throw new SimError('LimitExceeded', `Cannot exceed quota for AccessKeysPerUser: ${ACCESS_KEYS_PER_USER}`);
  const key: IamAccessKey = { accessKeyId: world.ids.iam('AKIA', 16), secretAccessKey: world.ids.secret(), status, createDate: world.now() };
  user.accessKeys.push(key);
  world.userKeyIndex.set(key.accessKeyId, account.accountId);
  return key;
}

export function seedPolicy(world: SandboxWorld, account: AccountState, name: string, document: string, opts: { path?: string; description?: string } = {}): IamManagedPolicy {
  parsePolicyDocument(document);
  const path = normalizePath(opts.path);
  const arn = `arn:${account.partition}:iam::${account.accountId}:policy${path}${name}`;
  if (account.iam.policies[arn]) throw new SimError('EntityAlreadyExists', `A policy called ${name} already exists. Duplicate names are not allowed.`);
  const policy: IamManagedPolicy = {
    arn,
    policyName: name,
    policyId: world.ids.iam('ANPA'),
    path,
    document,
    createDate: world.now(),
    ...(opts.description !== undefined ? { description: opts.description } : {}),
  };
  account.iam.policies[arn] = policy;
  return policy;
}
