import type {
  ArchiveFindingsCommandInput,
  ArchiveFindingsCommandOutput,
  Condition,
  CreateFilterCommandInput,
  CreateFilterCommandOutput,
  DeleteFilterCommandInput,
  DeleteFilterCommandOutput,
  Finding,
  FindingCriteria,
  GetDetectorCommandInput,
  GetDetectorCommandOutput,
  GetFilterCommandInput,
  GetFilterCommandOutput,
  GetFindingsCommandInput,
  GetFindingsCommandOutput,
  ListDetectorsCommandInput,
  ListDetectorsCommandOutput,
  ListFiltersCommandInput,
  ListFiltersCommandOutput,
  ListFindingsCommandInput,
  ListFindingsCommandOutput,
  SortCriteria,
  UnarchiveFindingsCommandInput,
  UnarchiveFindingsCommandOutput,
  UpdateFilterCommandInput,
  UpdateFilterCommandOutput,
} from '@aws-sdk/client-guardduty';
import { SimError } from './sim-errors';
import { AccountState, GuardDutyDetectorState, GuardDutyFilterState, GuardDutyState, regionOf } from './sim-state';
import { AuthzTarget, CallContext, decodeToken, encodeToken, SandboxWorld, SimHandler, strField } from './sim-world';

type Out<T> = Omit<T, '$metadata'>;

/** GuardDuty's page size ceiling for ListFindings, GetFindings and ListFilters. */
export const GUARDDUTY_MAX_RESULTS = 50;

const TIME_FIELDS = new Set(['updatedat', 'createdat', 'eventfirstseen', 'eventlastseen']);

function gdOf(ctx: CallContext): GuardDutyState {
  return regionOf(ctx.account, ctx.region).guardduty;
}

function badRequest(message: string): SimError {
  return new SimError('BadRequestException', message, 400, { __type: 'InvalidInputException' });
}

