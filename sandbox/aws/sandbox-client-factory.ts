import { AdaptiveRetryStrategy, StandardRetryStrategy } from '@smithy/core/retry';
import { iamRetryStrategy, type ClientFactory } from '../../src/aws/aws-clients';
import type { AwsSandbox } from './aws-sandbox';

/**
 * Cordon's ClientFactory over the simulated AWS: real SDK clients, with Cordon acting
 * as the `sandbox-admin` role of `securityAccount` (where it runs). IAM clients get the
 * retry strategy of the real factory (src/aws/aws-clients.ts: IAM's LimitExceeded is final).
 */
export function sandboxClientFactory(
  sb: AwsSandbox,
  securityAccount: string,
  opts: { maxAttempts?: number; retryMode?: 'standard' | 'adaptive'; /** Of STS and IAM, as Cordon's default region: its partition is theirs. */ region?: string } = {},
): ClientFactory {
  const o = { retryMode: opts.retryMode ?? ('adaptive' as const), maxAttempts: opts.maxAttempts ?? 10 };
  const global = opts.region ? { region: opts.region } : {};
  return {
    sts: () => sb.sts(securityAccount, { ...o, ...global }),
    ec2: (region, credentials) => sb.ec2(securityAccount, region, { ...o, credentials }),
    iam: (credentials) =>
      sb.iam(securityAccount, {
        ...o,
        ...global,
        credentials,
        retryStrategy: iamRetryStrategy(o.retryMode === 'standard' ? new StandardRetryStrategy(o.maxAttempts) : new AdaptiveRetryStrategy(o.maxAttempts)),
      }),
    lambda: (region, credentials) => sb.lambda(securityAccount, region, { ...o, credentials }),
    guardduty: (region, credentials) => sb.guardduty(securityAccount, region, { ...o, credentials }),
    autoScaling: (region, credentials) => sb.autoScaling(securityAccount, region, { ...o, credentials }),
  };
}
