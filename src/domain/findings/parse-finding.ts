import * as z from 'zod';
import type { Finding, FindingResource } from './finding';
import { camelizeKeys } from './normalize-keys';

/** GuardDuty's epoch-ms, epoch-s and ISO timestamps, as one ISO string. */
const timestamp = z.union([z.string().min(1), z.number()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? (v < 1e11 ? v * 1000 : v) : Date.parse(v);
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: `"${String(v)}" is not a timestamp` });
    return z.NEVER;
  }
  return new Date(ms).toISOString();
});

const tagList = z
  .array(z.looseObject({ key: z.string().nullish(), value: z.string().nullish() }))
  .nullish()
  .transform((tags) => tags ?? []);

const optStr = z.string().nullish().transform((v) => v ?? undefined);

const remoteIpDetails = z
  .looseObject({ ipAddressV4: optStr, ipAddressV6: optStr })
  .nullish();

const findingSchema = z.looseObject({
  id: z.string({ error: 'the finding has no id (a string)' }).min(1, 'the finding id is empty').max(300),
  arn: z.string().max(2048).nullish(),
  type: z
    .string()
    .max(200)
    .regex(/^[A-Za-z]+:[A-Za-z0-9]+\/[\w.!&-]+$/, 'the type is not ThreatPurpose:ResourceType/ThreatFamily.Detail'),
  accountId: z.string().regex(/^\d{12}$/, 'accountId is not a 12-digit AWS account id'),
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'region is not an AWS region'),
  partition: z.string().nullish(),
  severity: z.coerce.number({ error: 'severity must be a number from 0 to 10' }).min(0, 'severity is below 0').max(10, 'severity is above 10'),
  title: z.string().nullish(),
  description: z.string().nullish(),
  createdAt: timestamp,
  updatedAt: timestamp,
  resource: z.looseObject({
    resourceType: z.string().min(1),
    instanceDetails: z
      .looseObject({
        instanceId: optStr,
        tags: tagList,
        networkInterfaces: z.array(z.looseObject({ publicIp: optStr })).nullish(),
        iamInstanceProfile: z.looseObject({ arn: optStr }).nullish(),
      })
      .nullish(),
    accessKeyDetails: z
      .looseObject({ accessKeyId: optStr, principalId: optStr, userName: optStr, userType: optStr })
      .nullish(),
    s3BucketDetails: z.array(z.looseObject({ arn: optStr, name: optStr, tags: tagList })).nullish(),
    lambdaDetails: z.looseObject({ functionArn: optStr, functionName: optStr, tags: tagList }).nullish(),
    eksClusterDetails: z.looseObject({ name: optStr, arn: optStr, tags: tagList }).nullish(),
  }),
  service: z
    .looseObject({
      count: z.coerce.number().int().min(0).nullish(),
      archived: z.boolean().nullish(),
      action: z
        .looseObject({
          awsApiCallAction: z.looseObject({ remoteIpDetails }).nullish(),
          networkConnectionAction: z.looseObject({ remoteIpDetails }).nullish(),
          portProbeAction: z
            .looseObject({ portProbeDetails: z.array(z.looseObject({ remoteIpDetails })).nullish() })
            .nullish(),
          kubernetesApiCallAction: z.looseObject({ remoteIpDetails }).nullish(),
          rdsLoginAttemptAction: z.looseObject({ remoteIpDetails }).nullish(),
        })
        .nullish(),
      detection: z
        .looseObject({
          sequence: z
            .looseObject({
              uid: optStr,
              signals: z.array(z.looseObject({ uid: optStr, type: optStr })).nullish(),
            })
            .nullish(),
        })
        .nullish(),
    })
    .nullish(),
});

/** Outcome of reading one finding: the finding, or why it was refused. */
export type ParseResult = { ok: true; finding: Finding } | { ok: false; reason: string; findingId?: string };

function tagsToRecord(target: Record<string, string>, tags: { key?: string | null; value?: string | null }[]): void {
  for (const t of tags) {
    if (t.key && !(t.key in target)) target[t.key] = t.value ?? '';
  }
}

/** Names the first problems zod found, with the path, in one line. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/** Reads one finding in either case convention; never throws. */
/** EventBridge's event size limit, in characters of JSON (≈ bytes for GuardDuty's ASCII findings). */
export const MAX_FINDING_CHARS = 262_144;

