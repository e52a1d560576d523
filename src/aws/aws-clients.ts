import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { GuardDutyClient } from '@aws-sdk/client-guardduty';
import type { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { AdaptiveRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, RetryStrategyV2 } from '@smithy/types';
import { assertAccountAllowed } from '../containment/action-ledger';
import type { Partition } from '../domain/actions/target';
import { CordonError, ErrorCode } from '../errors';

/** The member-account services whose SDK clients a job may ask for. */
export type AwsService = 'ec2' | 'iam' | 'lambda' | 'guardduty' | 'autoScaling';

/** Builds SDK clients; tests hand in one whose clients are attached to the simulated AWS. */
export interface ClientFactory {
  /**
   * Loads the SDK modules of these services (and `sts`) before their clients are built. The
   * real factory imports each module on first use, so a cold start parses only what a job
   * needs (each is a chunk of its own in the Lambda bundles); the builders below stay
   * synchronous. A factory whose clients are loaded already leaves it out.
   */
  load?(services: readonly (AwsService | 'sts')[]): Promise<void>;
  /** STS with Cordon's own credentials (to assume roles and look up key owners). */
  sts(): STSClient;
  ec2(region: string, credentials: AwsCredentialIdentityProvider): EC2Client;
  iam(credentials: AwsCredentialIdentityProvider): IAMClient;
  lambda(region: string, credentials: AwsCredentialIdentityProvider): LambdaClient;
  guardduty(region: string, credentials: AwsCredentialIdentityProvider): GuardDutyClient;
  autoScaling(region: string, credentials: AwsCredentialIdentityProvider): AutoScalingClient;
}

/** SDK clients acting in one member account, as one action's session. */
export interface AccountClients {
  accountId: string;
  ec2(region: string): EC2Client;
  iam(): IAMClient;
  lambda(region: string): LambdaClient;
  guardduty(region: string): GuardDutyClient;
  autoScaling(region: string): AutoScalingClient;
}

/** Each SDK client class, as its module exports it, and the SDK's retry strategy the IAM clients wrap. */
interface SdkClasses {
  sts: typeof STSClient;
  ec2: typeof EC2Client;
  iam: typeof IAMClient;
  lambda: typeof LambdaClient;
  guardduty: typeof GuardDutyClient;
  autoScaling: typeof AutoScalingClient;
  adaptiveRetry: typeof AdaptiveRetryStrategy;
}

/**
 * Dynamic imports, not `require`: esbuild splits each into a chunk of the Lambda bundles that
 * is parsed only when loaded (a lazy `require` inside one bundle is parsed at every cold start).
 */
const SDK_LOADERS: { [K in keyof SdkClasses]: () => Promise<SdkClasses[K]> } = {
  sts: async () => (await import('@aws-sdk/client-sts')).STSClient,
  ec2: async () => (await import('@aws-sdk/client-ec2')).EC2Client,
  iam: async () => (await import('@aws-sdk/client-iam')).IAMClient,
  lambda: async () => (await import('@aws-sdk/client-lambda')).LambdaClient,
  guardduty: async () => (await import('@aws-sdk/client-guardduty')).GuardDutyClient,
  autoScaling: async () => (await import('@aws-sdk/client-auto-scaling')).AutoScalingClient,
  adaptiveRetry: async () => (await import('@smithy/core/retry')).AdaptiveRetryStrategy,
};

async function loadSdk<K extends keyof SdkClasses>(loaded: Partial<SdkClasses>, service: K): Promise<void> {
  loaded[service] ??= await SDK_LOADERS[service]();
}

/** Throttling is retried, not fatal (docs/architecture.md §8). */
const CLIENT_DEFAULTS = { retryMode: 'adaptive' as const, maxAttempts: 10 };

/** A retry strategy as the SDK's own are: `mode` names it in the SDK's user agent. */
export type ModalRetryStrategy = RetryStrategyV2 & { mode?: string };

/**
 * The retry strategy of Cordon's IAM clients: the SDK's own (`inner`), except that IAM's
 * `LimitExceeded` is not retried. The SDK counts `LimitExceededException` among throttling
 * errors (THROTTLING_ERROR_CODES in @smithy/core/retry), as it is for services that use the
 * name for a rate limit; IAM uses it for a quota ("attempted to create resources beyond the
 * current Amazon Web Services account limits": the role inline-policy size of 10,240
 * characters, 10 managed policies per role, 2 access keys per user; the LimitExceeded error of
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html, and
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). Retrying a
 * full quota cannot succeed and only holds back the playbooks' fallback (ec2-instance.ts,
 * iam-deny.ts) by the SDK's backoff, up to tens of seconds with 10 attempts, while the
 * target stays uncontained. IAM's rate limiting answers `Throttling` ("Throttling: Rate
 * exceeded, status code: 400", https://repost.aws/knowledge-center/iam-sts-throttling-error),
 * which stays retried. The error is classed as a client error for the inner strategy, so
 * the adaptive one does not slow the client's sending rate for it either.
 */
export function iamRetryStrategy(inner: ModalRetryStrategy): ModalRetryStrategy {
  const quotaIsFinal = (info: RetryErrorInfo): RetryErrorInfo =>
    info.error?.name === 'LimitExceededException' ? { ...info, errorType: 'CLIENT_ERROR' } : info;
  return {
    ...(inner.mode !== undefined ? { mode: inner.mode } : {}),
    acquireInitialRetryToken: (scope) => inner.acquireInitialRetryToken(scope),
    refreshRetryTokenForRetry: (token, info) => inner.refreshRetryTokenForRetry(token, quotaIsFinal(info)),
    recordSuccess: (token) => inner.recordSuccess(token),
  };
}

/** Real AWS: the default credential chain, adaptive retries, `AWS_ENDPOINT_URL` honoured by the SDK. */
export function realClientFactory(defaultRegion: string): ClientFactory {
  const loaded: Partial<SdkClasses> = {};
  const sdk = <K extends keyof SdkClasses>(service: K): SdkClasses[K] => {
    const cls = loaded[service];
    // A programming error, not an AWS one: the caller named the services it uses too narrowly.
    if (!cls) throw new CordonError(ErrorCode.AWS_FAILED, `the ${service} SDK client was asked for before ClientFactory.load loaded it`);
    return cls;
  };
  return {
    load: async (services) => {
      const modules: (keyof SdkClasses)[] = services.includes('iam') ? [...services, 'adaptiveRetry'] : [...services];
      await Promise.all(modules.map((s) => loadSdk(loaded, s)));
    },
    sts: () => new (sdk('sts'))({ region: defaultRegion, ...CLIENT_DEFAULTS }),
    ec2: (region, credentials) => new (sdk('ec2'))({ region, credentials, ...CLIENT_DEFAULTS }),
    iam: (credentials) =>
      new (sdk('iam'))({
        region: defaultRegion,
        credentials,
        ...CLIENT_DEFAULTS,
        // One strategy per client, as the SDK makes its default one (its adaptive rate is per client).
        retryStrategy: iamRetryStrategy(new (sdk('adaptiveRetry'))(CLIENT_DEFAULTS.maxAttempts)),
      }),
    lambda: (region, credentials) => new (sdk('lambda'))({ region, credentials, ...CLIENT_DEFAULTS }),
    guardduty: (region, credentials) => new (sdk('guardduty'))({ region, credentials, ...CLIENT_DEFAULTS }),
    autoScaling: (region, credentials) => new (sdk('autoScaling'))({ region, credentials, ...CLIENT_DEFAULTS }),
  };
}

/** Who acts, for the session name and tags CloudTrail will show. */
export interface SessionIdentity {
  actionId: string;
  /** Slack user id or `cli:<user>`. */
  requestedBy: string;
}

export interface AssumeOptions {
  roleName: string;
  externalId: string;
  sessionSeconds: number;
  allowedAccounts: string[];
  /** The partition of the member accounts (`aws` by default): the role ARN is built in it. */
  partition?: Partition;
  now?: () => Date;
}

/** SourceIdentity: 2-64 of letters, digits and +=,.@_- (STS refuses anything else). */
export function sourceIdentity(who: string): string {
  const v = who.replace(/[^\w+=,.@-]/g, '_').slice(0, 64);
  return v.length >= 2 ? v : `${v}__`.slice(0, 2);
}

/** Session tag values allow a limited alphabet. */
function tagValue(v: string): string {
  return v.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, 256);
}

