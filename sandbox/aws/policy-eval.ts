/**
 * A small IAM policy evaluator: enough of the language for the rules containment
 * depends on (explicit deny wins, `AWSDenyAll`, `aws:TokenIssueTime` session
 * revocation, `ec2:SourceInstanceARN`, `iam:PolicyARN`, trust policies with
 * `sts:ExternalId` and `sts:TagSession`). Anything it does not understand makes a
 * statement not apply, which errs towards "allowed" for Deny statements; the
 * sandbox is for testing Cordon, not for proving policies.
 */

import { SimError } from './sim-errors';

type StringOrList = string | string[];

/** One parsed policy statement. */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: StringOrList;
  NotAction?: StringOrList;
  Resource?: StringOrList;
  NotResource?: StringOrList;
  Principal?: '*' | Record<string, StringOrList>;
  NotPrincipal?: '*' | Record<string, StringOrList>;
  Condition?: Record<string, Record<string, unknown>>;
}

/** A parsed policy document. */
export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[];
}

/** Who is asking, for trust policies. */
export interface PrincipalInfo {
  /** The ARN a trust policy names: `arn:aws:iam::<acct>:role/<name>` for a role session. */
  principalArn: string;
  /** The session ARN for assumed-role callers (trust policies may name it too). */
  sessionArn?: string;
  accountId: string;
}

/** A request as the evaluator sees it. */
export interface AuthzRequest {
  /** `service:Action`, e.g. `ec2:ModifyInstanceAttribute`. */
  action: string;
  /** Resource ARNs; `*` for actions without resource-level permissions. */
  resources: string[];
  /** Condition context; keys are matched case-insensitively, values may be lists. */
  context: Record<string, string | string[] | undefined>;
  principal?: PrincipalInfo;
}

/** Outcome of evaluating a set of policies. */
export type Decision = 'explicit-deny' | 'allow' | 'implicit-deny';

function scalarText(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? '';
}

function asList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return (v as unknown[]).map(scalarText);
  return [scalarText(v)];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses and shape-checks a policy document. IAM rejects malformed JSON and
 * statements without Effect with `MalformedPolicyDocument`; so do we.
 */
export function parsePolicyDocument(text: string, errorCode = 'MalformedPolicyDocument'): PolicyDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SimError(errorCode, 'Syntax errors in policy.');
  }
  if (!isRecord(raw)) throw new SimError(errorCode, 'Syntax errors in policy.');
  const stmts = Array.isArray(raw.Statement) ? raw.Statement : raw.Statement === undefined ? [] : [raw.Statement];
  if (stmts.length === 0) throw new SimError(errorCode, 'Syntax errors in policy.');
  const statements: PolicyStatement[] = [];
  for (const s of stmts) {
    if (!isRecord(s)) throw new SimError(errorCode, 'Syntax errors in policy.');
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new SimError(errorCode, 'Policy statement must contain a valid Effect.');
    if (s.Action === undefined && s.NotAction === undefined) throw new SimError(errorCode, 'Policy statement must contain actions.');
    const st: PolicyStatement = { Effect: s.Effect };
    if (typeof s.Sid === 'string') st.Sid = s.Sid;
    for (const k of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) {
      if (s[k] !== undefined) st[k] = asList(s[k]);
    }
    for (const k of ['Principal', 'NotPrincipal'] as const) {
      const p = s[k];
      if (p === '*') st[k] = '*';
      else if (isRecord(p)) {
        const out: Record<string, StringOrList> = {};
        for (const [pk, pv] of Object.entries(p)) out[pk] = asList(pv);
        st[k] = out;
      }
    }
    if (isRecord(s.Condition)) {
      const cond: Record<string, Record<string, unknown>> = {};
      for (const [op, body] of Object.entries(s.Condition)) {
        if (!isRecord(body)) throw new SimError(errorCode, 'Syntax errors in policy.');
        cond[op] = body;
      }
      st.Condition = cond;
    }
    statements.push(st);
  }
  const doc: PolicyDocument = { Statement: statements };
  if (typeof raw.Version === 'string') doc.Version = raw.Version;
  return doc;
}

