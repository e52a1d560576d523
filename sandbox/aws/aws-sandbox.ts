import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client, type IpPermission } from '@aws-sdk/client-ec2';
import { AUTOSCALING_HANDLERS, autoScalingAuthzTarget, runHealthChecks, seedAutoScalingGroup, type SeedGroupOptions } from './autoscaling-sim';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { STSClient, type Tag as StsTag } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, MetadataBearer, MiddlewareStack, Pluggable, RetryStrategyV2 } from '@smithy/types';
import { SeededInstance, SeededVpc, SeedInstanceOptions, seedAttachInterface, seedInstance, seedSecurityGroup, seedVpc } from './ec2-seed';
import { EC2_HANDLERS, ec2AuthzTarget } from './ec2-sim';
import { GUARDDUTY_HANDLERS, guardDutyAuthzTarget, PutFindingOptions, seedDetector, seedFinding, seedMembership } from './guardduty-sim';
import {
  IAM_HANDLERS,
  iamAuthzTarget,
  identityPolicies,
  principalExists,
  seedAccessKey,
  seedInstanceProfile,
  seedPolicy,
  seedRole,
  seedUser,
} from './iam-sim';
import { LAMBDA_HANDLERS, lambdaAuthzTarget, seedFunction } from './lambda-sim';
import { AuthzRequest, evaluateRequest } from './policy-eval';
import { PolicyAuthorizer, PolicyContext, policyChecks } from './policy-request';
import { InterceptedCall, refusingRequestHandler, SandboxCallHost, sandboxPlugin } from './sdk-interceptor';
import { accessDeniedError, SandboxUnsupportedError, SimError, SimService, THROTTLING_CODES, throttlingError } from './sim-errors';
import { Prng } from './sim-random';
import { AccountState, KeyValueTag, SimPartition, snapshotAccount, SnapshotOptions } from './sim-state';
import { AttachDefaults, CallContext, IssuedCredential, KeyUsage, privateCopy, SANDBOX_ADMIN_ROLE, SandboxWorld, ServiceSim } from './sim-world';

export { SANDBOX_ADMIN_ROLE };
import { STS_HANDLERS, stsAuthzTarget } from './sts-sim';

const SIMS: Readonly<Record<SimService, ServiceSim>> = {
  ec2: { service: 'ec2', actionPrefix: 'ec2', handlers: EC2_HANDLERS, authzTarget: ec2AuthzTarget },
  iam: { service: 'iam', actionPrefix: 'iam', handlers: IAM_HANDLERS, authzTarget: iamAuthzTarget },
  lambda: { service: 'lambda', actionPrefix: 'lambda', handlers: LAMBDA_HANDLERS, authzTarget: lambdaAuthzTarget },
  sts: {
    service: 'sts',
    actionPrefix: 'sts',
    handlers: STS_HANDLERS,
    authzTarget: (command, input) => stsAuthzTarget(command, input),
    // AWS answers GetCallerIdentity even under an explicit deny.
    unauthenticatedCommands: new Set(['GetCallerIdentity']),
  },
  guardduty: { service: 'guardduty', actionPrefix: 'guardduty', handlers: GUARDDUTY_HANDLERS, authzTarget: guardDutyAuthzTarget },
  autoscaling: { service: 'autoscaling', actionPrefix: 'autoscaling', handlers: AUTOSCALING_HANDLERS, authzTarget: autoScalingAuthzTarget },
};

const READ_PREFIXES = /^(Describe|Get|List)/;
// Not resource changes, though their names do not say so.
const NON_MUTATING = new Set(['AssumeRole', 'DecodeAuthorizationMessage']);

/**
 * Whether a command changes state. Describe*, Get* and List* are reads; so are
 * AssumeRole (it issues a session, it changes no resource) and DecodeAuthorizationMessage.
 */
export function isMutating(command: string): boolean {
  const name = command.replace(/Command$/, '');
  return !READ_PREFIXES.test(name) && !NON_MUTATING.has(name);
}

/** One attempt that reached the sandbox (SDK retries are separate records). */
export interface CallRecord {
  seq: number;
  /** ISO time on the sandbox clock when the attempt arrived. */
  time: string;
  service: SimService;
  command: string;
  /** Deep copy of the command input. */
  input: unknown;
  region: string;
  /** 1-based SDK attempt number. */
  attempt: number;
  accountId?: string;
  /** Caller ARN as GetCallerIdentity would report it. */
  principal?: string;
  sessionName?: string;
  /** `aws:SourceIdentity` of the session, as CloudTrail records it. */
  sourceIdentity?: string;
  accessKeyId?: string;
  dryRun: boolean;
  mutating: boolean;
  /** `ok`, or the AWS error code (`RequestLimitExceeded`, `NoSuchEntity`…), or the name of a non-AWS error. */
  outcome: string;
  durationMs: number;
}

