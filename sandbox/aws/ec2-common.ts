/** Shared EC2 plumbing: id lookups with EC2's own error codes, filters, paging and tags. */
import type { Filter, Tag, TagSpecification } from '@aws-sdk/client-ec2';
import { SimError } from './sim-errors';
import { Ec2State, KeyValueTag, regionOf } from './sim-state';
import { CallContext, decodeToken, encodeToken } from './sim-world';

export type Out<T> = Omit<T, '$metadata'>;

export function ec2Of(ctx: CallContext): Ec2State {
  return regionOf(ctx.account, ctx.region).ec2;
}

/**
 * The EC2 state as a call sees it: a security group created less than the sandbox's
 * visibility delay ago is not there yet. EC2 is eventually consistent: "If you
 * successfully run the CreateSecurityGroup command, and then immediately run another
 * command using the security group ID that was provided in the response of
 * CreateSecurityGroup, it might return an InvalidGroup.NotFound error"
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/query-api-troubleshooting.html#eventual-consistency).
 * Reads only: the group objects are shared, but adding or deleting a group must go
 * through {@link ec2Of}.
 */
export function visibleEc2(ctx: CallContext): Ec2State {
  const ec2 = ec2Of(ctx);
  const hidden = Object.values(ec2.securityGroups).filter((g) => g.visibleAt !== undefined && g.visibleAt > ctx.now);
  if (!hidden.length) return ec2;
  const securityGroups = { ...ec2.securityGroups };
  for (const g of hidden) delete securityGroups[g.groupId];
  return { ...ec2, securityGroups };
}

// ---------------------------------------------------------------- ids and lookups

export interface IdKind {
  prefix: string;
  notFound: string;
  malformed: string;
  message: (ids: string[]) => string;
}

const plural = (ids: string[], one: string, many: string): string => (ids.length === 1 ? one : many);

export const KINDS = {
  instance: {
    prefix: 'i',
    notFound: 'InvalidInstanceID.NotFound',
    malformed: 'InvalidInstanceID.Malformed',
    message: (ids: string[]) => `The instance ${plural(ids, 'ID', 'IDs')} '${ids.join(', ')}' ${plural(ids, 'does', 'do')} not exist`,
  },
  group: {
    prefix: 'sg',
    notFound: 'InvalidGroup.NotFound',
    malformed: 'InvalidGroupId.Malformed',
    message: (ids: string[]) => `The security group '${ids.join(', ')}' does not exist`,
  },
  eni: {
    prefix: 'eni',
    notFound: 'InvalidNetworkInterfaceID.NotFound',
    malformed: 'InvalidNetworkInterfaceId.Malformed',
    message: (ids: string[]) => `The networkInterface ${plural(ids, 'ID', 'IDs')} '${ids.join(', ')}' ${plural(ids, 'does', 'do')} not exist`,
  },
  volume: {
    prefix: 'vol',
    notFound: 'InvalidVolume.NotFound',
    malformed: 'InvalidVolumeID.Malformed',
    message: (ids: string[]) => `The ${plural(ids, 'volume', 'volumes')} '${ids.join(', ')}' ${plural(ids, 'does', 'do')} not exist.`,
  },
  snapshot: {
    prefix: 'snap',
    notFound: 'InvalidSnapshot.NotFound',
    malformed: 'InvalidSnapshotID.Malformed',
    message: (ids: string[]) => `The ${plural(ids, 'snapshot', 'snapshots')} '${ids.join(', ')}' ${plural(ids, 'does', 'do')} not exist.`,
  },
  vpc: {
    prefix: 'vpc',
    notFound: 'InvalidVpcID.NotFound',
    malformed: 'InvalidVpcID.Malformed',
    message: (ids: string[]) => `The vpc ${plural(ids, 'ID', 'IDs')} '${ids.join(', ')}' ${plural(ids, 'does', 'do')} not exist`,
  },
  subnet: {
    prefix: 'subnet',
    notFound: 'InvalidSubnetID.NotFound',
    malformed: 'InvalidSubnetID.Malformed',
    message: (ids: string[]) => `The subnet ${plural(ids, 'ID', 'IDs')} '${ids.join(', ')}' ${plural(ids, 'does', 'do')} not exist`,
  },
} satisfies Record<string, IdKind>;

function checkFormat(kind: IdKind, id: string): void {
  if (!new RegExp(`^${kind.prefix}-(?:[0-9a-f]{8}|[0-9a-f]{17})$`).test(id)) {
    throw new SimError(kind.malformed, `Invalid id: "${id}" (expecting "${kind.prefix}-...")`);
  }
}

/** Resolves ids the way EC2 does: malformed first, then every unknown id in one error. */
export function lookupAll<T>(map: Record<string, T>, kind: IdKind, ids: readonly string[]): T[] {
  ids.forEach((id) => checkFormat(kind, id));
  const missing = ids.filter((id) => !map[id]);
  if (missing.length > 0) throw new SimError(kind.notFound, kind.message(missing));
  return [...new Set(ids)].map((id) => map[id] as T);
}

export function lookup<T>(map: Record<string, T>, kind: IdKind, id: string | undefined, param: string): T {
  if (id === undefined || id === '') throw new SimError('MissingParameter', `The request must contain the parameter ${param}`);
  const [found] = lookupAll(map, kind, [id]);
  return found as T;
}

// ---------------------------------------------------------------- filters and paging

