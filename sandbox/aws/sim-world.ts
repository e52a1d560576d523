import { AccountState, emptyAccount, IamRole, IamUser, SimPartition } from './sim-state';
import { expiredTokenError, invalidTokenError, SimError, SimService } from './sim-errors';
import { IdGenerator } from './sim-random';

/** The identity behind a request, resolved from the credentials that signed it. */
export interface Caller {
  kind: 'root' | 'user' | 'assumed-role';
  accountId: string;
  /** As GetCallerIdentity reports it (`arn:aws:sts::<acct>:assumed-role/<role>/<session>` for sessions). */
  arn: string;
  /** As trust policies and `aws:PrincipalArn` see it (the role ARN for a session). */
  principalArn: string;
  userId: string;
  accessKeyId: string;
  userName?: string;
  roleName?: string;
  sessionName?: string;
  sessionTags: Record<string, string>;
  /** Epoch ms the session was issued (`aws:TokenIssueTime`); absent for long-term keys. */
  tokenIssueTime?: number;
  expiresAt?: number;
  /** `ec2:SourceInstanceARN` for instance-profile credentials. */
  sourceInstanceArn?: string;
  sourceIdentity?: string;
  /** A user's temporary credentials (GetSessionToken / GetFederationToken), not a long-term key. */
  temporary?: boolean;
}

/** Credentials the sandbox issued: static ones for test clients, or STS sessions. */
export type IssuedCredential =
  | {
      kind: 'static';
      accessKeyId: string;
      secretAccessKey: string;
      accountId: string;
      principalArn: string;
    }
  | {
      kind: 'session';
      accessKeyId: string;
      secretAccessKey: string;
      sessionToken: string;
      accountId: string;
      roleName: string;
      roleArn: string;
      roleId: string;
      sessionName: string;
      tags: Record<string, string>;
      issuedAt: number;
      expiresAt: number;
      sourceInstanceArn?: string;
      sourceIdentity?: string;
    }
  | {
      /**
       * An IAM user's temporary credentials: GetSessionToken (the user's own permissions)
       * or GetFederationToken (a federated user, evaluated against the user's policies).
       * They carry `aws:TokenIssueTime`, and they outlive the key that minted them: AWS
       * says so in https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html.
       */
      kind: 'user-session';
      accessKeyId: string;
      secretAccessKey: string;
      sessionToken: string;
      accountId: string;
      userName: string;
      userArn: string;
      userId: string;
      /** Set for GetFederationToken: the federated user's name. */
      federatedName?: string;
      /** The long-term key that minted them. */
      sourceAccessKeyId: string;
      issuedAt: number;
      expiresAt: number;
    };

/**
 * Who a client acts as when its credentials were not issued by the sandbox (e.g. the
 * dummy ones a test passes). Credentials the sandbox issued always win.
 */
export interface AttachDefaults {
  /** Account of the caller; taken from `principal` when omitted. */
  accountId?: string;
  /** Principal ARN (`…:root`, `…:user/<n>`, `…:role/<n>`, assumed-role ARN); default the `sandbox-admin` role. */
  principal?: string;
}

/** Last use of an access key, kept outside account state (using a key is not a change). */
export interface KeyUsage {
  lastUsedDate: number;
  serviceName: string;
  region: string;
}

/** Everything a handler may touch for one call. */
export interface CallContext {
  world: SandboxWorld;
  /** The caller's account; a throwaway deep copy when EC2 `DryRun` is set. */
  account: AccountState;
  region: string;
  caller: Caller;
  now: number;
}

/** A command handler; input is the SDK command input, output lacks `$metadata`. */
export type SimHandler = (input: never, ctx: CallContext) => unknown;

/** What the authorizer needs to know about a request beyond its action. */
export interface AuthzTarget {
  resources: string[];
  context?: Record<string, string | string[] | undefined>;
}

/** One simulated service. */
export interface ServiceSim {
  readonly service: SimService;
  readonly handlers: Readonly<Record<string, SimHandler>>;
  /** IAM action prefix (`ec2`, `iam`, …). */
  readonly actionPrefix: string;
  /** Resource ARNs and condition keys the request carries, for policy evaluation. */
  authzTarget(command: string, input: unknown, ctx: CallContext): AuthzTarget;
  /** Commands that need no permission at all (sts:GetCallerIdentity). */
  readonly unauthenticatedCommands?: ReadonlySet<string>;
}

const ACCOUNT_RE = /^\d{12}$/;

/** Default principal for clients the sandbox builds: a role session, like Cordon on Lambda or ECS. */
export const SANDBOX_ADMIN_ROLE = 'sandbox-admin';