/** IAM wildcard match: `*` any run, `?` one character. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  const re = new RegExp('^' + p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 's');
  return re.test(v);
}

function actionMatches(st: PolicyStatement, action: string): boolean {
  if (st.Action !== undefined) return asList(st.Action).some((p) => wildcardMatch(p, action, true));
  return !asList(st.NotAction).some((p) => wildcardMatch(p, action, true));
}

function resourceMatches(st: PolicyStatement, resource: string): boolean {
  // Trust policies have no Resource; the role itself is implied.
  if (st.Resource === undefined && st.NotResource === undefined) return true;
  if (st.Resource !== undefined) return asList(st.Resource).some((p) => wildcardMatch(p, resource));
  return !asList(st.NotResource).some((p) => wildcardMatch(p, resource));
}

function principalListMatches(values: string[], who: PrincipalInfo): boolean {
  return values.some((v) => {
    if (v === '*') return true;
    if (/^\d{12}$/.test(v)) return v === who.accountId;
    // The account root in the caller's own partition: an account id is only unique within
    // one (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
    if (v === `arn:${/^arn:([^:]+):/.exec(who.principalArn)?.[1] ?? 'aws'}:iam::${who.accountId}:root`) return true;
    return v === who.principalArn || (who.sessionArn !== undefined && v === who.sessionArn);
  });
}

function principalMatches(st: PolicyStatement, who: PrincipalInfo | undefined): boolean {
  if (st.Principal === undefined && st.NotPrincipal === undefined) return true;
  if (!who) return false;
  if (st.Principal !== undefined) {
    if (st.Principal === '*') return true;
    return principalListMatches(asList(st.Principal.AWS), who);
  }
  if (st.NotPrincipal === '*') return false;
  return !principalListMatches(asList(st.NotPrincipal?.AWS), who);
}

function lookupKey(context: AuthzRequest['context'], key: string): string[] | undefined {
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(context)) {
    if (k.toLowerCase() === lower) return v === undefined ? undefined : asList(v);
  }
  return undefined;
}

function toTime(v: string): number {
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  return Date.parse(v);
}

type Comparator = (ctxValue: string, policyValue: string) => boolean;

const COMPARATORS: Record<string, { cmp: Comparator; negated: boolean }> = {
  stringequals: { cmp: (a, b) => a === b, negated: false },
  stringnotequals: { cmp: (a, b) => a === b, negated: true },
  stringequalsignorecase: { cmp: (a, b) => a.toLowerCase() === b.toLowerCase(), negated: false },
  stringnotequalsignorecase: { cmp: (a, b) => a.toLowerCase() === b.toLowerCase(), negated: true },
  stringlike: { cmp: (a, b) => wildcardMatch(b, a), negated: false },
  stringnotlike: { cmp: (a, b) => wildcardMatch(b, a), negated: true },
  arnequals: { cmp: (a, b) => a === b, negated: false },
  arnlike: { cmp: (a, b) => wildcardMatch(b, a), negated: false },
  arnnotequals: { cmp: (a, b) => a === b, negated: true },
  arnnotlike: { cmp: (a, b) => wildcardMatch(b, a), negated: true },
  dateequals: { cmp: (a, b) => toTime(a) === toTime(b), negated: false },
  datenotequals: { cmp: (a, b) => toTime(a) === toTime(b), negated: true },
  datelessthan: { cmp: (a, b) => toTime(a) < toTime(b), negated: false },
  datelessthanequals: { cmp: (a, b) => toTime(a) <= toTime(b), negated: false },
  dategreaterthan: { cmp: (a, b) => toTime(a) > toTime(b), negated: false },
  dategreaterthanequals: { cmp: (a, b) => toTime(a) >= toTime(b), negated: false },
  numericequals: { cmp: (a, b) => Number(a) === Number(b), negated: false },
  numericnotequals: { cmp: (a, b) => Number(a) === Number(b), negated: true },
  numericlessthan: { cmp: (a, b) => Number(a) < Number(b), negated: false },
  numericlessthanequals: { cmp: (a, b) => Number(a) <= Number(b), negated: false },
  numericgreaterthan: { cmp: (a, b) => Number(a) > Number(b), negated: false },
  numericgreaterthanequals: { cmp: (a, b) => Number(a) >= Number(b), negated: false },
  bool: { cmp: (a, b) => a.toLowerCase() === b.toLowerCase(), negated: false },
};

function conditionBlockHolds(operator: string, body: Record<string, unknown>, context: AuthzRequest['context']): boolean {
  let op = operator;
  let setOp: 'any' | 'all' | undefined;
  if (/^ForAnyValue:/i.test(op)) {
    setOp = 'any';
    op = op.slice('ForAnyValue:'.length);
  } else if (/^ForAllValues:/i.test(op)) {
    setOp = 'all';
    op = op.slice('ForAllValues:'.length);
  }
  let ifExists = false;
  if (/IfExists$/i.test(op)) {
    ifExists = true;
    op = op.slice(0, -'IfExists'.length);
  }
  const lowerOp = op.toLowerCase();
  for (const [key, rawValues] of Object.entries(body)) {
    const policyValues = asList(rawValues);
    const ctxValues = lookupKey(context, key);
    if (lowerOp === 'null') {
      const wantAbsent = policyValues.some((v) => v.toLowerCase() === 'true');
      if ((ctxValues === undefined) !== wantAbsent) return false;
      continue;
    }
    const comparator = COMPARATORS[lowerOp];
    // An operator we do not model cannot be shown to hold.
    if (!comparator) return false;
    if (ctxValues === undefined || ctxValues.length === 0) {
      if (ifExists) continue;
      if (setOp === 'all') continue;
      // AWS: a missing key fails positive operators and satisfies negated ones.
      if (comparator.negated) continue;
      return false;
    }
    const matchesAny = (cv: string): boolean => policyValues.some((pv) => comparator.cmp(cv, pv));
    let holds: boolean;
    if (setOp === 'all') holds = ctxValues.every((cv) => (comparator.negated ? !matchesAny(cv) : matchesAny(cv)));
    else if (comparator.negated) holds = !ctxValues.some(matchesAny);
    else holds = ctxValues.some(matchesAny);
    if (!holds) return false;
  }
  return true;
}

function conditionsHold(st: PolicyStatement, context: AuthzRequest['context']): boolean {
  if (!st.Condition) return true;
  return Object.entries(st.Condition).every(([op, body]) => conditionBlockHolds(op, body, context));
}

function statementApplies(st: PolicyStatement, req: AuthzRequest, resource: string): boolean {
  return actionMatches(st, req.action) && resourceMatches(st, resource) && principalMatches(st, req.principal) && conditionsHold(st, req.context);
}

/** One action on one resource: an explicit deny anywhere wins, then any allow. */
function evaluateOne(policies: readonly PolicyDocument[], req: AuthzRequest, resource: string): Decision {
  let allowed = false;
  for (const doc of policies) {
    for (const st of doc.Statement) {
      if (!statementApplies(st, req, resource)) continue;
      if (st.Effect === 'Deny') return 'explicit-deny';
      allowed = true;
    }
  }
  return allowed ? 'allow' : 'implicit-deny';
}