/** Narrows `calls()`. */
export interface CallFilter {
  service?: SimService;
  command?: string;
  accountId?: string;
  /** `ok`, `error` (any failure) or a specific error code. */
  outcome?: string;
  mutating?: boolean;
}

/** An injected failure for a named call. */
export interface FailCallOptions {
  /** AWS error code, e.g. `LimitExceeded`, `UnauthorizedOperation`, `InternalError`. */
  code: string;
  message?: string;
  /** How many attempts fail (SDK retries count). Default: every attempt until `clearFaults()`. */
  times?: number;
  /** Let this many matching attempts through first, so a sweep can fail the n-th call of a command. */
  after?: number;
  service?: SimService;
  accountId?: string;
  httpStatus?: number;
}

interface FailRule extends FailCallOptions {
  command: string;
  remaining: number;
  skip: number;
}

/** Construction options. */
export interface AwsSandboxOptions {
  /** Seeds ids and fault injection; the same seed replays the same run. Default 1. */
  seed?: number;
  /** Sandbox clock (epoch ms); drives timestamps, session expiry and `aws:TokenIssueTime`. */
  clock?: () => number;
  /**
   * `deny-only` (default): identity policies can only take permissions away, so
   * principals need no setup, yet AWSDenyAll, revocation denies and the like bite.
   * `full`: principals that exist in IAM also need an Allow, as in AWS.
   */
  iamEnforcement?: 'deny-only' | 'full';
  /** maxAttempts for clients the factories build, unless given per client. */
  maxAttempts?: number;
  /**
   * Accounts outside the `aws` partition (China: `aws-cn`, GovCloud: `aws-us-gov`): their ARNs,
   * and the AWS managed policy ARNs they accept, are in that partition.
   */
  accountPartitions?: Record<string, SimPartition>;
  /** How long (sandbox clock, ms) a new security group answers InvalidGroup.NotFound; default 0. See {@link AwsSandbox.setGroupVisibilityDelay}. */
  groupVisibilityDelayMs?: number;
}

/** Per-client options for the factories. */
export interface SandboxClientOptions {
  maxAttempts?: number;
  retryMode?: 'standard' | 'adaptive' | 'legacy';
  /** Who the client acts as (default: the `sandbox-admin` role in the account). */
  principal?: string;
  /** Use these credentials instead (e.g. assumed-role ones). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** The client's own retry strategy (`retryMode` is then ignored, as the SDK does). */
  retryStrategy?: RetryStrategyV2;
}

/** Options for `createInstance`. */
export interface CreateInstanceOptions extends Omit<SeedInstanceOptions, 'instanceProfile' | 'tags'> {
  accountId: string;
  region: string;
  /** Creates the role (EC2 trust) and an instance profile of the same name if missing, and associates it. */
  instanceProfileRole?: string;
  tags?: Record<string, string>;
}

/** Options for `createUser` / `createRole`. */
export interface CreatePrincipalOptions {
  path?: string;
  tags?: Record<string, string>;
  attachedPolicyArns?: string[];
  inlinePolicies?: Record<string, string | object>;
}

/** Options for `createRole`. */
export interface CreateRoleOptions extends CreatePrincipalOptions {
  /** Trust policy (JSON text or object); default trusts the account root. */
  trustPolicy?: string | object;
  maxSessionDuration?: number;
  description?: string;
}

/** Options for `createMemberRole`. */
export interface MemberRoleOptions {
  /** Who may assume it: a role/user ARN, `arn:aws:iam::<acct>:root`, or an account id. */
  trustedPrincipalArn: string;
  /** Required `sts:ExternalId`. */
  externalId: string;
  /** Grant `sts:TagSession` too (default true; Cordon passes session tags). */
  allowTagSession?: boolean;
  /** Grant `sts:SetSourceIdentity` too (default true; Cordon passes the acting person). */
  allowSourceIdentity?: boolean;
  attachedPolicyArns?: string[];
  inlinePolicies?: Record<string, string | object>;
}

/** Options for `createFunction`. */
export interface CreateFunctionOptions {
  accountId: string;
  region: string;
  name: string;
  roleArn?: string;
  reservedConcurrency?: number;
  /** Provisioned concurrency per qualifier (a published version or an alias). */
  provisionedConcurrency?: Record<string, number>;
  runtime?: string;
  tags?: Record<string, string>;
}

/** Parameters for `assumeRoleCredentials`. */
export interface AssumeRoleParams {
  roleArn: string;
  roleSessionName?: string;
  externalId?: string;
  tags?: StsTag[];
  durationSeconds?: number;
}

/** Anything with an SDK middleware stack: every v3 client. */
export interface SandboxAttachable {
  middlewareStack: MiddlewareStack<object, MetadataBearer>;
}

