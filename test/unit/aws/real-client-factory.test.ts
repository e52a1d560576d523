import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { realClientFactory, type AwsService } from '../../../src/aws/aws-clients';
import { loadPlaybook } from '../../../src/containment/playbooks';
import type { ResourceKind } from '../../../src/domain/actions/target';
import { CordonError } from '../../../src/errors';

const creds = () => Promise.resolve({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' });

describe('the real client factory loads each SDK module on first use', () => {
  it('refuses a client whose module was not loaded, and builds it once loaded', async () => {
    const f = realClientFactory('us-east-1');
    expect(() => f.ec2('eu-west-1', creds)).toThrow(CordonError);
    expect(() => f.sts()).toThrow(/sts SDK client was asked for before ClientFactory.load/);
    await f.load!(['sts', 'ec2']);
    const ec2 = f.ec2('eu-west-1', creds);
    expect(ec2).toBeInstanceOf(EC2Client);
    expect(await ec2.config.region()).toBe('eu-west-1');
    expect(f.sts()).toBeInstanceOf(STSClient);
    // Only what was loaded: IAM was not asked for.
    expect(() => f.iam(creds)).toThrow(CordonError);
    await f.load!(['iam']);
    expect(f.iam(creds)).toBeInstanceOf(IAMClient);
  });
});

describe('each playbook names the SDK clients its steps use', () => {
  const FILES: Record<ResourceKind, string> = {
    'ec2-instance': 'ec2-instance.ts',
    'iam-user': 'iam-user.ts',
    'iam-role': 'iam-role.ts',
    'lambda-function': 'lambda-function.ts',
    'access-key': 'access-key.ts',
  };

  it.each(Object.entries(FILES) as [ResourceKind, string][])('%s', async (kind, file) => {
    // The clients its source asks the session for (`ctx.clients.ec2(region)`, `.iam()`…): the real
    // factory builds only those loaded, so one left out would fail on Lambda, not in the sandbox.
    const text = readFileSync(join(__dirname, '..', '..', '..', 'src', 'containment', 'playbooks', file), 'utf8');
    const used = new Set([...text.matchAll(/\.(ec2|iam|lambda|guardduty|autoScaling)\(/g)].map((m) => m[1] as AwsService));
    expect(used.size).toBeGreaterThan(0);
    const playbook = await loadPlaybook(kind);
    expect([...playbook.services].sort()).toEqual([...used].sort());
  });
});
