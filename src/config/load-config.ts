import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { CordonError, ErrorCode } from '../errors';
import { compileCidrs } from '../domain/triage/suppression';
import { partitionOfRegion, type Partition } from '../domain/actions/target';
import { envSchema, fileConfigSchema, type EnvConfig, type FileConfig } from './config-schema';

/** The member-account role containment runs with, its external id resolved (file, or SSM in serverless mode). */
export type ContainmentRoleConfig = NonNullable<FileConfig['containmentRole']> & { externalId: string };

/** The file config as validated: the partition resolved (given, or that of the regions). */
export type ValidFileConfig = Omit<FileConfig, 'partition'> & { partition: Partition };

/** The one configuration object: environment plus the YAML file, validated once. */
export interface Config extends Omit<ValidFileConfig, 'containmentRole'> {
  containmentRole?: ContainmentRoleConfig;
  env: EnvConfig;
  /** Path the file was read from. */
  configPath: string;
}

/** SSM parameter (under `CORDON_SSM_PREFIX`) holding the external id in serverless mode. */
export const EXTERNAL_ID_PARAMETER = 'containment-external-id';

/**
 * Where the external id comes from. In serverless mode (`CORDON_SSM_PREFIX`) only SSM:
 * the packaged config would put the secret in every function's zip, so one there is refused.
 * Otherwise the file, or `CORDON_EXTERNAL_ID` when set.
 */
function resolveContainmentRole(file: FileConfig, env: EnvConfig, path: string): ContainmentRoleConfig | undefined {
  const role = file.containmentRole;
  if (!role) return undefined;
  if (env.CORDON_SSM_PREFIX) {
    if (role.externalId) {
      throw new ConfigError(`${path} is invalid`, [
        `${path}: containmentRole.externalId: in serverless mode the external id comes from SSM (${env.CORDON_SSM_PREFIX}${EXTERNAL_ID_PARAMETER}); remove it from the packaged config`,
      ]);
    }
    if (!env.CORDON_EXTERNAL_ID) {
      throw new ConfigError('the containment external id is missing', [`${env.CORDON_SSM_PREFIX}${EXTERNAL_ID_PARAMETER}: not found in SSM (the external id, 16 characters or more; see README, Deploying)`]);
    }
    return { ...role, externalId: env.CORDON_EXTERNAL_ID };
  }
  const externalId = env.CORDON_EXTERNAL_ID ?? role.externalId;
  if (!externalId) throw new ConfigError(`${path} is invalid`, [`${path}: containmentRole.externalId: missing (required, string of 16 characters or more)`]);
  return { ...role, externalId };
}

function issuesToLines(prefix: string, error: z.ZodError): string[] {
  return error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    const missing = i.code === 'invalid_type' && i.message.endsWith('received undefined');
    return `${prefix}${path ? path : '(top level)'}: ${missing ? `missing (required, ${i.expected})` : i.message}`;
  });
}

/** Thrown for any bad configuration; the CLI prints `problems` and exits 2. */
export class ConfigError extends CordonError {
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(ErrorCode.CONFIG_INVALID, message, { problems });
  }
}

/** Validates the environment alone (secrets, endpoints, store, file path). */
export function parseEnv(env: Record<string, string | undefined>): EnvConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError('the environment is invalid', issuesToLines('env ', parsed.error));
  return parsed.data;
}

