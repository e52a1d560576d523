import type { ClientFactory } from '../../src/aws/aws-clients';
import type { AwsSandbox } from './aws-sandbox';

/**
 * Cordon's ClientFactory over the simulated AWS: real SDK clients, with Cordon acting
 * as the `sandbox-admin` role of `securityAccount` (where it runs).
 */
export function sandboxClientFactory(sb: AwsSandbox, securityAccount: string, opts: { maxAttempts?: number; retryMode?: 'standard' | 'adaptive' } = {}): ClientFactory {
  const o = { retryMode: opts.retryMode ?? ('adaptive' as const), maxAttempts: opts.maxAttempts ?? 10 };
  return {
    sts: () => sb.sts(securityAccount, o),
    ec2: (region, credentials) => sb.ec2(securityAccount, region, { ...o, credentials }),
    iam: (credentials) => sb.iam(securityAccount, { ...o, credentials }),
    lambda: (region, credentials) => sb.lambda(securityAccount, region, { ...o, credentials }),
    guardduty: (region, credentials) => sb.guardduty(securityAccount, region, { ...o, credentials }),
    autoScaling: (region, credentials) => sb.autoScaling(securityAccount, region, { ...o, credentials }),
  };
}