/**
 * Assumes the containment role in member accounts with the external id, one session
 * per action and acting person (`cordon-<action-id>`, tagged with that person and carrying
 * them as `SourceIdentity`, which CloudTrail keeps through any further role use), cached
 * until a minute before it expires: a revert runs in a session of whoever reverted, never
 * in the requester's. Accounts outside the allowlist are refused before any call.
 */
export class CrossAccountClients {
  private readonly cache = new Map<string, { creds: AwsCredentialIdentity; clients: AccountClients }>();

  constructor(
    private readonly factory: ClientFactory,
    private readonly opts: AssumeOptions,
  ) {}

  /** The accounts Cordon may act in (the config's accounts). */
  get allowedAccounts(): readonly string[] {
    return this.opts.allowedAccounts;
  }

  assertAllowed(accountId: string): void {
    assertAccountAllowed(this.opts.allowedAccounts, accountId);
  }

  /** `services`: the SDK clients the caller will ask the session for (loaded here, see ClientFactory.load). */
  async forAccount(accountId: string, who: SessionIdentity, services: readonly AwsService[] = []): Promise<AccountClients> {
    this.assertAllowed(accountId);
    await this.factory.load?.(['sts', ...services]);
    const key = `${accountId}/${who.actionId}/${who.requestedBy}`;
    const now = (this.opts.now ?? (() => new Date()))().getTime();
    const hit = this.cache.get(key);
    if (hit && (hit.creds.expiration?.getTime() ?? Infinity) - 60_000 > now) return hit.clients;
    const roleArn = `arn:${this.opts.partition ?? 'aws'}:iam::${accountId}:role/${this.opts.roleName}`;
    const { AssumeRoleCommand } = await import('@aws-sdk/client-sts');
    let out;
    try {
      out = await this.factory.sts().send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: `cordon-${who.actionId}`.slice(0, 64),
          ExternalId: this.opts.externalId,
          DurationSeconds: this.opts.sessionSeconds,
          SourceIdentity: sourceIdentity(who.requestedBy),
          Tags: [
            { Key: 'cordon-action', Value: tagValue(who.actionId) },
            { Key: 'requested-by', Value: tagValue(who.requestedBy) },
          ],
        }),
      );
    } catch (err) {
      const name = (err as { name?: string }).name ?? 'Error';
      throw new CordonError(
        ErrorCode.AWS_FAILED,
        `cannot assume ${roleArn} (${name}): check that the member-account role exists, trusts Cordon and expects this external id`,
        { accountId, awsError: name },
      );
    }
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new CordonError(ErrorCode.AWS_FAILED, `AssumeRole into ${roleArn} returned no credentials`);
    const creds: AwsCredentialIdentity = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
      ...(c.Expiration ? { expiration: c.Expiration } : {}),
    };
    const provider: AwsCredentialIdentityProvider = () => Promise.resolve(creds);
    const ec2 = new Map<string, EC2Client>();
    const lambda = new Map<string, LambdaClient>();
    const guardduty = new Map<string, GuardDutyClient>();
    const autoScaling = new Map<string, AutoScalingClient>();
    let iam: IAMClient | undefined;
    const clients: AccountClients = {
      accountId,
      ec2: (region) => ec2.get(region) ?? ec2.set(region, this.factory.ec2(region, provider)).get(region)!,
      iam: () => (iam ??= this.factory.iam(provider)),
      lambda: (region) => lambda.get(region) ?? lambda.set(region, this.factory.lambda(region, provider)).get(region)!,
      guardduty: (region) => guardduty.get(region) ?? guardduty.set(region, this.factory.guardduty(region, provider)).get(region)!,
      autoScaling: (region) => autoScaling.get(region) ?? autoScaling.set(region, this.factory.autoScaling(region, provider)).get(region)!,
    };
    this.cache.set(key, { creds, clients });
    return clients;
  }
}
