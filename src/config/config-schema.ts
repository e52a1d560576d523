import * as z from 'zod';
import { APPROVAL_INTENTS } from '../domain/access/approval-rules';
import { ROLES, type Role } from '../domain/access/roles';
import { RESOURCE_KINDS } from '../domain/actions/resource-kind';
import { PARTITIONS } from '../domain/actions/target';
import { DURATION_FORM, parseDuration } from '../domain/duration';
import { EC2_CONTAINMENT_OVERHEAD_SECONDS, WORKER_TIMEOUT_SECONDS } from './limits';

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration: use ${DURATION_FORM}` });
        return z.NEVER;
      }
      return ms;
    });

const accountId = z.string().regex(/^\d{12}$/, 'an AWS account id is exactly 12 digits (quote it in YAML)');
const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack user id looks like U0123ABCD');
const slackGroupId = z.string().regex(/^S[A-Z0-9]{2,}$/, 'a Slack user group id looks like S0123ABCD');
const slackChannelId = z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'a Slack channel id looks like C0123ABCD');
const region = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region looks like us-east-1');

// The enums are the domain's; the config only validates against them (and re-exports them for its readers).
export { ROLES, type Role, RESOURCE_KINDS };
export const roleSchema = z.enum(ROLES);

/** The ARN forms of a protected principal, for the errors that refuse others. */
const PRINCIPAL_ARN_FORMS = 'arn:<partition>:iam::<account or *>:user/<name> or arn:<partition>:iam::<account or *>:role/<name>';
const PRINCIPAL_NAME = /^[\w+=,.@*-]{1,128}$/;
const PRINCIPAL_ARN = /^arn:[^:]*:iam::(\d{12}|\*):(user|role)\/[\w+=,.@/*-]+$/;

/**
 * A `containment.protectedPrincipals` entry: a user or role name, or an IAM user or role ARN
 * pattern (`*` matches anything). An ARN pattern is matched as written against the
 * principal's ARN, so one with a partition that does not exist (`arn:aws-gov:`) or of
 * another kind (`group/`, `assumed-role/`) would protect nothing, silently: refused here,
 * naming the value and the right form. That its partition is Cordon's is checked once the
 * partition is resolved (load-config.ts).
 */
const protectedPrincipal = z.string().superRefine((v, ctx) => {
  if (!v.startsWith('arn:')) {
    if (!PRINCIPAL_NAME.test(v)) ctx.addIssue({ code: 'custom', message: `an IAM user or role name, or its ARN; * matches anything: "${v}" is neither (an ARN is ${PRINCIPAL_ARN_FORMS})` });
    return;
  }
  const partition = v.split(':')[1] ?? '';
  if (!(PARTITIONS as readonly string[]).includes(partition)) {
    ctx.addIssue({ code: 'custom', message: `"${v}": "${partition}" is not an AWS partition (${PARTITIONS.join(', ')}); write ${PRINCIPAL_ARN_FORMS}` });
  } else if (!PRINCIPAL_ARN.test(v)) {
    ctx.addIssue({
      code: 'custom',
      message: `"${v}" is not an IAM user or role ARN pattern; write ${PRINCIPAL_ARN_FORMS.replaceAll('<partition>', partition)} (* matches anything)`,
    });
  }
});

const cidr = z.string().refine((v) => /^[0-9a-fA-F:.]+\/\d{1,3}$/.test(v), 'a CIDR looks like 203.0.113.0/24 or 2001:db8::/32');

const routeSchema = z.strictObject({
  /** `case` opens or joins a case; `digest` lists the finding in the triage digest only. */
  open: z.enum(['case', 'digest']),
  mention: z.boolean().default(false),
  escalate: z.boolean().default(false),
});

const suppressionSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a rule id is lowercase letters, digits, - and _'),
  reason: z.string().min(3, 'say why the rule exists'),
  /** Finding type glob, `*` matches any run of characters: `Recon:EC2/*`. */
  type: z.string().optional(),
  accounts: z.array(accountId).optional(),
  regions: z.array(region).optional(),
  /** Every listed tag must be on the resource with this value (`*` = any value). */
  tags: z.record(z.string(), z.string()).optional(),
  /** Match only when the remote IP lies in one of `triage.knownCidrs`. */
  knownCidrsOnly: z.boolean().default(false),
  expires: z.iso.datetime({ offset: true }).optional(),
});