export type FilterExtractors<T> = Record<string, (item: T) => (string | number | boolean | undefined)[]>;

export function filterValueMatches(pattern: string, value: string): boolean {
  // EC2 filter values accept * and ? wildcards.
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === value;
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  return re.test(value);
}

export function applyFilters<T extends { tags: KeyValueTag[] }>(items: T[], filters: Filter[] | undefined, extractors: FilterExtractors<T>): T[] {
  if (!filters || filters.length === 0) return items;
  const tests = filters.map((f) => {
    const name = f.Name ?? '';
    const values = f.Values ?? [];
    let extract: ((item: T) => (string | number | boolean | undefined)[]) | undefined;
    if (name.startsWith('tag:')) {
      const key = name.slice(4);
      extract = (item) => item.tags.filter((t) => t.Key === key).map((t) => t.Value);
    } else if (name === 'tag-key') {
      extract = (item) => item.tags.map((t) => t.Key);
    } else if (name === 'tag-value') {
      extract = (item) => item.tags.map((t) => t.Value);
    } else {
      extract = extractors[name];
    }
    if (!extract) throw new SimError('InvalidParameterValue', `The filter '${name}' is invalid`);
    const fn = extract;
    return (item: T): boolean =>
      fn(item)
        .filter((v): v is string | number | boolean => v !== undefined)
        .some((v) => values.some((pat) => filterValueMatches(pat, String(v))));
  });
  return items.filter((item) => tests.every((t) => t(item)));
}

export function page<T>(items: T[], maxResults: number | undefined, nextToken: string | undefined, scope: string): { items: T[]; nextToken?: string } {
  let start = 0;
  if (nextToken) {
    const decoded = decodeToken(nextToken, scope);
    if (decoded === undefined) throw new SimError('InvalidNextToken', 'The specified token is invalid.');
    start = decoded;
  }
  if (maxResults === undefined) return { items: items.slice(start) };
  const end = start + maxResults;
  return end < items.length ? { items: items.slice(start, end), nextToken: encodeToken(end, scope) } : { items: items.slice(start) };
}

// ---------------------------------------------------------------- tags

export function tagsOut(tags: KeyValueTag[]): { Tags?: Tag[] } {
  // EC2 leaves Tags out entirely when a resource has none.
  return tags.length > 0 ? { Tags: tags.map((t) => ({ Key: t.Key, Value: t.Value })) } : {};
}

export function validateTags(tags: readonly Tag[]): KeyValueTag[] {
  return tags.map((t) => {
    const key = t.Key;
    if (key === undefined || key === '') throw new SimError('InvalidParameterValue', 'Tag key cannot be empty');
    if (key.length > 128) throw new SimError('InvalidParameterValue', `Tag key exceeds the maximum length of 128 characters`);
    if (key.toLowerCase().startsWith('aws:')) throw new SimError('InvalidParameterValue', "Tag keys starting with 'aws:' are reserved for internal use");
    const value = t.Value ?? '';
    if (value.length > 256) throw new SimError('InvalidParameterValue', 'Tag value exceeds the maximum length of 256 characters');
    return { Key: key, Value: value };
  });
}

export function mergeTags(target: KeyValueTag[], tags: KeyValueTag[]): KeyValueTag[] {
  const out = target.map((t) => ({ ...t }));
  for (const t of tags) {
    const existing = out.find((x) => x.Key === t.Key);
    if (existing) existing.Value = t.Value;
    else out.push({ ...t });
  }
  if (out.length > 50) throw new SimError('TagLimitExceeded', 'The maximum number of Tags for a resource has been reached.');
  return out;
}

export function tagsFromSpecs(specs: TagSpecification[] | undefined, resourceType: string): KeyValueTag[] {
  let tags: KeyValueTag[] = [];
  for (const spec of specs ?? []) {
    if (spec.ResourceType !== resourceType) {
      throw new SimError('InvalidParameterValue', `'${spec.ResourceType ?? ''}' is not a valid taggable resource type for this operation.`);
    }
    tags = mergeTags(tags, validateTags(spec.Tags ?? []));
  }
  return tags;
}

export type Taggable = { tags: KeyValueTag[] };

export function resourceByTagId(ec2: Ec2State, id: string): { item: Taggable; type: string } {
  const prefix = id.split('-')[0] ?? '';
  switch (prefix) {
    case 'i':
      return { item: lookup(ec2.instances, KINDS.instance, id, 'ResourceId'), type: 'instance' };
    case 'sg':
      return { item: lookup(ec2.securityGroups, KINDS.group, id, 'ResourceId'), type: 'security-group' };
    case 'eni':
      return { item: lookup(ec2.networkInterfaces, KINDS.eni, id, 'ResourceId'), type: 'network-interface' };
    case 'vol':
      return { item: lookup(ec2.volumes, KINDS.volume, id, 'ResourceId'), type: 'volume' };
    case 'snap':
      return { item: lookup(ec2.snapshots, KINDS.snapshot, id, 'ResourceId'), type: 'snapshot' };
    case 'vpc':
      return { item: lookup(ec2.vpcs, KINDS.vpc, id, 'ResourceId'), type: 'vpc' };
    case 'subnet':
      return { item: lookup(ec2.subnets, KINDS.subnet, id, 'ResourceId'), type: 'subnet' };
    default:
      throw new SimError('InvalidID', `The ID '${id}' is not valid`);
  }
}
