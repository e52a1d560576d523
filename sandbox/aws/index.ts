/**
 * A simulated AWS (EC2, IAM, Lambda, STS, GuardDuty) behind the real SDK v3 clients.
 *
 * ```ts
 * const aws = new AwsSandbox();
 * const inst = aws.createInstance({ accountId: MEMBER, region: 'eu-west-1', enis: 2, ipv6: true, volumes: 2 });
 * aws.createMemberRole(MEMBER, 'cordon-containment', { trustedPrincipalArn: HUB_ROLE_ARN, externalId: 'x' });
 * const credentials = fromTemporaryCredentials({
 *   masterCredentials: aws.credentialsFor(HUB, HUB_ROLE_ARN),
 *   params: { RoleArn: MEMBER_ROLE_ARN, RoleSessionName: 'cordon-A1', ExternalId: 'x' },
 *   clientPlugins: [aws.plugin()],
 * });
 * const ec2 = aws.attach(new EC2Client({ region: 'eu-west-1', credentials }));
 * ```
 */
export {
  AwsSandbox,
  isMutating,
  SANDBOX_ADMIN_ROLE,
  type AssumeRoleParams,
  type AwsSandboxOptions,
  type CallFilter,
  type CallRecord,
  type CreateFunctionOptions,
  type CreateInstanceOptions,
  type CreatePrincipalOptions,
  type CreateRoleOptions,
  type FailCallOptions,
  type MemberRoleOptions,
  type SandboxAttachable,
  type SandboxClientOptions,
} from './aws-sandbox';
export type { SeededInstance, SeededVpc } from './ec2-seed';
export { toPascalFinding, type PutFindingOptions } from './guardduty-sim';
export { AWS_DENY_ALL_ARN, AWS_MANAGED_POLICIES, INLINE_POLICY_LIMITS } from './iam-sim';
export { MIN_UNRESERVED_CONCURRENCY } from './lambda-sim';
export type { PolicyAuthorizer, PolicyAuthorizerRequest, PolicyCheck, PolicyContext, PolicyResource, PolicyVerdict } from './policy-request';
export { SandboxUnsupportedError, THROTTLING_CODES, type SimService } from './sim-errors';
export type { AccountState, SnapshotOptions } from './sim-state';
export type { AttachDefaults } from './sim-world';
export { sandboxClientFactory } from './sandbox-client-factory';