/** Validates a config document (already parsed from YAML). */
export function parseFileConfig(doc: unknown, source: string): ValidFileConfig {
  const parsed = fileConfigSchema.safeParse(doc ?? {});
  if (!parsed.success) throw new ConfigError(`${source} is invalid`, issuesToLines(`${source}: `, parsed.error));
  const problems: string[] = [];
  parsed.data.triage.knownCidrs.forEach((c, i) => {
    try {
      compileCidrs([c]);
    } catch {
      problems.push(`${source}: triage.knownCidrs.${i}.cidr: "${c.cidr}" is not a valid CIDR`);
    }
  });
  const ids = new Set<string>();
  parsed.data.triage.suppressions.forEach((s, i) => {
    if (ids.has(s.id)) problems.push(`${source}: triage.suppressions.${i}.id: "${s.id}" is used twice`);
    ids.add(s.id);
  });
  const accountIds = new Set<string>();
  parsed.data.accounts.forEach((a, i) => {
    if (accountIds.has(a.id)) problems.push(`${source}: accounts.${i}.id: account ${a.id} is listed twice`);
    accountIds.add(a.id);
  });
  // Every region is in one partition (cn-* aws-cn, us-gov-* aws-us-gov), and one Cordon works in one.
  const [first = 'us-east-1'] = parsed.data.regions;
  const partition = parsed.data.partition ?? partitionOfRegion(first);
  parsed.data.regions.forEach((r, i) => {
    if (partitionOfRegion(r) === partition) return;
    problems.push(
      parsed.data.partition
        ? `${source}: regions.${i}: ${r} is in partition ${partitionOfRegion(r)}, but partition is ${partition}`
        : `${source}: regions.${i}: ${r} is in partition ${partitionOfRegion(r)}, but regions.0 (${first}) is in ${partition}: one Cordon works in one partition`,
    );
  });
  // An ARN pattern of another partition than Cordon's (whose accounts are all in it) can match
  // no principal Cordon will ever see: a config copied from a commercial deployment to GovCloud
  // would leave its break-glass role unprotected, silently. Refused rather than matched with
  // the partition left loose: the config then says exactly what it protects, and stays the
  // same ARNs as the member template's ProtectedPrincipalArns, which IAM matches as written.
  parsed.data.containment.protectedPrincipals.forEach((pattern, i) => {
    const named = pattern.startsWith('arn:') ? pattern.split(':')[1] : undefined;
    if (named === undefined || named === partition) return;
    problems.push(
      `${source}: containment.protectedPrincipals.${i}: "${pattern}" is in partition ${named}, but Cordon works in ${partition} (${parsed.data.partition ? 'partition' : 'the partition of its regions'}): it would protect no principal; write arn:${partition}:${pattern.split(':').slice(2).join(':')}`,
    );
  });
  if (problems.length) throw new ConfigError(`${source} is invalid`, problems);
  return { ...parsed.data, partition };
}

/** Reads env + YAML once. The only place that looks at `process.env` is the caller passing it in. */
export function loadConfig(env: Record<string, string | undefined>, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): Config {
  const parsedEnv = parseEnv(env);
  const path = parsedEnv.CORDON_CONFIG;
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ConfigError(`cannot read the config file ${path}`, [
      code === 'ENOENT'
        ? `CORDON_CONFIG: ${path} does not exist (copy cordon.config.example.yaml to cordon.config.yaml, or set CORDON_CONFIG)`
        : `CORDON_CONFIG: ${path} cannot be read (${code ?? 'error'})`,
    ]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    throw new ConfigError(`${path} is not valid YAML`, [`${path}${where}: ${(err as Error).message.split('\n')[0] ?? ''}`]);
  }
  const file = parseFileConfig(doc, path);
  const containmentRole = resolveContainmentRole(file, parsedEnv, path);
  const { containmentRole: _fromFile, ...rest } = file;
  return { ...rest, ...(containmentRole ? { containmentRole } : {}), env: parsedEnv, configPath: path };
}

/** Problems naming each Slack variable a transport needs and the environment lacks. */
export function missingSlackVars(env: Pick<EnvConfig, 'SLACK_BOT_TOKEN' | 'SLACK_SIGNING_SECRET' | 'SLACK_APP_TOKEN'>, needs: { signingSecret: boolean }): string[] {
  const missing: string[] = [];
  if (!env.SLACK_BOT_TOKEN) missing.push('SLACK_BOT_TOKEN (the bot token, xoxb-…)');
  if (needs.signingSecret && !env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) {
    missing.push('SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode, xapp-…)');
  }
  return missing.map((m) => `missing environment variable ${m}`);
}

/** The Slack secrets a transport needs, or a ConfigError naming every missing one. */
export function requireSlack(config: Config, needs: { signingSecret: boolean }): { botToken: string; signingSecret?: string; appToken?: string } {
  const missing = missingSlackVars(config.env, needs);
  if (missing.length || !config.env.SLACK_BOT_TOKEN) {
    throw new ConfigError('Slack is not configured', missing);
  }
  return {
    botToken: config.env.SLACK_BOT_TOKEN,
    ...(config.env.SLACK_SIGNING_SECRET ? { signingSecret: config.env.SLACK_SIGNING_SECRET } : {}),
    ...(config.env.SLACK_APP_TOKEN ? { appToken: config.env.SLACK_APP_TOKEN } : {}),
  };
}