/** A decision, with the resource that decided a refusal (the first denied, or the first not allowed). */
export interface RequestDecision {
  decision: Decision;
  resource: string;
}

/**
 * Evaluates a request that names several resources the way AWS does: as one evaluation per
 * action and resource pair, every one of which must be allowed, and an explicit deny of any
 * one refusing the whole request. "The parameters that you specify in the request determine
 * the required permissions": RunInstances into a subnet needs permission on the VPC too
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/ec2-api-permissions.html), and
 * ModifyNetworkInterfaceAttribute with `Groups` needs the interface and each group
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
 * The IAM policy simulator reports the same unit, "a single API action call on a single
 * resource" (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ResourceSpecificResult.html).
 * A request naming no resource is evaluated against `*`.
 */
export function evaluateRequest(policies: readonly PolicyDocument[], req: AuthzRequest): RequestDecision {
  const targets = req.resources.length > 0 ? req.resources : ['*'];
  let refused: RequestDecision | undefined;
  for (const resource of targets) {
    const decision = evaluateOne(policies, req, resource);
    if (decision === 'explicit-deny') return { decision, resource };
    if (decision === 'implicit-deny') refused ??= { decision, resource };
  }
  return refused ?? { decision: 'allow', resource: targets[0] ?? '*' };
}

/** {@link evaluateRequest}'s decision alone. */
export function evaluatePolicies(policies: readonly PolicyDocument[], req: AuthzRequest): Decision {
  return evaluateRequest(policies, req).decision;
}