function toJson(doc: string | object): string {
  return typeof doc === 'string' ? doc : JSON.stringify(doc);
}

function tagList(tags: Record<string, string> | undefined): KeyValueTag[] {
  return Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
}

function inlineJson(policies: Record<string, string | object> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(policies ?? {})) out[k] = toJson(v);
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** API operations whose IAM action has another name (IAM checks the action, not the operation). */
const IAM_ACTION_OF: Record<string, string> = { 'lambda:Invoke': 'InvokeFunction' };

/**
 * A stateful, in-memory AWS (EC2, IAM, Lambda, STS, GuardDuty) behind the real
 * SDK v3 clients. Attach it to a client and every command that client sends is
 * answered here, from per-account state, with AWS's own rules and error codes.
 */
export class AwsSandbox implements SandboxCallHost {
  private readonly world: SandboxWorld;
  private readonly records: CallRecord[] = [];
  private readonly enforcement: 'deny-only' | 'full';
  private readonly defaultMaxAttempts: number | undefined;
  private readonly seed: number;
  private throttlePrng: Prng;
  private throttleRate = 0;
  private throttleServices: ReadonlySet<SimService> | undefined;
  private latencyMs = 0;
  private failRules: FailRule[] = [];
  private requestCounter = 0;
  private policyAuthorizer: PolicyAuthorizer | undefined;
  /** The throttling error code each service uses. */
  readonly throttlingCodes = THROTTLING_CODES;

  constructor(opts: AwsSandboxOptions = {}) {
    this.seed = opts.seed ?? 1;
    this.world = new SandboxWorld(this.seed);
    if (opts.clock) this.world.clock = opts.clock;
    this.world.groupVisibilityDelayMs = opts.groupVisibilityDelayMs ?? 0;
    for (const [id, p] of Object.entries(opts.accountPartitions ?? {})) this.world.accountPartitions.set(id, p);
    this.enforcement = opts.iamEnforcement ?? 'deny-only';
    this.defaultMaxAttempts = opts.maxAttempts;
    this.throttlePrng = new Prng(this.seed);
  }

  // ------------------------------------------------------------ clients

  /**
   * Routes every command of `client` into the sandbox. Credentials the sandbox
   * issued identify the caller; `opts` says who the client is when its
   * credentials are not the sandbox's (e.g. the dummy ones a test passes).
   */
  attach<T extends SandboxAttachable>(client: T, opts?: AttachDefaults): T {
    client.middlewareStack.use(this.plugin(opts));
    return client;
  }

  /**
   * The same as a plugin, for clients the sandbox does not see being built: pass it
   * in `clientPlugins` of `fromTemporaryCredentials`, or to your own client factory.
   */
  plugin<I extends object = object, O extends object = MetadataBearer>(opts?: AttachDefaults): Pluggable<I, O> {
    return sandboxPlugin<I, O>(this, opts);
  }

  /**
   * The whole simulated AWS as JSON. A crash test hands it from the process that was
   * killed to the one that comes after, as the real AWS would still be there.
   */
  exportWorld(): string {
    const w = this.world;
    return JSON.stringify({ accounts: [...w.accounts], credentials: [...w.credentials], userKeyIndex: [...w.userKeyIndex], keyUsage: [...w.keyUsage] });
  }

  /** Replaces this sandbox's state with an exported one (give it another seed than the exporter, so new ids do not repeat). */
  importWorld(json: string): void {
    const data = JSON.parse(json) as {
      accounts: [string, AccountState][];
      credentials: [string, IssuedCredential][];
      userKeyIndex: [string, string][];
      keyUsage: [string, KeyUsage][];
    };
    const w = this.world;
    for (const [map, entries] of [
      [w.accounts, data.accounts],
      [w.credentials, data.credentials],
      [w.userKeyIndex, data.userKeyIndex],
      [w.keyUsage, data.keyUsage],
    ] as [Map<string, unknown>, [string, unknown][]][]) {
      map.clear();
      for (const [k, v] of entries) map.set(k, v);
    }
  }

  /** Every secret key and session token the sandbox has handed out, so a test can prove none was logged. */
  issuedSecrets(): string[] {
    return [...this.world.credentials.values()].flatMap((c) => (c.kind === 'static' ? [c.secretAccessKey] : [c.secretAccessKey, c.sessionToken]));
  }

  /** Static credentials the sandbox maps to `principal` (default: the sandbox-admin role) in `accountId`. */
  credentialsFor(accountId: string, principal?: string): AwsCredentialIdentity {
    this.world.account(accountId);
    const cred = this.world.issueStatic(accountId, principal ?? `arn:${this.world.account(accountId).partition}:iam::${accountId}:role/${SANDBOX_ADMIN_ROLE}`);
    return { accessKeyId: cred.accessKeyId, secretAccessKey: cred.secretAccessKey };
  }

