import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..', '..');

/** Every .ts file under src/ (the sandboxes and benchmarks live outside it, in sandbox/ and bench/: they are not Cordon talking to Slack or AWS). */
function sources(): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) out.push({ path: relative(ROOT, p), text: readFileSync(p, 'utf8') });
    }
  };
  walk(join(ROOT, 'src'));
  return out;
}

/** The bot scopes each Web API method Cordon calls needs (Slack's method docs). */
const SCOPES: Record<string, string[]> = {
  'auth.test': [],
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  // Cordon's case and bridge channels are private by default; public ones are possible by config.
  'conversations.create': ['groups:write', 'channels:manage'],
  'conversations.setTopic': ['groups:write', 'channels:manage'],
  'conversations.invite': ['groups:write', 'channels:manage'],
  'conversations.join': ['channels:join'],
  // The bot's own DM with a person, where an answer goes when the response_url cannot take it.
  'conversations.open': ['im:write'],
  // A merged case's channel, after its pointer (https://api.slack.com/methods/conversations.archive).
  'conversations.archive': ['groups:write', 'channels:manage'],
  // Lists both kinds, to find a case channel an interrupted flush already created.
  'conversations.list': ['groups:read', 'channels:read'],
  // The bridge summary names escalation contacts who are not in the private case channel.
  'conversations.members': ['groups:read', 'channels:read'],
  'pins.add': ['pins:write'],
  'users.lookupByEmail': ['users:read', 'users:read.email'],
  'usergroups.users.list': ['usergroups:read'],
  // The report: files.getUploadURLExternal + upload + files.completeUploadExternal (what uploadV2 does), all files:write.
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
};