/** Shared state of the sandbox: accounts, issued credentials, ids, clock. */
export class SandboxWorld {
  readonly accounts = new Map<string, AccountState>();
  readonly credentials = new Map<string, IssuedCredential>();
  /** IAM user access key id → account, so a key can be found from any account. */
  readonly userKeyIndex = new Map<string, string>();
  readonly keyUsage = new Map<string, KeyUsage>();
  readonly ids: IdGenerator;
  clock: () => number = () => Date.now();
  /** How long a new security group stays invisible to other calls (EC2's eventual consistency); 0 = at once. */
  groupVisibilityDelayMs = 0;
  /** Accounts outside the `aws` partition (set before the account is first used). */
  readonly accountPartitions = new Map<string, SimPartition>();

  constructor(seed: number) {
    this.ids = new IdGenerator(seed);
  }

  now(): number {
    return this.clock();
  }

  account(accountId: string): AccountState {
    if (!ACCOUNT_RE.test(accountId)) throw new Error(`AwsSandbox: account id must be 12 digits, got "${accountId}"`);
    let acct = this.accounts.get(accountId);
    if (!acct) {
      acct = emptyAccount(accountId, this.accountPartitions.get(accountId) ?? 'aws');
      this.accounts.set(accountId, acct);
    }
    return acct;
  }

  /** Issues static credentials that the sandbox maps to `principalArn` in `accountId`. */
  issueStatic(accountId: string, principalArn: string): IssuedCredential & { kind: 'static' } {
    const cred = {
      kind: 'static' as const,
      accessKeyId: this.ids.iam('AKIA', 16),
      secretAccessKey: this.ids.secret(),
      accountId,
      principalArn,
    };
    this.credentials.set(cred.accessKeyId, cred);
    return cred;
  }

  findUserKey(accessKeyId: string): { account: AccountState; user: IamUser } | undefined {
    const accountId = this.userKeyIndex.get(accessKeyId);
    if (!accountId) return undefined;
    const account = this.account(accountId);
    for (const user of Object.values(account.iam.users)) {
      if (user.accessKeys.some((k) => k.accessKeyId === accessKeyId)) return { account, user };
    }
    return undefined;
  }

  /**
   * Maps presented credentials to a caller, as AWS does from the signature:
   * sandbox-issued keys first, then IAM user keys, then the client's attach defaults.
   */
  resolveCaller(service: SimService, accessKeyId: string | undefined, sessionToken: string | undefined, defaults: AttachDefaults | undefined): Caller {
    const issued = accessKeyId ? this.credentials.get(accessKeyId) : undefined;
    if (issued?.kind === 'session') {
      if (sessionToken !== issued.sessionToken) throw invalidTokenError(service);
      if (this.now() >= issued.expiresAt) throw expiredTokenError(service);
      return {
        kind: 'assumed-role',
        accountId: issued.accountId,
        arn: `arn:${this.account(issued.accountId).partition}:sts::${issued.accountId}:assumed-role/${issued.roleName}/${issued.sessionName}`,
        principalArn: issued.roleArn,
        userId: `${issued.roleId}:${issued.sessionName}`,
        accessKeyId: issued.accessKeyId,
        roleName: issued.roleName,
        sessionName: issued.sessionName,
        sessionTags: { ...issued.tags },
        tokenIssueTime: issued.issuedAt,
        expiresAt: issued.expiresAt,
        ...(issued.sourceInstanceArn ? { sourceInstanceArn: issued.sourceInstanceArn } : {}),
        ...(issued.sourceIdentity ? { sourceIdentity: issued.sourceIdentity } : {}),
      };
    }
    if (issued?.kind === 'user-session') {
      if (sessionToken !== issued.sessionToken) throw invalidTokenError(service);
      if (this.now() >= issued.expiresAt) throw expiredTokenError(service);
      const federated = issued.federatedName !== undefined;
      const arn = federated ? `arn:${this.account(issued.accountId).partition}:sts::${issued.accountId}:federated-user/${issued.federatedName ?? ''}` : issued.userArn;
      return {
        kind: 'user',
        accountId: issued.accountId,
        arn,
        principalArn: arn,
        userId: federated ? `${issued.accountId}:${issued.federatedName ?? ''}` : issued.userId,
        accessKeyId: issued.accessKeyId,
        // The user's own policies apply to both kinds (for a federated user, intersected with the session policy, which the sandbox does not evaluate).
        userName: issued.userName,
        sessionTags: {},
        tokenIssueTime: issued.issuedAt,
        expiresAt: issued.expiresAt,
        temporary: true,
      };
    }
    if (issued?.kind === 'static') return this.callerFromPrincipal(issued.accountId, issued.principalArn, issued.accessKeyId);
    if (accessKeyId) {
      const found = this.findUserKey(accessKeyId);
      if (found) {
        const key = found.user.accessKeys.find((k) => k.accessKeyId === accessKeyId);
        // A deactivated key stops working at once: that is the point of deactivating it.
        if (!key || key.status !== 'Active') throw invalidTokenError(service);
        return {
          kind: 'user',
          accountId: found.account.accountId,
          arn: found.user.arn,
          principalArn: found.user.arn,
          userId: found.user.userId,
          accessKeyId,
          userName: found.user.userName,
          sessionTags: {},
        };
      }
    }
    if (defaults?.accountId || defaults?.principal) {
      // Default to a role session, not root: root cannot assume roles and ignores policies.
      const principal = defaults.principal ?? (defaults.accountId ? `arn:${this.account(defaults.accountId).partition}:iam::${defaults.accountId}:role/${SANDBOX_ADMIN_ROLE}` : '');
      const accountId = defaults.accountId ?? /^arn:aws(?:-cn|-us-gov)?:(?:iam|sts)::(\d{12}):/.exec(principal)?.[1];
      if (!accountId) throw new Error(`AwsSandbox: cannot tell the account of principal "${principal}"`);
      return this.callerFromPrincipal(accountId, principal, accessKeyId ?? 'UNKNOWN');
    }
    throw invalidTokenError(service);
  }