  private clientConfig(accountId: string, region: string, opts: SandboxClientOptions = {}) {
    const maxAttempts = opts.maxAttempts ?? this.defaultMaxAttempts;
    return {
      region,
      credentials: opts.credentials ?? this.credentialsFor(accountId, opts.principal),
      requestHandler: refusingRequestHandler,
      ...(maxAttempts !== undefined ? { maxAttempts } : {}),
      ...(opts.retryMode !== undefined ? { retryMode: opts.retryMode } : {}),
      ...(opts.retryStrategy ? { retryStrategy: opts.retryStrategy } : {}),
    };
  }

  ec2(accountId: string, region: string, opts?: SandboxClientOptions): EC2Client {
    return this.attach(new EC2Client(this.clientConfig(accountId, region, opts)));
  }

  iam(accountId: string, opts?: SandboxClientOptions & { region?: string }): IAMClient {
    return this.attach(new IAMClient(this.clientConfig(accountId, opts?.region ?? 'us-east-1', opts)));
  }

  lambda(accountId: string, region: string, opts?: SandboxClientOptions): LambdaClient {
    return this.attach(new LambdaClient(this.clientConfig(accountId, region, opts)));
  }

  sts(accountId: string, opts?: SandboxClientOptions & { region?: string }): STSClient {
    return this.attach(new STSClient(this.clientConfig(accountId, opts?.region ?? 'us-east-1', opts)));
  }

  autoScaling(accountId: string, region: string, opts?: SandboxClientOptions): AutoScalingClient {
    return this.attach(new AutoScalingClient(this.clientConfig(accountId, region, opts)));
  }

  guardduty(accountId: string, region: string, opts?: SandboxClientOptions): GuardDutyClient {
    return this.attach(new GuardDutyClient(this.clientConfig(accountId, region, opts)));
  }

  /**
   * A caching assumed-role credential provider (the SDK's `fromTemporaryCredentials`)
   * whose STS call also goes to the sandbox: the way Cordon reaches member accounts.
   */
  assumeRoleCredentials(sourceAccountId: string, params: AssumeRoleParams, opts: { principal?: string } = {}): AwsCredentialIdentityProvider {
    return fromTemporaryCredentials({
      masterCredentials: this.credentialsFor(sourceAccountId, opts.principal),
      params: {
        RoleArn: params.roleArn,
        RoleSessionName: params.roleSessionName ?? 'sandbox-session',
        ...(params.externalId !== undefined ? { ExternalId: params.externalId } : {}),
        ...(params.tags !== undefined ? { Tags: params.tags } : {}),
        ...(params.durationSeconds !== undefined ? { DurationSeconds: params.durationSeconds } : {}),
      },
      clientConfig: { region: 'us-east-1', requestHandler: refusingRequestHandler },
      clientPlugins: [this.plugin()],
    });
  }

  // ------------------------------------------------------------ the call path

  nextRequestId(): string {
    // Counter-based, so request ids never shift the resource id stream.
    this.requestCounter += 1;
    return `00000000-0000-4000-8000-${this.requestCounter.toString(16).padStart(12, '0')}`;
  }

  /** @internal Answers one intercepted attempt; called by the interceptor. */
  async handleCall(call: InterceptedCall): Promise<unknown> {
    const started = Date.now();
    const dryRun = call.service === 'ec2' && isRecord(call.input) && call.input.DryRun === true;
    const record: CallRecord = {
      seq: this.records.length + 1,
      time: new Date(this.world.now()).toISOString(),
      service: call.service,
      command: call.command,
      input: privateCopy(call.input),
      region: call.region,
      attempt: call.attempt,
      dryRun,
      mutating: isMutating(call.command),
      outcome: 'pending',
      durationMs: 0,
      ...(call.accessKeyId ? { accessKeyId: call.accessKeyId } : {}),
    };
    this.records.push(record);
    try {
      // Real timer: benchmarks that set latency measure wall-clock time.
      if (this.latencyMs > 0) await sleep(this.latencyMs);
      const caller = this.world.resolveCaller(call.service, call.accessKeyId, call.sessionToken, call.defaults);
      record.accountId = caller.accountId;
      record.principal = caller.arn;
      if (caller.sessionName) record.sessionName = caller.sessionName;
      if (caller.sourceIdentity) record.sourceIdentity = caller.sourceIdentity;
      if (caller.kind === 'user' && !caller.temporary && this.world.userKeyIndex.has(caller.accessKeyId)) {
        this.world.keyUsage.set(caller.accessKeyId, { lastUsedDate: this.world.now(), serviceName: call.service, region: call.region });
      }
      this.injectFaults(call, caller.accountId);
      const sim = SIMS[call.service];
      const handler = sim.handlers[call.command];
      if (!handler) throw new SandboxUnsupportedError(`AwsSandbox: ${call.service} ${call.command} is not simulated`);
      const account = this.world.account(caller.accountId);
      const ctx: CallContext = { world: this.world, account, region: call.region, caller, now: this.world.now() };
      this.authorize(sim, call.command, call.input, ctx);
      if (this.policyAuthorizer) await this.authorizeWith(this.policyAuthorizer, sim, call.command, call.input, ctx);
      if (dryRun) {
        // Validate against a throwaway copy, so a dry run reports the same errors
        // a real call would (unknown ids…) and changes nothing.
        handler(call.input as never, { ...ctx, account: structuredClone(account) });
        throw new SimError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
      }
      const output = handler(call.input as never, ctx);
      record.outcome = 'ok';
      return output;
    } catch (err) {
      record.outcome = err instanceof SimError ? err.code : err instanceof Error ? err.name : 'Error';
      throw err;
    } finally {
      record.durationMs = Date.now() - started;
    }
  }