export const fileConfigSchema = z.strictObject({
  workspace: z.strictObject({ teamId: z.string().regex(/^T[A-Z0-9]{2,}$/, 'a Slack team id looks like T0123ABCD') }),
  accounts: z
    .array(
      z.strictObject({
        id: accountId,
        name: z.string().min(1),
        environment: z.string().min(1),
      }),
    )
    .min(1, 'list at least one account Cordon may act in'),
  regions: z.array(region).min(1, 'list at least one region'),
  /**
   * The AWS partition of every account and region (aws, aws-cn, aws-us-gov); by default the
   * one the regions are in. One Cordon works in one partition: credentials of one partition
   * cannot act in another. A bare access key id is taken to be in this partition.
   */
  partition: z.enum(PARTITIONS).optional(),
  containmentRole: z
    .strictObject({
      name: z.string().regex(/^[\w+=,.@-]{1,64}$/, 'an IAM role name'),
      // The member template requires 16 or more (MinLength); a short one is guessable. Optional
      // here only because serverless mode reads it from SSM instead (load-config checks).
      externalId: z.string().min(16, 'the external id is at least 16 characters (the member-account template requires it)').optional(),
      // Cordon assumes the member role with role credentials of its own (the Lambda or ECS role):
      // role chaining, which AWS caps at one hour whatever the role's maximum
      // (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining).
      sessionDuration: duration('1h').refine((ms) => ms <= 3_600_000, {
        message: 'at most 1h: Cordon reaches member accounts by role chaining, and AWS refuses a chained session longer than one hour',
      }),
    })
    .optional(),
  access: z
    .strictObject({
      default: roleSchema.default('viewer'),
      users: z.record(slackUserId, roleSchema).default({}),
      groups: z.record(slackGroupId, roleSchema).default({}),
      approvals: z
        .array(
          z.strictObject({
            name: z.string().min(1),
            accounts: z.array(accountId).optional(),
            environments: z.array(z.string()).optional(),
            kinds: z.array(z.enum(RESOURCE_KINDS)).optional(),
            /**
             * What the rule holds for two people: containing, and undoing it. Both by default,
             * so one commander cannot quietly revert a two-person containment.
             */
            intents: z.array(z.enum(APPROVAL_INTENTS)).min(1).default(['contain', 'revert']),
          }),
        )
        .default([]),
      approvalTtl: duration('30m'),
      groupCacheTtl: duration('5m'),
    })
    .prefault({}),
  triage: z
    .strictObject({
      routing: z
        .strictObject({
          low: routeSchema.default({ open: 'digest', mention: false, escalate: false }),
          medium: routeSchema.default({ open: 'case', mention: false, escalate: false }),
          high: routeSchema.default({ open: 'case', mention: true, escalate: false }),
          critical: routeSchema.default({ open: 'case', mention: true, escalate: true }),
        })
        .prefault({}),
      /** User group mentioned on cases whose route says `mention`. */
      responderGroup: slackGroupId.optional(),
      knownCidrs: z.array(z.strictObject({ cidr, name: z.string().min(1) })).default([]),
      suppressions: z.array(suppressionSchema).default([]),
      correlationWindow: duration('24h'),
      digestEvery: duration('1h'),
      /** Minimum time between two edits of one finding card (re-sent findings). */
      cardEditInterval: duration('10s'),
      guarddutyFilters: z.boolean().default(false),
      /** The longest a suppression rule made in Slack may last; every rule has an expiry. */
      suppressionMaxExpiry: duration('90d'),
      /**
       * The GuardDuty administrator account: in a multi-account setup only it may create
       * filters, which then apply to its members; Cordon makes every filter there, with the
       * member's accountId in the criteria. It must be one of `accounts`.
       */
      guarddutyAdministrator: accountId.optional(),
    })
    .prefault({}),
  channels: z.strictObject({
    triage: slackChannelId,
    prefix: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,19}$/, 'a channel prefix is 1-20 of a-z, 0-9, - and _')
      .default('ir'),
    private: z.boolean().default(true),
    invite: z.array(slackUserId).default([]),
    inviteGroups: z.array(slackGroupId).default([]),
    inviteResourceOwners: z.boolean().default(true),
    /**
     * E-mail domains whose owners (a resource's Owner tag) are invited without asking.
     * Whoever can tag a resource writes that tag, so without a domain here nobody is
     * invited from it: the channel names the owner and a responder invites them.
     */
    resourceOwnerDomains: z.array(z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'a lowercase e-mail domain such as example.com')).default([]),
  }),
  escalation: z
    .strictObject({
      invite: z.array(slackUserId).default([]),
      inviteGroups: z.array(slackGroupId).default([]),
      bridgeUrl: z.url().optional(),
      ackWithin: duration('15m'),
      repageEvery: duration('5m'),
    })
    .prefault({}),
  containment: z
    .strictObject({
      untrackSeconds: z
        .number()
        .int()
        .min(0)
        // The whole EC2 containment runs in one worker invocation: the wait plus everything
        // else must end before Lambda stops it, or an interface is left in the allow-all group.
        .superRefine((v, ctx) => {
          if (v + EC2_CONTAINMENT_OVERHEAD_SECONDS <= WORKER_TIMEOUT_SECONDS) return;
          ctx.addIssue({
            code: 'custom',
            message: `${v}s plus up to ${EC2_CONTAINMENT_OVERHEAD_SECONDS}s for the rest of an EC2 containment does not fit in the worker's ${WORKER_TIMEOUT_SECONDS}s timeout (functions.worker.timeout in serverless.yml); use at most ${WORKER_TIMEOUT_SECONDS - EC2_CONTAINMENT_OVERHEAD_SECONDS}`,
          });
        })
        .default(60),
      snapshots: z.boolean().default(true),
      /**
       * Users and roles Cordon refuses to change, by name or ARN (`*` matches anything), on top
       * of the built-in ones: the containment role, OrganizationAccountAccessRole, Cordon's
       * own function roles and anything tagged cordon:protected.
       */
      protectedPrincipals: z.array(protectedPrincipal).default([]),
    })
    .prefault({}),
  poller: z
    .strictObject({
      enabled: z.boolean().default(true),
      interval: duration('60s'),
      /** How far back a first start looks for findings. */
      lookback: duration('1h'),
    })
    .prefault({}),
});