describe('Slack app manifests', () => {
  const called = new Set<string>();
  for (const f of sources()) for (const m of f.text.matchAll(/client\.((?:chat|conversations|pins|users|usergroups|auth|files)(?:\.[a-zA-Z][a-zA-Z0-9]*)+)\(/g)) called.add(m[1]!);

  it('knows the scopes of every method the code calls', () => {
    expect([...called].filter((m) => !(m in SCOPES))).toEqual([]);
    expect(called.size).toBeGreaterThan(8);
  });

  it.each(['app-manifest.yaml', 'app-manifest.socket.yaml'])('%s asks for exactly the scopes the code needs', (file) => {
    const manifest = parse(readFileSync(join(ROOT, 'manifests', 'slack', file), 'utf8')) as { oauth_config: { scopes: { bot: string[] } }; features: { slash_commands: { command: string }[] } };
    const needed = new Set(['commands', ...[...called].flatMap((m) => SCOPES[m] ?? [])]);
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(['/ir']);
  });
});

/** Calls Cordon makes with its own credentials in the security account (its Lambda role grants them). */
const OWN_ACCOUNT = new Set(['GetAccessKeyInfo', 'AssumeRole']);

describe('member-account role', () => {
  /** AWS calls made in member accounts: the playbooks and the suppression filters. */
  const memberCalls = new Set<string>();
  for (const f of sources().filter((x) => x.path.startsWith('src/containment/') || x.path === 'src/services/guardduty-filters.ts')) {
    // Both `new XCommand(` and the lazily loaded `new (sdk().XCommand)(` (cold start, issue 19 point 5).
    for (const m of f.text.matchAll(/new (?:\((?:\w+\(\)\.))?([A-Z][A-Za-z]+)Command\)?\(/g)) if (!OWN_ACCOUNT.has(m[1]!)) memberCalls.add(m[1]!);
  }
  /** Module loaders such as `const sdkSts = (): typeof import('@aws-sdk/client-sts') => require(…)`, by name. */
  const loaders = new Map<string, string>();
  for (const f of sources()) {
    for (const m of f.text.matchAll(/(?:const|function)\s+(\w+)\s*=?\s*\(\)\s*:\s*typeof import\('@aws-sdk\/client-([a-z0-9-]+)'\)/g)) loaders.set(m[1]!, m[2]!);
  }
  const serviceOf = (command: string, files: { text: string }[]): string => {
    for (const f of files) {
      const found =
        new RegExp(`import \\{[^}]*\\b${command}Command\\b[^}]*\\} from '@aws-sdk/client-([a-z0-9-]+)'`, 's').exec(f.text)?.[1] ??
        new RegExp(`\\{[^}]*\\b${command}Command\\b[^}]*\\}\\s*=\\s*require\\('@aws-sdk/client-([a-z0-9-]+)'\\)`, 's').exec(f.text)?.[1] ??
        loaders.get(new RegExp(`new \\((\\w+)\\(\\)\\.${command}Command\\)`).exec(f.text)?.[1] ?? '');
      // The IAM action prefix drops the package's hyphen: client-auto-scaling is autoscaling:*.
      if (found) return found.replace(/-/g, '');
    }
    throw new Error(`no import found for ${command}Command`);
  };

  const doc = parse(readFileSync(join(ROOT, 'manifests', 'aws', 'member-account-role.yaml'), 'utf8'), { customTags: [
    { tag: '!Ref', resolve: (v: string) => ({ Ref: v }) },
    { tag: '!Sub', resolve: (v: string) => ({ Sub: v }) },
    { tag: '!GetAtt', resolve: (v: string) => ({ GetAtt: v }) },
    ...['If', 'Not', 'Equals', 'Join'].map((fn) => ({ tag: `!${fn}`, collection: 'seq' as const, resolve: (v: unknown) => ({ [`Fn::${fn}`]: v }) })),
  ] }) as { Resources: { CordonContainmentRole: { Properties: { AssumeRolePolicyDocument: { Statement: { Principal: { AWS: unknown } }[] }; Policies: { PolicyDocument: { Statement: { Sid?: string; Effect: string; Action: string | string[]; Resource?: unknown; Condition?: Record<string, Record<string, unknown>> }[] } }[] } } } };
  const statements = doc.Resources.CordonContainmentRole.Properties.Policies[0]!.PolicyDocument.Statement;
  const allowed = new Set(statements.filter((s) => s.Effect === 'Allow').flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));

  it('works in every partition: each ARN is built with ${AWS::Partition}, none names arn:aws: literally (issue 15, point 17)', () => {
    for (const file of [join('manifests', 'aws', 'member-account-role.yaml'), 'serverless.yml']) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const literal = text.split('\n').filter((line) => /arn:aws(-cn|-us-gov)?:/.test(line) && !/^\s*#/.test(line));
      expect({ file, literal }).toEqual({ file, literal: [] });
      expect(text).toContain('arn:${AWS::Partition}:');
    }
  });

  it('allows every AWS action the playbooks call, and nothing beyond them', () => {
    const files = sources();
    const needed = new Set([...memberCalls].map((c) => `${serviceOf(c, files)}:${c}`));
    expect([...allowed].filter((a) => a.includes('*'))).toEqual([]);
    expect([...needed].filter((a) => !allowed.has(a)).sort()).toEqual([]);
    expect([...allowed].filter((a) => !needed.has(a)).sort()).toEqual([]);
  });

  it("trusts only the worker's and the ticker's roles, never the slack or findings function", () => {
    const trust = doc.Resources.CordonContainmentRole.Properties.AssumeRolePolicyDocument.Statement;
    expect(trust.length).toBeGreaterThan(0);
    for (const st of trust) expect(st.Principal.AWS).toEqual([{ Ref: 'CordonWorkerRoleArn' }, { Ref: 'CordonTickerRoleArn' }]);
  });

  it('may attach no policy but AWSDenyAll', () => {
    const attach = statements.filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).some((a) => /^iam:(Attach|Detach)/.test(a)));
    expect(attach).toHaveLength(1);
    expect(attach[0]!.Condition).toEqual({ ArnEquals: { 'iam:PolicyARN': { Sub: 'arn:${AWS::Partition}:iam::aws:policy/AWSDenyAll' } } });
  });

  /** Issue 17 point 2: each EC2, GuardDuty and Lambda write the condition keys allow narrowing, narrowed. */
  describe('narrowed statements', () => {
    const actions = (st: { Action: string | string[] }) => (Array.isArray(st.Action) ? st.Action : [st.Action]);
    const allowing = (action: string) => statements.filter((st) => st.Effect === 'Allow' && actions(st).includes(action));
    const sid = (name: string) => statements.find((st) => st.Sid === name)!;
    const code = (path: string) => readFileSync(join(ROOT, path), 'utf8');

    it("security-group rules change only on groups carrying Cordon's cordon:purpose tag", () => {
      for (const a of ['ec2:RevokeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress']) {
        expect(allowing(a)).toEqual([sid('Ec2CordonGroupsOnly')]);
      }
      expect(sid('Ec2CordonGroupsOnly').Condition).toEqual({ StringEquals: { 'aws:ResourceTag/cordon:purpose': ['untrack', 'isolation'] } });
      expect(sid('Ec2CordonGroupsOnly').Resource).toEqual({ Sub: 'arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:security-group/*' });
      // Authorize also names the new rule; that grant is on rules only, never on groups.
      for (const a of ['ec2:AuthorizeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupEgress']) expect(allowing(a).map((st) => st.Sid)).toEqual(['Ec2CordonGroupsOnly', 'Ec2CordonGroupRules']);
      expect(sid('Ec2CordonGroupRules').Resource).toEqual({ Sub: 'arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:security-group-rule/*' });
      // The purposes are the ones the playbook tags its groups with.
      expect(code('src/containment/playbooks/ec2-instance.ts')).toMatch(/TagSpecifications: \[\{ ResourceType: 'security-group', Tags: \[\{ Key: PURPOSE_TAG, Value: purpose \}\] \}\]/);
      expect(code('src/containment/playbooks/ec2-instance.ts')).toContain("export const PURPOSE_TAG = 'cordon:purpose';");
    });

    it("CreateSecurityGroup only with Cordon's request tag and no other tag", () => {
      expect(allowing('ec2:CreateSecurityGroup')).toEqual([sid('Ec2CreateCordonGroup'), sid('Ec2CreateGroupInVpc')]);
      expect(sid('Ec2CreateCordonGroup').Resource).toEqual({ Sub: 'arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:security-group/*' });
      expect(sid('Ec2CreateCordonGroup').Condition).toEqual({
        StringEquals: { 'aws:RequestTag/cordon:purpose': ['untrack', 'isolation'] },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['cordon:purpose'] },
      });
      // The VPC resource carries no request tags (SAR): granted apart, on VPCs only, so the tag conditions bind the group.
      expect(sid('Ec2CreateGroupInVpc')).toEqual({ Sid: 'Ec2CreateGroupInVpc', Effect: 'Allow', Action: 'ec2:CreateSecurityGroup', Resource: { Sub: 'arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:vpc/*' } });
    });

    it('ModifyInstanceAttribute only for the attributes Cordon changes, and never userData', () => {
      expect(allowing('ec2:ModifyInstanceAttribute')).toEqual([sid('Ec2InstanceAttributes')]);
      expect(sid('Ec2InstanceAttributes').Condition).toEqual({ StringEqualsIgnoreCase: { 'ec2:Attribute': ['disableApiTermination', 'instanceInitiatedShutdownBehavior'] } });
      expect(sid('NeverUserData')).toMatchObject({ Effect: 'Deny', Action: 'ec2:ModifyInstanceAttribute', Resource: '*', Condition: { StringEqualsIgnoreCase: { 'ec2:Attribute': ['userData'] } } });
      // The attributes are the ones the playbook sets, and nothing else.
      const set = [...code('src/containment/playbooks/ec2-instance.ts').matchAll(/new ModifyInstanceAttributeCommand\(\{ InstanceId: (?:id|param\(step, 'instanceId'\)), (\w+):/g)].map((m) => m[1]!);
      expect([...new Set(set)].sort()).toEqual(['DisableApiTermination', 'InstanceInitiatedShutdownBehavior']);
    });

    it('tags only cordon:* keys, always named; evidence snapshots carry the case tag', () => {
      for (const a of ['ec2:CreateTags', 'ec2:DeleteTags']) expect(allowing(a)).toEqual([sid('Ec2CordonTagsOnly')]);
      expect(sid('Ec2CordonTagsOnly').Condition).toEqual({ 'ForAllValues:StringLike': { 'aws:TagKeys': ['cordon:*'] }, Null: { 'aws:TagKeys': 'false' } });
      // Every tag key the playbook writes (a constant or a literal after `Key:`).
      const ec2 = code('src/containment/playbooks/ec2-instance.ts');
      const constants = Object.fromEntries([...ec2.matchAll(/export const (\w+_TAG) = '([^']+)'/g)].map((m) => [m[1]!, m[2]!]));
      // (Revert restores only the prior values of CASE_TAG and ACTION_TAG: `prior.tags` is built from those two.)
      expect(ec2).toContain('for (const k of [CASE_TAG, ACTION_TAG]) priorTags[k]');
      const keys = [...ec2.matchAll(/\{ Key: ([A-Z_]+_TAG|'[^']+')/g)].map((m) => (m[1]!.startsWith("'") ? m[1]!.slice(1, -1) : (constants[m[1]!] ?? m[1]!)));
      expect(new Set(keys).size).toBeGreaterThan(3);
      for (const k of keys) expect(k.startsWith('cordon:')).toBe(true);
      expect(sid('Ec2EvidenceSnapshots').Condition).toEqual({ Null: { 'aws:RequestTag/cordon:case': 'false' } });
      expect(sid('Ec2EvidenceSnapshots').Resource).toEqual({ Sub: 'arn:${AWS::Partition}:ec2:*::snapshot/*' });
      // The volume carries no request tag (SAR): granted apart, on volumes only.
      expect(allowing('ec2:CreateSnapshot')).toEqual([sid('Ec2EvidenceSnapshots'), sid('Ec2SnapshotVolumes')]);
      expect(sid('Ec2SnapshotVolumes')).toEqual({ Sid: 'Ec2SnapshotVolumes', Effect: 'Allow', Action: 'ec2:CreateSnapshot', Resource: { Sub: 'arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:volume/*' } });
    });

    it('GuardDuty filter writes only on cordon-named filters', () => {
      expect(sid('GuardDutyCordonFilters').Resource).toEqual({ Sub: 'arn:${AWS::Partition}:guardduty:*:${AWS::AccountId}:detector/*/filter/cordon-*' });
      // The filter is the only resource type of both actions (SAR): no grant on the detector.
      for (const a of ['guardduty:CreateFilter', 'guardduty:DeleteFilter']) expect(allowing(a)).toEqual([sid('GuardDutyCordonFilters')]);
      expect(allowed.has('guardduty:UpdateFilter')).toBe(false);
      // In the member account, or in the GuardDuty administrator account with the member's id (issue 15, point 19).
      expect(code('src/services/guardduty-filters.ts')).toContain('const name = host === accountId ? `cordon-${ruleId}` : `cordon-${ruleId}-${accountId}`;');
    });

    it('reads a Lambda function without the presigned URL of its code', () => {
      expect(allowed.has('lambda:GetFunction')).toBe(false);
      expect(allowed.has('lambda:GetFunctionConfiguration')).toBe(true);
    });
  });
});