  private injectFaults(call: InterceptedCall, accountId: string): void {
    const rule = this.failRules.find(
      (r) => r.remaining > 0 && r.command === call.command && (!r.service || r.service === call.service) && (!r.accountId || r.accountId === accountId),
    );
    if (rule && rule.skip > 0) rule.skip -= 1;
    else if (rule) {
      rule.remaining -= 1;
      throw new SimError(rule.code, rule.message ?? `Injected failure: ${rule.code}`, rule.httpStatus);
    }
    if (this.throttleRate > 0 && (!this.throttleServices || this.throttleServices.has(call.service)) && this.throttlePrng.next() < this.throttleRate) {
      throw throttlingError(call.service);
    }
  }

  private authorize(sim: ServiceSim, command: string, input: unknown, ctx: CallContext): void {
    const { caller } = ctx;
    if (sim.unauthenticatedCommands?.has(command) || caller.kind === 'root') return;
    const target = sim.authzTarget(command, input, ctx);
    const action = `${sim.actionPrefix}:${IAM_ACTION_OF[`${sim.actionPrefix}:${command}`] ?? command}`;
    const iam = ctx.account.iam;
    const holder = caller.userName ? iam.users[caller.userName] : caller.roleName ? iam.roles[caller.roleName] : undefined;
    const context: AuthzRequest['context'] = {
      'aws:PrincipalArn': caller.principalArn,
      'aws:PrincipalAccount': caller.accountId,
      'aws:userid': caller.userId,
      'aws:username': caller.userName,
      'aws:CurrentTime': new Date(ctx.now).toISOString(),
      'aws:EpochTime': String(Math.floor(ctx.now / 1000)),
      'aws:RequestedRegion': ctx.region,
      'aws:TokenIssueTime': caller.tokenIssueTime !== undefined ? new Date(caller.tokenIssueTime).toISOString() : undefined,
      'ec2:SourceInstanceARN': caller.sourceInstanceArn,
      'aws:SourceIdentity': caller.sourceIdentity,
      ...target.context,
    };
    for (const t of holder?.tags ?? []) context[`aws:PrincipalTag/${t.Key}`] = t.Value;
    for (const [k, v] of Object.entries(caller.sessionTags)) context[`aws:PrincipalTag/${k}`] = v;
    const { decision, resource } = evaluateRequest(identityPolicies(ctx.account, caller), { action, resources: target.resources, context });
    if (decision === 'explicit-deny') {
      throw accessDeniedError(sim.service, caller.arn, action, resource, 'with an explicit deny in an identity-based policy');
    }
    if (decision === 'implicit-deny' && this.enforcement === 'full' && principalExists(ctx.account, caller)) {
      throw accessDeniedError(sim.service, caller.arn, action, resource, `no identity-based policy allows the ${action} action`);
    }
  }

  /**
   * Hands every authorization a call needs (the resources and condition keys real AWS
   * would evaluate, see ./policy-request.ts) to `authorizer` as well, after the sandbox's
   * own policies. A refusal answers as the service does: EC2 `UnauthorizedOperation`
   * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/query-api-troubleshooting.html#unauthorized-operation),
   * IAM/STS/Auto Scaling `AccessDenied`, Lambda/GuardDuty `AccessDeniedException`. EC2
   * authorizes a `DryRun` request too, before answering DryRunOperation. Tests use it to
   * evaluate a real policy template with an evaluator that is not the sandbox's own;
   * `undefined` turns it off.
   */
  setPolicyAuthorizer(authorizer: PolicyAuthorizer | undefined): void {
    this.policyAuthorizer = authorizer;
  }