export function parseFinding(input: unknown): ParseResult {
  // EventBridge delivers at most 256 KiB per event, GuardDuty's findings fit in it: anything
  // bigger is not a finding, and storing or rendering it would only cost the responders.
  const size = JSON.stringify(input)?.length ?? 0;
  if (size > MAX_FINDING_CHARS) return { ok: false, reason: `the finding is ${size.toLocaleString('en-US')} characters of JSON; a GuardDuty finding fits in EventBridge's 256 KiB event limit` };
  const camel = camelizeKeys(input);
  const parsed = findingSchema.safeParse(camel);
  if (!parsed.success) {
    const id =
      camel && typeof camel === 'object' && typeof (camel as { id?: unknown }).id === 'string'
        ? (camel as { id: string }).id.slice(0, 300)
        : undefined;
    return { ok: false, reason: describeIssues(parsed.error), ...(id ? { findingId: id } : {}) };
  }
  const d = parsed.data;
  const partition = d.partition ?? 'aws';
  const resources: FindingResource[] = [];
  const tags: Record<string, string> = {};
  const r = d.resource;

  const inst = r.instanceDetails;
  if (inst?.instanceId && /^i-[0-9a-f]{8,17}$/.test(inst.instanceId)) {
    resources.push({
      kind: 'ec2-instance',
      id: inst.instanceId,
      arn: `arn:${partition}:ec2:${d.region}:${d.accountId}:instance/${inst.instanceId}`,
    });
    tagsToRecord(tags, inst.tags);
  }
  const key = r.accessKeyDetails;
  if (key?.accessKeyId) resources.push({ kind: 'access-key', id: key.accessKeyId });
  if (key?.userName && key.userType === 'IAMUser') {
    resources.push({ kind: 'iam-user', id: key.userName, arn: `arn:${partition}:iam::${d.accountId}:user/${key.userName}` });
  } else if (key?.userName && (key.userType === 'AssumedRole' || key.userType === 'Role')) {
    resources.push({ kind: 'iam-role', id: key.userName, arn: `arn:${partition}:iam::${d.accountId}:role/${key.userName}` });
  }
  for (const b of r.s3BucketDetails ?? []) {
    if (b.name) resources.push({ kind: 's3-bucket', id: b.name, ...(b.arn ? { arn: b.arn } : {}) });
    tagsToRecord(tags, b.tags);
  }
  if (r.lambdaDetails?.functionName) {
    resources.push({
      kind: 'lambda-function',
      id: r.lambdaDetails.functionName,
      ...(r.lambdaDetails.functionArn ? { arn: r.lambdaDetails.functionArn } : {}),
    });
    tagsToRecord(tags, r.lambdaDetails.tags);
  }
  if (r.eksClusterDetails?.name) {
    resources.push({ kind: 'eks-cluster', id: r.eksClusterDetails.name, ...(r.eksClusterDetails.arn ? { arn: r.eksClusterDetails.arn } : {}) });
    tagsToRecord(tags, r.eksClusterDetails.tags);
  }

  const action = d.service?.action;
  const ipDetails = [
    action?.awsApiCallAction?.remoteIpDetails,
    action?.networkConnectionAction?.remoteIpDetails,
    action?.kubernetesApiCallAction?.remoteIpDetails,
    action?.rdsLoginAttemptAction?.remoteIpDetails,
    ...(action?.portProbeAction?.portProbeDetails ?? []).map((p) => p.remoteIpDetails),
  ];
  const remoteIps = [
    ...new Set(ipDetails.flatMap((ip) => [ip?.ipAddressV4, ip?.ipAddressV6]).filter((ip): ip is string => !!ip)),
  ];

  const sequence = d.service?.detection?.sequence;
  const signalFindingIds = (sequence?.signals ?? [])
    .filter((s) => s.uid && (!s.type || s.type.toUpperCase() === 'FINDING'))
    .map((s) => s.uid as string);

  return {
    ok: true,
    finding: {
      id: d.id,
      arn: d.arn ?? `arn:${partition}:guardduty:${d.region}:${d.accountId}:finding/${d.id}`,
      type: d.type,
      accountId: d.accountId,
      region: d.region,
      partition,
      severity: Math.round(d.severity * 10) / 10,
      title: d.title ?? d.type,
      description: d.description ?? '',
      createdAt: d.createdAt,
      updatedAt: d.updatedAt,
      count: d.service?.count ?? 1,
      archived: d.service?.archived ?? false,
      resourceType: r.resourceType,
      resources,
      tags,
      remoteIps,
      actor: {
        ...(key?.userName ? { userName: key.userName } : {}),
        ...(key?.principalId ? { principalId: key.principalId } : {}),
        ...(key?.accessKeyId ? { accessKeyId: key.accessKeyId } : {}),
        ...(key?.userType ? { userType: key.userType } : {}),
      },
      signalFindingIds,
      isAttackSequence: d.type.startsWith('AttackSequence:') || !!sequence,
    },
  };
}

/** One finding-shaped item pulled out of an input document, or why it could not be. */
export type ExtractedItem = { ok: true; detail: unknown } | { ok: false; reason: string; raw: unknown };

function looksLikeEnvelope(v: Record<string, unknown>): boolean {
  return 'detail-type' in v || ('source' in v && 'detail' in v);
}

/**
 * Splits any accepted input into finding-shaped items: an EventBridge event, an array
 * of them, GetFindings output (`{Findings: [...]}`), a raw finding, or an array mixing these.
 */
export function extractFindingItems(doc: unknown): ExtractedItem[] {
  if (Array.isArray(doc)) return doc.flatMap((d) => extractFindingItems(d));
  if (doc === null || typeof doc !== 'object') {
    return [{ ok: false, reason: 'not a JSON object: expected an EventBridge event, GetFindings output or a finding', raw: doc }];
  }
  const o = doc as Record<string, unknown>;
  if (Array.isArray(o.Findings) || Array.isArray(o.findings)) {
    return extractFindingItems(o.Findings ?? o.findings);
  }
  if (looksLikeEnvelope(o)) {
    if (o.source !== 'aws.guardduty' || o['detail-type'] !== 'GuardDuty Finding') {
      return [
        {
          ok: false,
          reason: `not a GuardDuty finding event (source ${JSON.stringify(o.source)}, detail-type ${JSON.stringify(o['detail-type'])}); expected source aws.guardduty, detail-type "GuardDuty Finding"`,
          raw: doc,
        },
      ];
    }
    if (o.detail === null || typeof o.detail !== 'object') {
      return [{ ok: false, reason: 'the event has no detail object', raw: doc }];
    }
    return [{ ok: true, detail: o.detail }];
  }
  return [{ ok: true, detail: doc }];
}