export type FileConfig = z.infer<typeof fileConfigSchema>;

const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);

export const envSchema = z.object({
  SLACK_BOT_TOKEN: z.preprocess(emptyToUndefined, z.string().startsWith('xoxb-', 'a bot token starts with xoxb-').optional()),
  SLACK_SIGNING_SECRET: z.preprocess(emptyToUndefined, z.string().min(8).optional()),
  SLACK_APP_TOKEN: z.preprocess(emptyToUndefined, z.string().startsWith('xapp-', 'an app-level token starts with xapp-').optional()),
  SLACK_API_URL: z.preprocess(emptyToUndefined, z.url().optional()),
  CORDON_STORE: z
    .preprocess(emptyToUndefined, z.string().default('sqlite:./cordon.db'))
    .refine((v) => /^(sqlite:.+|dynamodb:[\w.-]{3,255})$/.test(v), 'use sqlite:<path> or dynamodb:<table>'),
  CORDON_CONFIG: z.preprocess(emptyToUndefined, z.string().default('./cordon.config.yaml')),
  HOST: z.preprocess(emptyToUndefined, z.string().default('0.0.0.0')),
  PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).default(3000)),
  AWS_REGION: z.preprocess(emptyToUndefined, z.string().optional()),
  AWS_ENDPOINT_URL: z.preprocess(emptyToUndefined, z.url().optional()),
  /** Serverless: SSM path prefix holding `slack-bot-token` and `slack-signing-secret` (read at cold start). */
  CORDON_SSM_PREFIX: z.preprocess(emptyToUndefined, z.string().regex(/^\/[\w./-]*\/$/, 'an SSM path prefix starts and ends with /').optional()),
  /** Serverless: `containmentRole.externalId`, read from SSM (`<prefix>containment-external-id`) at cold start, never packaged. */
  CORDON_EXTERNAL_ID: z.preprocess(emptyToUndefined, z.string().min(16, 'the external id is at least 16 characters').optional()),
  /** Serverless: the worker function the `slack` function hands long work to. */
  CORDON_WORKER_FUNCTION: z.preprocess(emptyToUndefined, z.string().min(1).max(170).optional()),
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
});

export type EnvConfig = z.infer<typeof envSchema>;