  private async authorizeWith(authorizer: PolicyAuthorizer, sim: ServiceSim, command: string, input: unknown, ctx: CallContext): Promise<void> {
    const { caller } = ctx;
    if (sim.unauthenticatedCommands?.has(command) || caller.kind === 'root') return;
    const globalContext: PolicyContext = {
      'aws:PrincipalArn': caller.principalArn,
      'aws:PrincipalAccount': caller.accountId,
      'aws:userid': caller.userId,
      'aws:CurrentTime': new Date(ctx.now).toISOString(),
      'aws:RequestedRegion': ctx.region,
      ...(caller.tokenIssueTime !== undefined ? { 'aws:TokenIssueTime': new Date(caller.tokenIssueTime).toISOString() } : {}),
      ...(caller.sourceIdentity ? { 'aws:SourceIdentity': caller.sourceIdentity } : {}),
    };
    for (const [k, v] of Object.entries(caller.sessionTags)) globalContext[`aws:PrincipalTag/${k}`] = v;
    for (const check of policyChecks(sim.service, command, input, ctx)) {
      const verdict = await authorizer({
        ...check,
        service: sim.service,
        command,
        accountId: caller.accountId,
        region: ctx.region,
        callerArn: caller.arn,
        ...(caller.roleName ? { roleName: caller.roleName } : {}),
        globalContext,
      });
      if (!verdict || verdict.decision === 'allow') continue;
      const resource = verdict.resource ?? check.resources[0]?.arn ?? '*';
      const reason = verdict.reason ?? (verdict.decision === 'explicit-deny' ? 'with an explicit deny in an identity-based policy' : `no identity-based policy allows the ${check.action} action`);
      throw accessDeniedError(sim.service, caller.arn, check.action, resource, reason);
    }
  }

  // ------------------------------------------------------------ audit

  /** Every attempt so far, oldest first, optionally narrowed. */
  calls(filter: CallFilter = {}): CallRecord[] {
    const command = filter.command?.replace(/Command$/, '');
    return this.records
      .filter(
        (r) =>
          (!filter.service || r.service === filter.service) &&
          (!command || r.command === command) &&
          (!filter.accountId || r.accountId === filter.accountId) &&
          (filter.mutating === undefined || r.mutating === filter.mutating) &&
          (filter.outcome === undefined || (filter.outcome === 'error' ? r.outcome !== 'ok' : r.outcome === filter.outcome)),
      )
      .map((r) => privateCopy(r));
  }

  /** Calls that changed state: mutating, succeeded, not a dry run. */
  mutations(filter: Omit<CallFilter, 'mutating' | 'outcome'> = {}): CallRecord[] {
    return this.calls({ ...filter, mutating: true, outcome: 'ok' }).filter((r) => !r.dryRun);
  }

  clearCalls(): void {
    this.records.length = 0;
  }

  isMutating(command: string): boolean {
    return isMutating(command);
  }

  // ------------------------------------------------------------ faults and time

  /** Adds `ms` of real wall-clock delay to every attempt. */
  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /**
   * Throttles this fraction of attempts (reads and writes alike) with each
   * service's real throttling code (EC2 RequestLimitExceeded, IAM/STS Throttling,
   * Lambda/GuardDuty TooManyRequestsException). Deterministic for a given seed.
   */
  setThrottleRate(rate: number, opts: { seed?: number; services?: SimService[] } = {}): void {
    if (rate < 0 || rate > 1) throw new Error('AwsSandbox: throttle rate must be within 0..1');
    this.throttleRate = rate;
    this.throttlePrng = new Prng(opts.seed ?? this.seed);
    this.throttleServices = opts.services ? new Set(opts.services) : undefined;
  }

  /** Makes the named command (with or without the `Command` suffix) fail with `code`. */
  failCall(command: string, opts: FailCallOptions): void {
    this.failRules.push({ ...opts, command: command.replace(/Command$/, ''), remaining: opts.times ?? Number.POSITIVE_INFINITY, skip: opts.after ?? 0 });
  }

  /** Removes latency, throttling and injected failures. */
  clearFaults(): void {
    this.latencyMs = 0;
    this.throttleRate = 0;
    this.throttleServices = undefined;
    this.failRules = [];
  }

  /**
   * Makes every security group created from now on invisible to other calls for `ms` of
   * the sandbox clock (InvalidGroup.NotFound), as EC2's eventual consistency does
   * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/query-api-troubleshooting.html#eventual-consistency).
   */
  setGroupVisibilityDelay(ms: number): void {
    this.world.groupVisibilityDelayMs = Math.max(0, ms);
  }

  /** Replaces the sandbox clock (epoch ms). */
  setClock(clock: () => number): void {
    this.world.clock = clock;
  }

  // ------------------------------------------------------------ state

