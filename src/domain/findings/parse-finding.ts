import * as z from 'zod';
import type { AttackSequence, Finding, FindingResource } from './finding';
import { camelizeKeys } from './normalize-keys';

/** GuardDuty's epoch-ms, epoch-s and ISO timestamps, as one ISO string. */
const timestamp = z.union([z.string().min(1), z.number()], { error: fieldError('a timestamp (ISO string or epoch)') }).transform((v, ctx) => {
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

/** What a wrong value is, in words: each defect gets its own reason (docs/triage.md). */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.trim() === '' ? 'an empty string' : 'a string';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** Zod error for a required field: "missing" apart from "is a string, not …". */
function fieldError(expected: string): (iss: { input?: unknown }) => string {
  return (iss) => (iss.input === undefined ? 'missing' : `is ${kindOf(iss.input)}, not ${expected}`);
}

/** A timestamp GuardDuty may omit; an unreadable one is ignored, never a reason to refuse the finding. */
const optTimestamp = z
  .unknown()
  .optional()
  .transform((v) => {
    if (typeof v !== 'string' && typeof v !== 'number') return undefined;
    const ms = typeof v === 'number' ? (v < 1e11 ? v * 1000 : v) : Date.parse(v);
    return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
  });

const strList = z
  .array(z.unknown())
  .nullish()
  .transform((xs) => (xs ?? []).filter((x): x is string => typeof x === 'string' && x.length > 0));

const remoteIpDetails = z
  .looseObject({ ipAddressV4: optStr, ipAddressV6: optStr })
  .nullish();

const findingSchema = z.looseObject({
  id: z.string({ error: fieldError('a string') }).min(1, 'is empty').max(300, 'is longer than 300 characters'),
  arn: z.string().max(2048).nullish(),
  type: z
    .string({ error: fieldError('a string') })
    .max(200, 'is longer than 200 characters')
    .regex(/^[A-Za-z]+:[A-Za-z0-9]+\/[\w.!&-]+$/, 'the type is not ThreatPurpose:ResourceType/ThreatFamily.Detail'),
  accountId: z.string({ error: fieldError('a string') }).regex(/^\d{12}$/, 'accountId is not a 12-digit AWS account id'),
  region: z.string({ error: fieldError('a string') }).regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'region is not an AWS region'),
  partition: z.string().nullish(),
  // A number, as GuardDuty sends it (a Double in every door): a string severity is a defect
  // of its own, not something to coerce, so the reason says which.
  severity: z.number({ error: fieldError('a number from 0 to 10') }).min(0, 'severity is below 0').max(10, 'severity is above 10'),
  title: z.string().nullish(),
  description: z.string().nullish(),
  createdAt: timestamp,
  updatedAt: timestamp,
  resource: z.looseObject({
    resourceType: z.string({ error: fieldError('a string') }).min(1, 'is empty'),
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
    // Shapes from the GuardDuty API reference (EcsClusterDetails, EcsTaskDetails, Container,
    // RdsDbInstanceDetails, RdsDbUserDetails, KubernetesDetails, EbsVolumeDetails); cited in
    // test/fixtures/README.md.
    ecsClusterDetails: z
      .looseObject({
        name: optStr,
        arn: optStr,
        tags: tagList,
        taskDetails: z
          .looseObject({ arn: optStr, definitionArn: optStr, containers: z.array(z.looseObject({ name: optStr, image: optStr })).nullish() })
          .nullish(),
      })
      .nullish(),
    rdsDbInstanceDetails: z.looseObject({ dbInstanceIdentifier: optStr, dbClusterIdentifier: optStr, dbInstanceArn: optStr, engine: optStr, tags: tagList }).nullish(),
    rdsDbUserDetails: z.looseObject({ user: optStr, database: optStr, application: optStr }).nullish(),
    kubernetesDetails: z
      .looseObject({
        kubernetesUserDetails: z.looseObject({ username: optStr, uid: optStr }).nullish(),
        kubernetesWorkloadDetails: z.looseObject({ name: optStr, namespace: optStr, type: optStr }).nullish(),
      })
      .nullish(),
    containerDetails: z.looseObject({ id: optStr, name: optStr, image: optStr }).nullish(),
    ebsVolumeDetails: z
      .looseObject({ scannedVolumeDetails: z.array(z.looseObject({ volumeArn: optStr, deviceName: optStr })).nullish() })
      .nullish(),
  }, { error: fieldError('an object') }),
  service: z
    .looseObject({
      count: z.coerce.number().int().min(0).nullish(),
      archived: z.boolean().nullish(),
      eventFirstSeen: optTimestamp,
      eventLastSeen: optTimestamp,
      // `sample: true` as EventBridge delivers it; GetFindings gives `{ value: "<json>", type }`.
      additionalInfo: z.looseObject({ sample: z.unknown().optional(), value: z.unknown().optional() }).nullish(),
      action: z
        .looseObject({
          awsApiCallAction: z.looseObject({ remoteIpDetails, api: optStr, affectedResources: z.record(z.string(), z.unknown()).nullish() }).nullish(),
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
          // GuardDuty API reference: Sequence, Signal, Actor, User, Session, ResourceV2,
          // NetworkEndpoint, Indicator (cited in test/fixtures/README.md).
          sequence: z
            .looseObject({
              uid: optStr,
              signals: z.array(z.looseObject({ uid: optStr, type: optStr, name: optStr })).nullish(),
              actors: z
                .array(
                  z.looseObject({
                    id: optStr,
                    user: z.looseObject({ name: optStr, uid: optStr, type: optStr, credentialUid: optStr, account: z.looseObject({ uid: optStr }).nullish() }).nullish(),
                    session: z.looseObject({ uid: optStr, mfaStatus: optStr }).nullish(),
                  }),
                )
                .nullish(),
              resources: z.array(z.looseObject({ uid: optStr, resourceType: optStr, name: optStr })).nullish(),
              endpoints: z.array(z.looseObject({ id: optStr, ip: optStr, domain: optStr })).nullish(),
              sequenceIndicators: z.array(z.looseObject({ key: optStr, values: strList, title: optStr })).nullish(),
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

  const ecs = r.ecsClusterDetails;
  if (ecs?.name) {
    resources.push({ kind: 'ecs-cluster', id: ecs.name, ...(ecs.arn ? { arn: ecs.arn } : {}) });
    tagsToRecord(tags, ecs.tags);
  }
  if (ecs?.taskDetails?.arn) resources.push({ kind: 'ecs-task', id: lastSegment(ecs.taskDetails.arn), arn: ecs.taskDetails.arn });
  const images = new Set<string>();
  for (const c of ecs?.taskDetails?.containers ?? []) if (c.image) images.add(c.image);
  const rds = r.rdsDbInstanceDetails;
  if (rds?.dbInstanceIdentifier) {
    resources.push({ kind: 'rds-instance', id: rds.dbInstanceIdentifier, ...(rds.dbInstanceArn ? { arn: rds.dbInstanceArn } : {}) });
    tagsToRecord(tags, rds.tags);
  }
  if (rds?.dbClusterIdentifier) resources.push({ kind: 'rds-cluster', id: rds.dbClusterIdentifier });
  if (r.rdsDbUserDetails?.user) resources.push({ kind: 'db-user', id: r.rdsDbUserDetails.user });
  const k8s = r.kubernetesDetails;
  const workload = k8s?.kubernetesWorkloadDetails;
  if (workload?.namespace) resources.push({ kind: 'k8s-namespace', id: workload.namespace });
  if (workload?.name) resources.push({ kind: 'k8s-workload', id: `${workload.type ? `${workload.type}/` : ''}${workload.name}` });
  if (k8s?.kubernetesUserDetails?.username) resources.push({ kind: 'k8s-user', id: k8s.kubernetesUserDetails.username });
  const ctr = r.containerDetails;
  if (ctr?.name ?? ctr?.id) resources.push({ kind: 'container', id: (ctr?.name ?? ctr?.id) as string });
  if (ctr?.image) images.add(ctr.image);
  for (const image of images) resources.push({ kind: 'container-image', id: image });
  for (const v of r.ebsVolumeDetails?.scannedVolumeDetails ?? []) {
    if (v.volumeArn) resources.push({ kind: 'ebs-volume', id: lastSegment(v.volumeArn), arn: v.volumeArn });
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

  const sequence = readSequence(d.service?.detection?.sequence);
  const signalFindingIds = [...new Set(sequence?.signals.flatMap((s) => (s.findingId ? [s.findingId] : [])) ?? [])];
  if (sequence?.uid) resources.push({ kind: 'attack-sequence', id: sequence.uid });
  // A sequence names its actor in the sequence, not in accessKeyDetails: the actor's user
  // and credential are what tie it to the key's own findings.
  const seqActor = !key?.accessKeyId && !key?.userName ? sequence?.actors.find((a) => a.userName ?? a.credentialUid) : undefined;
  const affected = affectedResources(d.service?.action?.awsApiCallAction?.affectedResources, partition, d.region, d.accountId);
  const info = d.service?.additionalInfo;
  const sample = info?.sample === true || (typeof info?.value === 'string' && /"sample"\s*:\s*true/.test(info.value));

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
      actor: seqActor
        ? {
            ...(seqActor.userName ? { userName: seqActor.userName } : {}),
            ...(seqActor.credentialUid ? { accessKeyId: seqActor.credentialUid } : {}),
            ...(seqActor.userType ? { userType: seqActor.userType } : {}),
          }
        : {
            ...(key?.userName ? { userName: key.userName } : {}),
            ...(key?.principalId ? { principalId: key.principalId } : {}),
            ...(key?.accessKeyId ? { accessKeyId: key.accessKeyId } : {}),
            ...(key?.userType ? { userType: key.userType } : {}),
          },
      signalFindingIds,
      isAttackSequence: d.type.startsWith('AttackSequence:') || !!sequence,
      ...(sample ? { sample: true } : {}),
      ...(d.service?.eventFirstSeen ? { eventFirstSeen: d.service.eventFirstSeen } : {}),
      ...(d.service?.eventLastSeen ? { eventLastSeen: d.service.eventLastSeen } : {}),
      ...(affected.length ? { affected } : {}),
      ...(sequence ? { sequence } : {}),
    },
  };
}

function lastSegment(arn: string): string {
  return arn.slice(Math.max(arn.lastIndexOf('/'), arn.lastIndexOf(':')) + 1) || arn;
}

/** `…:detector/<detector>/finding/<id>` → `<id>`: signals name findings by ARN, Cordon keys them by id. */
export function findingIdOf(uid: string): string {
  const m = /:detector\/[^/]+\/finding\/([^/]+)$/.exec(uid);
  return m?.[1] ?? uid;
}

/**
 * `affectedResources` keys are resource type names (`AWS::EC2::Instance`, held in lower case); the kinds Cordon
 * correlates on are read, each value checked before it becomes a key.
 */
const AFFECTED_KINDS: Record<string, { kind: string; valid: RegExp; arn?: (p: string, region: string, account: string, id: string) => string }> = {
  'aws::ec2::instance': { kind: 'ec2-instance', valid: /^i-[0-9a-f]{8,17}$/, arn: (p, region, account, id) => `arn:${p}:ec2:${region}:${account}:instance/${id}` },
  'aws::s3::bucket': { kind: 's3-bucket', valid: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/ },
  'aws::lambda::function': { kind: 'lambda-function', valid: /^[A-Za-z0-9_-]{1,64}$/ },
  'aws::iam::accesskey': { kind: 'access-key', valid: /^(AKIA|ASIA)[A-Z0-9]{12,124}$/ },
};

function affectedResources(map: Record<string, unknown> | null | undefined, partition: string, region: string, account: string): FindingResource[] {
  const out: FindingResource[] = [];
  for (const [type, value] of Object.entries(map ?? {})) {
    // Looked up in lower case: key normalisation lowers the first letter (`aWS::EC2::Instance`).
    const spec = AFFECTED_KINDS[type.toLowerCase()];
    if (!spec || typeof value !== 'string') continue;
    for (const id of value.split(/[\s,]+/)) {
      if (spec.valid.test(id)) out.push({ kind: spec.kind, id, ...(spec.arn ? { arn: spec.arn(partition, region, account, id) } : {}) });
    }
  }
  return out;
}

type RawSequence = NonNullable<NonNullable<NonNullable<z.infer<typeof findingSchema>['service']>['detection']>['sequence']>;

/** The sequence as a responder reads it; the ATTACK_TACTIC / ATTACK_TECHNIQUE indicators carry MITRE's names. */
function readSequence(raw: RawSequence | null | undefined): AttackSequence | undefined {
  if (!raw) return undefined;
  const indicators = (raw.sequenceIndicators ?? []).flatMap((i) => (i.key ? [{ key: i.key, values: i.values, ...(i.title ? { title: i.title } : {}) }] : []));
  const valuesOf = (key: string): string[] => [...new Set(indicators.filter((i) => i.key === key).flatMap((i) => i.values))];
  return {
    ...(raw.uid ? { uid: raw.uid } : {}),
    actors: (raw.actors ?? []).map((a) => ({
      ...(a.id ? { id: a.id } : {}),
      ...(a.user?.name ? { userName: a.user.name } : {}),
      ...(a.user?.type ? { userType: a.user.type } : {}),
      ...(a.user?.credentialUid ? { credentialUid: a.user.credentialUid } : {}),
      ...(a.user?.account?.uid ? { accountId: a.user.account.uid } : {}),
      sessionUids: a.session?.uid ? [a.session.uid] : [],
      ...(a.session?.mfaStatus ? { mfaStatus: a.session.mfaStatus } : {}),
    })),
    signals: (raw.signals ?? []).flatMap((s) => {
      if (!s.uid) return [];
      const isFinding = !s.type || s.type.toUpperCase() === 'FINDING';
      return [{ uid: s.uid, ...(s.type ? { type: s.type } : {}), ...(s.name ? { name: s.name } : {}), ...(isFinding ? { findingId: findingIdOf(s.uid) } : {}) }];
    }),
    resources: (raw.resources ?? []).flatMap((r) => (r.uid && r.resourceType ? [{ type: r.resourceType, uid: r.uid, ...(r.name ? { name: r.name } : {}) }] : [])),
    endpoints: [...new Set((raw.endpoints ?? []).flatMap((e) => [e.ip, e.domain].filter((x): x is string => !!x)))],
    indicators,
    tactics: valuesOf('ATTACK_TACTIC'),
    techniques: valuesOf('ATTACK_TECHNIQUE'),
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
