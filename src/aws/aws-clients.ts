import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { GuardDutyClient } from '@aws-sdk/client-guardduty';
import type { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { assertAccountAllowed } from '../containment/action-ledger';
import type { Partition } from '../domain/actions/target';
import { CordonError, ErrorCode } from '../errors';

/** Builds SDK clients; tests hand in one whose clients are attached to the simulated AWS. */
export interface ClientFactory {
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

/** The STS module, loaded on first use (see realClientFactory). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const sdkSts = (): typeof import('@aws-sdk/client-sts') => require('@aws-sdk/client-sts') as typeof import('@aws-sdk/client-sts');

/** Throttling is retried, not fatal (docs/architecture.md §8). */
const CLIENT_DEFAULTS = { retryMode: 'adaptive' as const, maxAttempts: 10 };

/** Real AWS: the default credential chain, adaptive retries, `AWS_ENDPOINT_URL` honoured by the SDK. */
export function realClientFactory(defaultRegion: string): ClientFactory {
  return {
    // Each SDK client is loaded when a job first needs it, not when the worker and ticker
    // start: a cold start that runs a tick or one playbook parses only what that uses.
    sts: () => new (sdkSts().STSClient)({ region: defaultRegion, ...CLIENT_DEFAULTS }),
    ec2: (region, credentials) => {
      // The EC2 client is the heaviest module Cordon loads: only the worker needs it, so the
      // slack function's cold start does not pay for it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { EC2Client: Client } = require('@aws-sdk/client-ec2') as typeof import('@aws-sdk/client-ec2');
      return new Client({ region, credentials, ...CLIENT_DEFAULTS });
    },
    iam: (credentials) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { IAMClient: Client } = require('@aws-sdk/client-iam') as typeof import('@aws-sdk/client-iam');
      return new Client({ region: defaultRegion, credentials, ...CLIENT_DEFAULTS });
    },
    lambda: (region, credentials) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { LambdaClient: Client } = require('@aws-sdk/client-lambda') as typeof import('@aws-sdk/client-lambda');
      return new Client({ region, credentials, ...CLIENT_DEFAULTS });
    },
    guardduty: (region, credentials) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { GuardDutyClient: Client } = require('@aws-sdk/client-guardduty') as typeof import('@aws-sdk/client-guardduty');
      return new Client({ region, credentials, ...CLIENT_DEFAULTS });
    },
    autoScaling: (region, credentials) => {
      // Only the EC2 playbook needs it (Standby for Auto Scaling members): loaded on first use, as EC2 is.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { AutoScalingClient: Client } = require('@aws-sdk/client-auto-scaling') as typeof import('@aws-sdk/client-auto-scaling');
      return new Client({ region, credentials, ...CLIENT_DEFAULTS });
    },
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

  async forAccount(accountId: string, who: SessionIdentity): Promise<AccountClients> {
    this.assertAllowed(accountId);
    const key = `${accountId}/${who.actionId}/${who.requestedBy}`;
    const now = (this.opts.now ?? (() => new Date()))().getTime();
    const hit = this.cache.get(key);
    if (hit && (hit.creds.expiration?.getTime() ?? Infinity) - 60_000 > now) return hit.clients;
    const roleArn = `arn:${this.opts.partition ?? 'aws'}:iam::${accountId}:role/${this.opts.roleName}`;
    let out;
    try {
      out = await this.factory.sts().send(
        new (sdkSts().AssumeRoleCommand)({
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