  /**
   * Deep, JSON-serializable, stably ordered copy of everything in the account, for
   * before/after comparisons. Lists are sorted (they are sets in AWS) and security
   * group rule ids are left out unless asked for (EC2 assigns new ones on re-authorize).
   */
  snapshotState(accountId: string, opts?: SnapshotOptions): AccountState {
    return snapshotAccount(this.world.account(accountId), opts);
  }

  /** The live state of an account, for tests that need to poke at something no API exposes. */
  rawState(accountId: string): AccountState {
    return this.world.account(accountId);
  }

  setManagedPolicyQuota(accountId: string, quota: number): void {
    this.world.account(accountId).iam.managedPolicyQuota = quota;
  }

  // ------------------------------------------------------------ seeding: EC2

  createVpc(opts: { accountId: string; region: string; cidr?: string; ipv6?: boolean; isDefault?: boolean; tags?: Record<string, string> }): SeededVpc {
    return seedVpc(this.world, this.world.account(opts.accountId), opts.region, opts);
  }

  createSecurityGroup(opts: { accountId: string; region: string; vpcId: string; name: string; description?: string; ingress?: IpPermission[]; tags?: Record<string, string> }): string {
    return seedSecurityGroup(this.world, this.world.account(opts.accountId), opts.region, opts);
  }

  /** A running instance with `enis` interfaces (own groups each), `volumes` EBS volumes and optionally an instance profile. */
  createInstance(opts: CreateInstanceOptions): SeededInstance {
    const account = this.world.account(opts.accountId);
    let instanceProfile: { arn: string; id: string } | undefined;
    if (opts.instanceProfileRole) {
      const roleName = opts.instanceProfileRole;
      if (!account.iam.roles[roleName]) {
        seedRole(this.world, account, roleName, {
          trustPolicy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
        });
      }
      const profile = account.iam.instanceProfiles[roleName] ?? seedInstanceProfile(this.world, account, roleName, { roleName });
      instanceProfile = { arn: profile.arn, id: profile.instanceProfileId };
    }
    const { accountId: _a, region, instanceProfileRole: _r, ...rest } = opts;
    return seedInstance(this.world, account, region, { ...rest, ...(instanceProfile ? { instanceProfile } : {}) });
  }

  /** Hot-attaches a new interface (own group; optionally from another VPC in the same AZ) to a running instance. */
  attachInterface(opts: { accountId: string; region: string; instanceId: string; vpcId?: string }): { networkInterfaceId: string; groupId: string } {
    return seedAttachInterface(this.world, this.world.account(opts.accountId), opts.region, opts);
  }

  /**
   * Credentials as an instance gets them from its instance profile: a session of the
   * profile's role carrying `ec2:SourceInstanceARN`, so per-instance denies can be tested.
   */
  instanceCredentials(accountId: string, region: string, instanceId: string): AwsCredentialIdentity {
    const account = this.world.account(accountId);
    const ec2 = account.regions[region]?.ec2;
    const assoc = ec2 ? Object.values(ec2.iamInstanceProfileAssociations).find((a) => a.instanceId === instanceId) : undefined;
    if (!assoc) throw new Error(`AwsSandbox: instance ${instanceId} has no instance profile`);
    const profile = Object.values(account.iam.instanceProfiles).find((p) => p.arn === assoc.instanceProfileArn);
    const role = profile?.roleNames[0] ? account.iam.roles[profile.roleNames[0]] : undefined;
    if (!role) throw new Error(`AwsSandbox: instance profile of ${instanceId} has no role`);
    const now = this.world.now();
    const cred = {
      kind: 'session' as const,
      accessKeyId: this.world.ids.iam('ASIA', 16),
      secretAccessKey: this.world.ids.secret(),
      sessionToken: `IQoJb3JpZ2luX2Vj${this.world.ids.secret(300)}`,
      accountId,
      roleName: role.roleName,
      roleArn: role.arn,
      roleId: role.roleId,
      sessionName: instanceId,
      tags: {},
      issuedAt: now,
      expiresAt: now + 6 * 3600 * 1000,
      sourceInstanceArn: `arn:${this.world.account(accountId).partition}:ec2:${region}:${accountId}:instance/${instanceId}`,
    };
    this.world.credentials.set(cred.accessKeyId, cred);
    return { accessKeyId: cred.accessKeyId, secretAccessKey: cred.secretAccessKey, sessionToken: cred.sessionToken, expiration: new Date(cred.expiresAt) };
  }

  // ------------------------------------------------------------ seeding: IAM