function detectorOf(ctx: CallContext, id: string | undefined): GuardDutyDetectorState {
  const d = id ? gdOf(ctx).detectors[id] : undefined;
  if (!d) throw badRequest('The request is rejected because the input detectorId is not owned by the current account.');
  return d;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Values at a dotted criterion path (`resource.instanceDetails.instanceId`), through arrays, case-insensitively. */
function valuesAt(finding: Record<string, unknown>, path: string): unknown[] {
  let current: unknown[] = [finding];
  for (const seg of path.split('.')) {
    const lower = seg.toLowerCase();
    const next: unknown[] = [];
    for (const node of current) {
      const items = Array.isArray(node) ? node : [node];
      for (const item of items) {
        if (!isRecord(item)) continue;
        const key = Object.keys(item).find((k) => k.toLowerCase() === lower);
        if (key !== undefined) next.push(item[key]);
      }
    }
    current = next;
  }
  return current.flatMap((v): unknown[] => (Array.isArray(v) ? (v as unknown[]) : [v])).filter((v) => v !== undefined && v !== null);
}

function numeric(path: string, v: unknown): number {
  const last = path.split('.').pop()?.toLowerCase() ?? '';
  if (typeof v === 'string' && TIME_FIELDS.has(last)) return Date.parse(v);
  return Number(v);
}

function scalarText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function equalish(a: unknown, b: string): boolean {
  if (typeof a === 'number' && b.trim() !== '' && !Number.isNaN(Number(b))) return a === Number(b);
  return scalarText(a) === b;
}

function wildcard(pattern: string, value: string): boolean {
  return new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$').test(value);
}

function conditionHolds(finding: Record<string, unknown>, path: string, cond: Condition): boolean {
  const values = valuesAt(finding, path);
  const nums = values.map((v) => numeric(path, v));
  const eq = cond.Eq ?? cond.Equals;
  const neq = cond.Neq ?? cond.NotEquals;
  if (eq && !values.some((v) => eq.some((e) => equalish(v, e)))) return false;
  if (neq && values.some((v) => neq.some((e) => equalish(v, e)))) return false;
  const gt = cond.Gt ?? cond.GreaterThan;
  const gte = cond.Gte ?? cond.GreaterThanOrEqual;
  const lt = cond.Lt ?? cond.LessThan;
  const lte = cond.Lte ?? cond.LessThanOrEqual;
  if (gt !== undefined && !nums.some((n) => n > gt)) return false;
  if (gte !== undefined && !nums.some((n) => n >= gte)) return false;
  if (lt !== undefined && !nums.some((n) => n < lt)) return false;
  if (lte !== undefined && !nums.some((n) => n <= lte)) return false;
  if (cond.Matches && !values.some((v) => cond.Matches?.some((p) => wildcard(p, scalarText(v))))) return false;
  if (cond.NotMatches && values.some((v) => cond.NotMatches?.some((p) => wildcard(p, scalarText(v))))) return false;
  return true;
}

function matchesCriteria(finding: Record<string, unknown>, criteria: FindingCriteria | GuardDutyFilterState['findingCriteria'] | undefined): boolean {
  const criterion = criteria?.Criterion ?? {};
  return Object.entries(criterion).every(([path, cond]) => conditionHolds(finding, path, cond as Condition));
}

function sortFindings(findings: Record<string, unknown>[], sort: SortCriteria | undefined): Record<string, unknown>[] {
  if (!sort?.AttributeName) return findings;
  const path = sort.AttributeName;
  const dir = sort.OrderBy === 'DESC' ? -1 : 1;
  const key = (f: Record<string, unknown>): number | string => {
    const v = valuesAt(f, path)[0];
    const n = numeric(path, v);
    return Number.isNaN(n) ? scalarText(v) : n;
  };
  // Stable sort: equal keys keep insertion order, so paging over ties is deterministic.
  return findings
    .map((f, i) => ({ f, i, k: key(f) }))
    .sort((a, b) => (a.k < b.k ? -dir : a.k > b.k ? dir : a.i - b.i))
    .map((x) => x.f);
}

function checkMaxResults(max: number | undefined): number {
  const n = max ?? GUARDDUTY_MAX_RESULTS;
  if (!Number.isInteger(n) || n < 1 || n > GUARDDUTY_MAX_RESULTS) {
    throw badRequest('The request is rejected because an invalid or out-of-range value is specified as an input parameter.');
  }
  return n;
}

function pageOf<T>(items: T[], max: number, token: string | undefined, scope: string): { items: T[]; next?: string } {
  let start = 0;
  if (token) {
    const decoded = decodeToken(token, scope);
    if (decoded === undefined) throw badRequest('The request is rejected because the input NextToken is not valid.');
    start = decoded;
  }
  const end = start + max;
  return end < items.length ? { items: items.slice(start, end), next: encodeToken(end, scope) } : { items: items.slice(start) };
}

function asFinding(stored: Record<string, unknown>): Finding {
  // Stored findings are built by `toPascalFinding`, which produces the SDK's Finding shape.
  return structuredClone(stored) as unknown as Finding;
}

const ListDetectors = (input: ListDetectorsCommandInput, ctx: CallContext): Out<ListDetectorsCommandOutput> => {
  const ids = Object.keys(gdOf(ctx).detectors);
  const max = input.MaxResults ?? 50;
  const p = pageOf(ids, max, input.NextToken, 'ListDetectors');
  return { DetectorIds: p.items, ...(p.next ? { NextToken: p.next } : {}) };
};

const GetDetector = (input: GetDetectorCommandInput, ctx: CallContext): Out<GetDetectorCommandOutput> => {
  const d = detectorOf(ctx, input.DetectorId);
  return {
    CreatedAt: new Date(d.createdAt).toISOString(),
    UpdatedAt: new Date(d.createdAt).toISOString(),
    FindingPublishingFrequency: d.findingPublishingFrequency as GetDetectorCommandOutput['FindingPublishingFrequency'],
    ServiceRole: `arn:${ctx.account.partition}:iam::${ctx.account.accountId}:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty`,
    Status: d.status,
  };
};

const ListFindings = (input: ListFindingsCommandInput, ctx: CallContext): Out<ListFindingsCommandOutput> => {
  const d = detectorOf(ctx, input.DetectorId);
  const max = checkMaxResults(input.MaxResults);
  const matching = Object.values(d.findings).filter((f) => matchesCriteria(f, input.FindingCriteria));
  const sorted = sortFindings(matching, input.SortCriteria);
  const scope = `${d.detectorId}|${JSON.stringify(input.FindingCriteria ?? {})}|${JSON.stringify(input.SortCriteria ?? {})}`;
  const p = pageOf(sorted, max, input.NextToken, scope);
  return { FindingIds: p.items.map((f) => String(f.Id)), ...(p.next ? { NextToken: p.next } : {}) };
};

const GetFindings = (input: GetFindingsCommandInput, ctx: CallContext): Out<GetFindingsCommandOutput> => {
  const d = detectorOf(ctx, input.DetectorId);
  const ids = input.FindingIds ?? [];
  if (ids.length === 0 || ids.length > GUARDDUTY_MAX_RESULTS) {
    throw badRequest('The request is rejected because an invalid or out-of-range value is specified as an input parameter.');
  }
  // Unknown ids are silently left out, as GuardDuty does.
  const found = ids.map((id) => d.findings[id]).filter((f): f is Record<string, unknown> => f !== undefined);
  return { Findings: sortFindings(found, input.SortCriteria).map(asFinding) };
};

function setArchived(ctx: CallContext, detectorId: string | undefined, ids: string[] | undefined, archived: boolean): void {
  const d = detectorOf(ctx, detectorId);
  const list = ids ?? [];
  if (list.length === 0 || list.length > GUARDDUTY_MAX_RESULTS) {
    throw badRequest('The request is rejected because an invalid or out-of-range value is specified as an input parameter.');
  }
  for (const id of list) {
    const f = d.findings[id];
    if (!f) continue;
    const service = isRecord(f.Service) ? f.Service : {};
    service.Archived = archived;
    f.Service = service;
  }
}

const ArchiveFindings = (input: ArchiveFindingsCommandInput, ctx: CallContext): Out<ArchiveFindingsCommandOutput> => {
  setArchived(ctx, input.DetectorId, input.FindingIds, true);
  return {};
};

const UnarchiveFindings = (input: UnarchiveFindingsCommandInput, ctx: CallContext): Out<UnarchiveFindingsCommandOutput> => {
  setArchived(ctx, input.DetectorId, input.FindingIds, false);
  return {};
};

const FILTER_NAME_RE = /^[A-Za-z0-9_.-]{3,64}$/;

function checkCriteria(criteria: FindingCriteria | undefined): GuardDutyFilterState['findingCriteria'] {
  if (!criteria?.Criterion || Object.keys(criteria.Criterion).length === 0) {
    throw badRequest('The request is rejected because the FindingCriteria is missing or empty.');
  }
  return JSON.parse(JSON.stringify(criteria)) as GuardDutyFilterState['findingCriteria'];
}

function checkAction(action: string | undefined): 'NOOP' | 'ARCHIVE' {
  const a = action ?? 'NOOP';
  if (a !== 'NOOP' && a !== 'ARCHIVE') throw badRequest(`The request is rejected because the action ${a} is not valid.`);
  return a;
}

function filterOf(d: GuardDutyDetectorState, name: string | undefined): GuardDutyFilterState {
  const f = name ? d.filters[name] : undefined;
  if (!f) throw badRequest('The request is rejected since no such resource found.');
  return f;
}

/**
 * Filter descriptions: at most 512 of letters, digits, whitespace and - . : _ { } [ ] ( ) /
 * (https://docs.aws.amazon.com/guardduty/latest/APIReference/API_CreateFilter.html).
 */
const FILTER_DESCRIPTION_RE = /^[A-Za-z0-9\-.:_{}[\]()/\t\v\n\f\r ]{0,512}$/;

const CreateFilter = (input: CreateFilterCommandInput, ctx: CallContext): Out<CreateFilterCommandOutput> => {
  const d = detectorOf(ctx, input.DetectorId);
  // In a multi-account setup suppression rules belong to the administrator account, which
  // applies them to its members; a member cannot make its own
  // (https://docs.aws.amazon.com/guardduty/latest/ug/findings_suppression-rule.html).
  if (d.administratorAccountId) {
    throw badRequest(`The request is rejected because this account is a GuardDuty member of administrator account ${d.administratorAccountId}; filters are managed by the administrator account.`);
  }
  const name = input.Name ?? '';
  if (!FILTER_NAME_RE.test(name)) throw badRequest('The request is rejected because the filter name is not valid.');
  if (input.Description !== undefined && !FILTER_DESCRIPTION_RE.test(input.Description)) {
    throw badRequest('The request is rejected because an invalid or out-of-range value is specified as an input parameter: description.');
  }
  const same = d.filters[name];
  // Idempotent with a client token: the same request again answers as the first did.
  if (same && input.ClientToken && same.clientToken === input.ClientToken) return { Name: name };
  if (same) throw badRequest('The request is rejected because a filter with the same name already exists.');
  const rank = input.Rank ?? Object.keys(d.filters).length + 1;
  if (rank < 1 || rank > 100) throw badRequest('The request is rejected because the rank is out of range.');
  d.filters[name] = {
    name,
    action: checkAction(input.Action),
    rank,
    findingCriteria: checkCriteria(input.FindingCriteria),
    tags: { ...(input.Tags ?? {}) },
    createdAt: ctx.now,
    ...(input.Description !== undefined ? { description: input.Description } : {}),
    ...(input.ClientToken ? { clientToken: input.ClientToken } : {}),
  };
  return { Name: name };
};

const UpdateFilter = (input: UpdateFilterCommandInput, ctx: CallContext): Out<UpdateFilterCommandOutput> => {
  const d = detectorOf(ctx, input.DetectorId);
  const f = filterOf(d, input.FilterName);
  if (input.Action !== undefined) f.action = checkAction(input.Action);
  if (input.Rank !== undefined) f.rank = input.Rank;
  if (input.Description !== undefined) f.description = input.Description;
  if (input.FindingCriteria !== undefined) f.findingCriteria = checkCriteria(input.FindingCriteria);
  return { Name: f.name };
};

const DeleteFilter = (input: DeleteFilterCommandInput, ctx: CallContext): Out<DeleteFilterCommandOutput> => {
  const d = detectorOf(ctx, input.DetectorId);
  const f = filterOf(d, input.FilterName);
  delete d.filters[f.name];
  return {};
};

const GetFilter = (input: GetFilterCommandInput, ctx: CallContext): Out<GetFilterCommandOutput> => {
  const d = detectorOf(ctx, input.DetectorId);
  const f = filterOf(d, input.FilterName);
  return {
    Name: f.name,
    Action: f.action,
    Rank: f.rank,
    FindingCriteria: JSON.parse(JSON.stringify(f.findingCriteria)) as FindingCriteria,
    ...(f.description !== undefined ? { Description: f.description } : {}),
    ...(Object.keys(f.tags).length ? { Tags: { ...f.tags } } : {}),
  };
};

const ListFilters = (input: ListFiltersCommandInput, ctx: CallContext): Out<ListFiltersCommandOutput> => {
  const d = detectorOf(ctx, input.DetectorId);
  const max = checkMaxResults(input.MaxResults);
  const names = Object.values(d.filters)
    .sort((a, b) => a.rank - b.rank)
    .map((f) => f.name);
  const p = pageOf(names, max, input.NextToken, `ListFilters|${d.detectorId}`);
  return { FilterNames: p.items, ...(p.next ? { NextToken: p.next } : {}) };
};

/** GuardDuty command handlers, keyed by command name without the `Command` suffix. */
export const GUARDDUTY_HANDLERS = {
  ListDetectors,
  GetDetector,
  ListFindings,
  GetFindings,
  ArchiveFindings,
  UnarchiveFindings,
  CreateFilter,
  UpdateFilter,
  DeleteFilter,
  GetFilter,
  ListFilters,
} satisfies Record<string, SimHandler>;

export function guardDutyAuthzTarget(_command: string, input: unknown, ctx: CallContext): AuthzTarget {
  const id = strField(input, 'DetectorId');
  return { resources: [id ? `arn:${ctx.account.partition}:guardduty:${ctx.region}:${ctx.account.accountId}:detector/${id}` : '*'] };
}

// ---------------------------------------------------------------- seeding

/** Makes `account`'s detector in `region` a member of `administratorAccountId`'s. */
export function seedMembership(world: SandboxWorld, account: AccountState, region: string, administratorAccountId: string): void {
  const id = seedDetector(world, account, region);
  const d = regionOf(account, region).guardduty.detectors[id];
  if (d) d.administratorAccountId = administratorAccountId;
}

export function seedDetector(world: SandboxWorld, account: AccountState, region: string): string {
  const gd = regionOf(account, region).guardduty;
  const existing = Object.keys(gd.detectors)[0];
  // One detector per account and region, as GuardDuty allows.
  if (existing) return existing;
  const detectorId = world.ids.hex(32);
  gd.detectors[detectorId] = {
    detectorId,
    status: 'ENABLED',
    createdAt: world.now(),
    findingPublishingFrequency: 'FIFTEEN_MINUTES',
    findings: {},
    filters: {},
  };
  return detectorId;
}

function pascal(key: string): string {
  return key.length > 0 ? key.charAt(0).toUpperCase() + key.slice(1) : key;
}

/**
 * EventBridge `detail` (camelCase) to GetFindings' PascalCase. `service.additionalInfo`
 * is free-form in the event but `{Value: <json>, Type}` in the API, so it is wrapped
 * rather than re-keyed.
 */
export function toPascalFinding(value: unknown, path: string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => toPascalFinding(v, path));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (path.length === 1 && path[0] === 'service' && k === 'additionalInfo' && isRecord(v) && !('value' in v && 'type' in v)) {
      out.AdditionalInfo = { Value: JSON.stringify(v), Type: 'default' };
      continue;
    }
    out[pascal(k)] = toPascalFinding(v, [...path, k]);
  }
  return out;
}