  /** A caller for a principal ARN: root, IAM user, role (as a session) or assumed-role session. */
  callerFromPrincipal(accountId: string, principalArn: string, accessKeyId: string): Caller {
    const account = this.account(accountId);
    const base = { accountId, accessKeyId, sessionTags: {} };
    const p = account.partition;
    if (principalArn === `arn:${p}:iam::${accountId}:root`) {
      return { ...base, kind: 'root', arn: principalArn, principalArn, userId: accountId };
    }
    const user = /^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(principalArn);
    if (user?.[1]) {
      const existing: IamUser | undefined = account.iam.users[user[1]];
      return { ...base, kind: 'user', arn: principalArn, principalArn, userId: existing?.userId ?? syntheticId('AIDA', principalArn), userName: user[1] };
    }
    const role = /^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:role\/(?:.*\/)?([^/]+)$/.exec(principalArn);
    const session = /^arn:aws(?:-cn|-us-gov)?:sts::\d{12}:assumed-role\/([^/]+)\/([^/]+)$/.exec(principalArn);
    const roleName = role?.[1] ?? session?.[1];
    if (roleName) {
      const sessionName = session?.[2] ?? 'sandbox';
      const existing: IamRole | undefined = account.iam.roles[roleName];
      const roleArn = existing?.arn ?? (role ? principalArn : `arn:${p}:iam::${accountId}:role/${roleName}`);
      return {
        ...base,
        kind: 'assumed-role',
        arn: `arn:${p}:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
        principalArn: roleArn,
        userId: `${existing?.roleId ?? syntheticId('AROA', roleArn)}:${sessionName}`,
        roleName,
        sessionName,
      };
    }
    throw new Error(`AwsSandbox: unsupported principal "${principalArn}" (use …:root, …:user/<name>, …:role/<name> or an assumed-role ARN)`);
  }
}

/** A stable pseudo id for principals that do not exist in IAM state. */
function syntheticId(prefix: string, seed: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let h = 2166136261;
  let out = prefix;
  for (let i = 0; i < 17; i++) {
    for (const ch of seed + String(i)) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    out += alphabet[h % alphabet.length];
  }
  return out;
}

// ---------------------------------------------------------------- input helpers

/** A deep copy where possible: handlers and the audit log must not share objects with callers. */
export function privateCopy<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

/** Reads an optional string member of an untyped input. */
export function strField(input: unknown, key: string): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const v = (input as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}

/** Reads an optional string-list member of an untyped input. */
export function listField(input: unknown, key: string): string[] {
  if (typeof input !== 'object' || input === null) return [];
  const v = (input as Record<string, unknown>)[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Throws the service's "missing parameter" error when a required member is absent. */
export function required<T>(value: T | undefined | null, name: string, code = 'MissingParameter'): T {
  if (value === undefined || value === null || (typeof value === 'string' && value === '')) {
    throw new SimError(code, `The request must contain the parameter ${name}`);
  }
  return value;
}

/** Date for SDK output from stored epoch ms. */
export function toDate(ms: number): Date {
  return new Date(ms);
}

/** Opaque paging token over an offset, as the real services' tokens are opaque. */
export function encodeToken(offset: number, scope: string): string {
  return Buffer.from(JSON.stringify({ o: offset, s: scope })).toString('base64');
}

/** Decodes a paging token; `undefined` when malformed or for another query. */
export function decodeToken(token: string, scope: string): number | undefined {
  try {
    const raw: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (typeof raw !== 'object' || raw === null) return undefined;
    const o = (raw as Record<string, unknown>).o;
    const s = (raw as Record<string, unknown>).s;
    return typeof o === 'number' && s === scope ? o : undefined;
  } catch {
    return undefined;
  }
}