  createUser(accountId: string, userName: string, opts: CreatePrincipalOptions = {}): { arn: string; userId: string } {
    const user = seedUser(this.world, this.world.account(accountId), userName, {
      ...(opts.path !== undefined ? { path: opts.path } : {}),
      tags: tagList(opts.tags),
      attachedPolicyArns: opts.attachedPolicyArns ?? [],
      inlinePolicies: inlineJson(opts.inlinePolicies),
    });
    return { arn: user.arn, userId: user.userId };
  }

  createRole(accountId: string, roleName: string, opts: CreateRoleOptions = {}): { arn: string; roleId: string } {
    const role = seedRole(this.world, this.world.account(accountId), roleName, {
      ...(opts.path !== undefined ? { path: opts.path } : {}),
      ...(opts.trustPolicy !== undefined ? { trustPolicy: toJson(opts.trustPolicy) } : {}),
      ...(opts.maxSessionDuration !== undefined ? { maxSessionDuration: opts.maxSessionDuration } : {}),
      ...(opts.description !== undefined ? { description: opts.description } : {}),
      tags: tagList(opts.tags),
      attachedPolicyArns: opts.attachedPolicyArns ?? [],
      inlinePolicies: inlineJson(opts.inlinePolicies),
    });
    return { arn: role.arn, roleId: role.roleId };
  }

  createAccessKey(accountId: string, userName: string, opts: { status?: 'Active' | 'Inactive' } = {}): AwsCredentialIdentity & { accessKeyId: string } {
    const key = seedAccessKey(this.world, this.world.account(accountId), userName, opts.status ?? 'Active');
    return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
  }

  createPolicy(accountId: string, name: string, document: string | object): string {
    return seedPolicy(this.world, this.world.account(accountId), name, toJson(document)).arn;
  }

  createInstanceProfile(accountId: string, name: string, roleName?: string): { arn: string; id: string } {
    const p = seedInstanceProfile(this.world, this.world.account(accountId), name, roleName ? { roleName } : {});
    return { arn: p.arn, id: p.instanceProfileId };
  }

  /**
   * The containment role in a member account: trusts `trustedPrincipalArn` only
   * with the right `sts:ExternalId` (and allows `sts:TagSession` unless told not to).
   */
  createMemberRole(accountId: string, roleName: string, opts: MemberRoleOptions): string {
    const principal = /^\d{12}$/.test(opts.trustedPrincipalArn) ? `arn:${this.world.account(opts.trustedPrincipalArn).partition}:iam::${opts.trustedPrincipalArn}:root` : opts.trustedPrincipalArn;
    const actions = ['sts:AssumeRole', ...(opts.allowTagSession === false ? [] : ['sts:TagSession']), ...(opts.allowSourceIdentity === false ? [] : ['sts:SetSourceIdentity'])];
    const trust = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: principal }, Action: actions, Condition: { StringEquals: { 'sts:ExternalId': opts.externalId } } }],
    };
    return this.createRole(accountId, roleName, {
      trustPolicy: trust,
      ...(opts.attachedPolicyArns ? { attachedPolicyArns: opts.attachedPolicyArns } : {}),
      ...(opts.inlinePolicies ? { inlinePolicies: opts.inlinePolicies } : {}),
    }).arn;
  }

  // ------------------------------------------------------------ seeding: Auto Scaling

  /** An Auto Scaling group around existing instances (InService, healthy, tagged `aws:autoscaling:groupName`). */
  createAutoScalingGroup(opts: SeedGroupOptions & { accountId: string; region: string }): { arn: string } {
    const { accountId, region, ...rest } = opts;
    return { arn: seedAutoScalingGroup(this.world, this.world.account(accountId), region, rest).arn };
  }

  /** One round of Auto Scaling health checks; returns the instances terminated for failing them. */
  runAutoScalingHealthChecks(accountId: string, region: string): string[] {
    return runHealthChecks(this.world.account(accountId), region);
  }

  // ------------------------------------------------------------ seeding: Lambda, GuardDuty

  createFunction(opts: CreateFunctionOptions): { arn: string } {
    const fn = seedFunction(this.world, this.world.account(opts.accountId), opts.region, opts);
    return { arn: fn.functionArn };
  }

  /** Makes a member account's GuardDuty (detector created if missing) managed by `administratorAccountId`. */
  setGuardDutyAdministrator(memberAccountId: string, region: string, administratorAccountId: string): void {
    seedMembership(this.world, this.world.account(memberAccountId), region, administratorAccountId);
  }

  createDetector(accountId: string, region: string): string {
    return seedDetector(this.world, this.world.account(accountId), region);
  }

  /** Stores a finding given as EventBridge `detail` (camelCase), converted to GetFindings' PascalCase. */
  putFinding(accountId: string, region: string, detail: Record<string, unknown>, opts?: PutFindingOptions): { id: string; detectorId: string } {
    return seedFinding(this.world, this.world.account(accountId), region, structuredClone(detail), opts);
  }
}