/** Options for storing a finding. */
export interface PutFindingOptions {
  /** Overrides the finding id (default: the detail's, or a new one). */
  id?: string;
  /** Overrides `updatedAt` (ISO string, epoch ms or Date). */
  updatedAt?: string | number | Date;
}

/**
 * Stores a finding given as EventBridge `detail`. Account, region, ARN and detector id
 * are rewritten to where it is stored; matching ARCHIVE filters archive it on arrival,
 * as GuardDuty suppression rules do.
 */
export function seedFinding(
  world: SandboxWorld,
  account: AccountState,
  region: string,
  detail: Record<string, unknown>,
  opts: PutFindingOptions = {},
): { id: string; detectorId: string } {
  const detectorId = seedDetector(world, account, region);
  const detector = regionOf(account, region).guardduty.detectors[detectorId];
  if (!detector) throw new Error('AwsSandbox: detector vanished');
  const converted = toPascalFinding(detail);
  const finding: Record<string, unknown> = isRecord(converted) ? converted : {};
  const id = opts.id ?? (typeof finding.Id === 'string' ? finding.Id : world.ids.hex(32));
  finding.Id = id;
  finding.AccountId = account.accountId;
  finding.Region = region;
  finding.Partition = finding.Partition ?? 'aws';
  finding.Arn = `arn:${account.partition}:guardduty:${region}:${account.accountId}:detector/${detectorId}/finding/${id}`;
  const nowIso = new Date(world.now()).toISOString();
  finding.CreatedAt = finding.CreatedAt ?? nowIso;
  if (opts.updatedAt !== undefined) finding.UpdatedAt = new Date(opts.updatedAt).toISOString();
  finding.UpdatedAt = finding.UpdatedAt ?? nowIso;
  const service = isRecord(finding.Service) ? finding.Service : {};
  service.DetectorId = detectorId;
  service.Archived = service.Archived ?? false;
  finding.Service = service;
  if (Object.values(detector.filters).some((f) => f.action === 'ARCHIVE' && matchesCriteria(finding, f.findingCriteria))) service.Archived = true;
  detector.findings[id] = finding;
  return { id, detectorId };
}
