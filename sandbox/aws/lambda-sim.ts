import type {
  DeleteFunctionConcurrencyCommandInput,
  DeleteProvisionedConcurrencyConfigCommandInput,
  DeleteProvisionedConcurrencyConfigCommandOutput,
  GetProvisionedConcurrencyConfigCommandInput,
  GetProvisionedConcurrencyConfigCommandOutput,
  ListProvisionedConcurrencyConfigsCommandInput,
  ListProvisionedConcurrencyConfigsCommandOutput,
  PutProvisionedConcurrencyConfigCommandInput,
  PutProvisionedConcurrencyConfigCommandOutput,
  DeleteFunctionConcurrencyCommandOutput,
  FunctionConfiguration,
  GetFunctionCommandInput,
  GetFunctionCommandOutput,
  GetFunctionConcurrencyCommandInput,
  GetFunctionConfigurationCommandInput,
  GetFunctionConfigurationCommandOutput,
  GetFunctionConcurrencyCommandOutput,
  InvokeCommandInput,
  InvokeCommandOutput,
  ListFunctionsCommandInput,
  ListFunctionsCommandOutput,
  PutFunctionConcurrencyCommandInput,
  PutFunctionConcurrencyCommandOutput,
} from '@aws-sdk/client-lambda';
import { SandboxUnsupportedError, SimError } from './sim-errors';
import { AccountState, LambdaFunctionState, LambdaState, regionOf } from './sim-state';
import { AuthzTarget, CallContext, decodeToken, encodeToken, SandboxWorld, SimHandler, strField } from './sim-world';

type Out<T> = Omit<T, '$metadata'>;

/** Lambda keeps this much of the account's concurrency unreserved, always. */
export const MIN_UNRESERVED_CONCURRENCY = 100;

function lambdaOf(ctx: CallContext): LambdaState {
  return regionOf(ctx.account, ctx.region).lambda;
}

/** Accepts a name, a full ARN or a partial ARN (`<acct>:function:<name>`), as Lambda does. */
function functionName(ref: string | undefined): string {
  if (!ref) throw new SimError('InvalidParameterValueException', 'FunctionName is required');
  const m = /^(?:arn:aws(?:-cn|-us-gov)?:lambda:[a-z0-9-]+:)?(?:\d{12}:)?(?:function:)?([A-Za-z0-9_-]{1,64})(?::(\$LATEST|[A-Za-z0-9_-]+))?$/.exec(ref);
  if (!m?.[1]) {
    throw new SimError('InvalidParameterValueException', `1 validation error detected: Value '${ref}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?`);
  }
  return m[1];
}

function getFunction(ctx: CallContext, ref: string | undefined): LambdaFunctionState {
  const name = functionName(ref);
  const fn = lambdaOf(ctx).functions[name];
  if (!fn) throw new SimError('ResourceNotFoundException', `Function not found: arn:${ctx.account.partition}:lambda:${ctx.region}:${ctx.account.accountId}:function:${name}`);
  return fn;
}

function renderConfiguration(fn: LambdaFunctionState): FunctionConfiguration {
  return {
    FunctionName: fn.functionName,
    FunctionArn: fn.functionArn,
    Runtime: fn.runtime as FunctionConfiguration['Runtime'],
    Role: fn.role,
    Handler: fn.handler,
    CodeSize: fn.codeSize,
    Description: fn.description,
    Timeout: fn.timeout,
    MemorySize: fn.memorySize,
    // Lambda's own format: ISO-8601 with a +0000 offset, as a string.
    LastModified: new Date(fn.lastModified).toISOString().replace('Z', '+0000'),
    CodeSha256: fn.codeSha256,
    Version: '$LATEST',
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: fn.revisionId,
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: ['x86_64'],
    EphemeralStorage: { Size: 512 },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${fn.functionName}` },
  };
}

const GetFunction = (input: GetFunctionCommandInput, ctx: CallContext): Out<GetFunctionCommandOutput> => {
  const fn = getFunction(ctx, input.FunctionName);
  return {
    Configuration: renderConfiguration(fn),
    Code: { RepositoryType: 'S3', Location: `https://awslambda-${ctx.region}-tasks.s3.${ctx.region}.amazonaws.com/snapshots/${ctx.account.accountId}/${fn.functionName}` },
    ...(Object.keys(fn.tags).length ? { Tags: { ...fn.tags } } : {}),
    // Concurrency appears only when a reservation exists, as in the real response.
    ...(fn.reservedConcurrency !== undefined ? { Concurrency: { ReservedConcurrentExecutions: fn.reservedConcurrency } } : {}),
  };
};

/** The configuration alone, without the code location (https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConfiguration.html). */
const GetFunctionConfiguration = (input: GetFunctionConfigurationCommandInput, ctx: CallContext): Out<GetFunctionConfigurationCommandOutput> => renderConfiguration(getFunction(ctx, input.FunctionName));

const GetFunctionConcurrency = (input: GetFunctionConcurrencyCommandInput, ctx: CallContext): Out<GetFunctionConcurrencyCommandOutput> => {
  const fn = getFunction(ctx, input.FunctionName);
  return fn.reservedConcurrency !== undefined ? { ReservedConcurrentExecutions: fn.reservedConcurrency } : {};
};

const PutFunctionConcurrency = (input: PutFunctionConcurrencyCommandInput, ctx: CallContext): Out<PutFunctionConcurrencyCommandOutput> => {
  const fn = getFunction(ctx, input.FunctionName);
  const wanted = input.ReservedConcurrentExecutions;
  if (wanted === undefined || !Number.isInteger(wanted) || wanted < 0) {
    throw new SimError('InvalidParameterValueException', `1 validation error detected: Value '${String(wanted)}' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0`);
  }
  const lambda = lambdaOf(ctx);
  const reservedElsewhere = Object.values(lambda.functions)
    .filter((f) => f.functionName !== fn.functionName)
    .reduce((sum, f) => sum + (f.reservedConcurrency ?? 0), 0);
  // Provisioned concurrency is carved out of the function's reserved concurrency, so a
  // reservation below it (0 included: the usual way to throttle) is refused while the
  // configs exist (https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html,
  // https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
  const provisioned = provisionedTotal(fn);
  if (wanted < provisioned) {
    throw new SimError(
      'InvalidParameterValueException',
      `Specified ReservedConcurrentExecutions for function is less than the function's allocated provisioned concurrency [${provisioned}]; remove or reduce the provisioned concurrency configurations first.`,
    );
  }
  if (lambda.concurrencyLimit - reservedElsewhere - wanted < MIN_UNRESERVED_CONCURRENCY) {
    throw new SimError(
      'InvalidParameterValueException',
      `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${MIN_UNRESERVED_CONCURRENCY}].`,
    );
  }
  fn.reservedConcurrency = wanted;
  return { ReservedConcurrentExecutions: wanted };
};

function provisionedTotal(fn: LambdaFunctionState): number {
  return Object.values(fn.provisionedConcurrency ?? {}).reduce((a, b) => a + b, 0);
}

/** A published version or an alias: provisioned concurrency cannot go on `$LATEST`. */
function qualifierOf(q: string | undefined): string {
  if (!q) throw new SimError('InvalidParameterValueException', 'Qualifier is required');
  if (q === '$LATEST') throw new SimError('InvalidParameterValueException', 'Provisioned Concurrency Configs cannot be applied to unpublished function versions.');
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(q)) throw new SimError('InvalidParameterValueException', `1 validation error detected: Value '${q}' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)`);
  return q;
}

function notFoundConfig(fn: LambdaFunctionState, q: string): SimError {
  return new SimError('ProvisionedConcurrencyConfigNotFoundException', `No Provisioned Concurrency Config found for this function: ${fn.functionArn}:${q}`);
}

/** The configs are stored as requested and reported READY at once (no allocation time). */
const PutProvisionedConcurrencyConfig = (input: PutProvisionedConcurrencyConfigCommandInput, ctx: CallContext): Out<PutProvisionedConcurrencyConfigCommandOutput> => {
  const fn = getFunction(ctx, input.FunctionName);
  const q = qualifierOf(input.Qualifier);
  const n = input.ProvisionedConcurrentExecutions;
  if (n === undefined || !Number.isInteger(n) || n < 1) {
    throw new SimError('InvalidParameterValueException', `1 validation error detected: Value '${String(n)}' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 1`);
  }
  const others = provisionedTotal(fn) - (fn.provisionedConcurrency?.[q] ?? 0);
  // Provisioned concurrency cannot exceed the function's reserved concurrency (provisioned-concurrency.html).
  if (fn.reservedConcurrency !== undefined && others + n > fn.reservedConcurrency) {
    throw new SimError('InvalidParameterValueException', `Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function [${fn.reservedConcurrency}].`);
  }
  fn.provisionedConcurrency = { ...(fn.provisionedConcurrency ?? {}), [q]: n };
  return { RequestedProvisionedConcurrentExecutions: n, AllocatedProvisionedConcurrentExecutions: n, AvailableProvisionedConcurrentExecutions: n, Status: 'READY', LastModified: new Date(ctx.now).toISOString() };
};

const GetProvisionedConcurrencyConfig = (input: GetProvisionedConcurrencyConfigCommandInput, ctx: CallContext): Out<GetProvisionedConcurrencyConfigCommandOutput> => {
  const fn = getFunction(ctx, input.FunctionName);
  const q = qualifierOf(input.Qualifier);
  const n = fn.provisionedConcurrency?.[q];
  if (n === undefined) throw notFoundConfig(fn, q);
  return { RequestedProvisionedConcurrentExecutions: n, AllocatedProvisionedConcurrentExecutions: n, AvailableProvisionedConcurrentExecutions: n, Status: 'READY' };
};

const ListProvisionedConcurrencyConfigs = (input: ListProvisionedConcurrencyConfigsCommandInput, ctx: CallContext): Out<ListProvisionedConcurrencyConfigsCommandOutput> => {
  const fn = getFunction(ctx, input.FunctionName);
  const all = Object.entries(fn.provisionedConcurrency ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const max = input.MaxItems ?? 50;
  if (max < 1 || max > 50) throw new SimError('InvalidParameterValueException', 'MaxItems must be between 1 and 50');
  let start = 0;
  if (input.Marker) {
    const decoded = decodeToken(input.Marker, `ListProvisionedConcurrencyConfigs/${fn.functionName}`);
    if (decoded === undefined) throw new SimError('InvalidParameterValueException', 'Invalid marker');
    start = decoded;
  }
  const end = start + max;
  return {
    ProvisionedConcurrencyConfigs: all.slice(start, end).map(([q, n]) => ({
      FunctionArn: `${fn.functionArn}:${q}`,
      RequestedProvisionedConcurrentExecutions: n,
      AllocatedProvisionedConcurrentExecutions: n,
      AvailableProvisionedConcurrentExecutions: n,
      Status: 'READY' as const,
    })),
    ...(end < all.length ? { NextMarker: encodeToken(end, `ListProvisionedConcurrencyConfigs/${fn.functionName}`) } : {}),
  };
};

const DeleteProvisionedConcurrencyConfig = (input: DeleteProvisionedConcurrencyConfigCommandInput, ctx: CallContext): Out<DeleteProvisionedConcurrencyConfigCommandOutput> => {
  const fn = getFunction(ctx, input.FunctionName);
  const q = qualifierOf(input.Qualifier);
  if (fn.provisionedConcurrency?.[q] === undefined) throw notFoundConfig(fn, q);
  const rest = { ...fn.provisionedConcurrency };
  delete rest[q];
  if (Object.keys(rest).length) fn.provisionedConcurrency = rest;
  else delete fn.provisionedConcurrency;
  return {};
};

const DeleteFunctionConcurrency = (input: DeleteFunctionConcurrencyCommandInput, ctx: CallContext): Out<DeleteFunctionConcurrencyCommandOutput> => {
  const fn = getFunction(ctx, input.FunctionName);
  delete fn.reservedConcurrency;
  return {};
};

const ListFunctions = (input: ListFunctionsCommandInput, ctx: CallContext): Out<ListFunctionsCommandOutput> => {
  const all = Object.values(lambdaOf(ctx).functions);
  const max = input.MaxItems ?? 50;
  if (max < 1 || max > 10000) throw new SimError('InvalidParameterValueException', 'MaxItems must be between 1 and 10000');
  let start = 0;
  if (input.Marker) {
    const decoded = decodeToken(input.Marker, 'ListFunctions');
    if (decoded === undefined) throw new SimError('InvalidParameterValueException', 'Invalid marker');
    start = decoded;
  }
  // Lambda pages at 50 however many were asked for.
  const end = start + Math.min(max, 50);
  return {
    Functions: all.slice(start, end).map(renderConfiguration),
    ...(end < all.length ? { NextMarker: encodeToken(end, 'ListFunctions') } : {}),
  };
};

/**
 * Asynchronous (`Event`) and `DryRun` invocations only: the sandbox runs no function
 * code, so there is nothing to answer a `RequestResponse` with. What was sent (payload,
 * invocation type) is in the sandbox's call records.
 */
const Invoke = (input: InvokeCommandInput, ctx: CallContext): Out<InvokeCommandOutput> => {
  getFunction(ctx, input.FunctionName);
  const type = input.InvocationType ?? 'RequestResponse';
  if (type === 'DryRun') return { StatusCode: 204 };
  if (type !== 'Event') throw new SandboxUnsupportedError(`AwsSandbox: lambda Invoke with InvocationType ${type} is not simulated (only Event and DryRun)`);
  const text = payloadText(input.Payload);
  if (text !== '') {
    try {
      JSON.parse(text);
    } catch {
      throw new SimError('InvalidRequestContentException', 'Could not parse request body into json: Could not parse payload into json');
    }
  }
  // Lambda queues the event and answers 202 at once; the function runs later.
  return { StatusCode: 202 };
};

/** An Invoke payload as text (the call records hold it as given: a string or bytes). */
export function payloadText(payload: unknown): string {
  if (payload === undefined || payload === null) return '';
  if (typeof payload === 'string') return payload;
  if (payload instanceof ArrayBuffer) return Buffer.from(payload).toString('utf8');
  if (ArrayBuffer.isView(payload)) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  throw new SandboxUnsupportedError('AwsSandbox: lambda Invoke with a streamed Payload is not simulated');
}

/** Lambda command handlers, keyed by command name without the `Command` suffix. */
export const LAMBDA_HANDLERS = {
  GetFunction,
  GetFunctionConfiguration,
  GetFunctionConcurrency,
  PutFunctionConcurrency,
  DeleteFunctionConcurrency,
  PutProvisionedConcurrencyConfig,
  GetProvisionedConcurrencyConfig,
  ListProvisionedConcurrencyConfigs,
  DeleteProvisionedConcurrencyConfig,
  ListFunctions,
  Invoke,
} satisfies Record<string, SimHandler>;

export function lambdaAuthzTarget(_command: string, input: unknown, ctx: CallContext): AuthzTarget {
  const ref = strField(input, 'FunctionName');
  if (!ref) return { resources: ['*'] };
  const m = /([A-Za-z0-9_-]{1,64})(?::[^:]+)?$/.exec(ref.replace(/^.*function:/, ''));
  return { resources: [`arn:${ctx.account.partition}:lambda:${ctx.region}:${ctx.account.accountId}:function:${m?.[1] ?? ref}`] };
}

/** Options for seeding a function. */
export interface SeedFunctionOptions {
  name: string;
  roleArn?: string;
  reservedConcurrency?: number;
  /** Provisioned concurrency per qualifier (version or alias). */
  provisionedConcurrency?: Record<string, number>;
  runtime?: string;
  handler?: string;
  tags?: Record<string, string>;
}

export function seedFunction(world: SandboxWorld, account: AccountState, region: string, opts: SeedFunctionOptions): LambdaFunctionState {
  const lambda = regionOf(account, region).lambda;
  if (lambda.functions[opts.name]) throw new SimError('ResourceConflictException', `Function already exist: ${opts.name}`);
  const fn: LambdaFunctionState = {
    functionName: opts.name,
    functionArn: `arn:${account.partition}:lambda:${region}:${account.accountId}:function:${opts.name}`,
    runtime: opts.runtime ?? 'nodejs22.x',
    role: opts.roleArn ?? `arn:${account.partition}:iam::${account.accountId}:role/${opts.name}-role`,
    handler: opts.handler ?? 'index.handler',
    description: '',
    timeout: 3,
    memorySize: 128,
    codeSha256: Buffer.from(world.ids.hex(64), 'hex').toString('base64'),
    codeSize: 1024,
    lastModified: world.now(),
    revisionId: world.ids.uuid(),
    tags: { ...(opts.tags ?? {}) },
    ...(opts.reservedConcurrency !== undefined ? { reservedConcurrency: opts.reservedConcurrency } : {}),
    ...(opts.provisionedConcurrency && Object.keys(opts.provisionedConcurrency).length ? { provisionedConcurrency: { ...opts.provisionedConcurrency } } : {}),
  };
  lambda.functions[fn.functionName] = fn;
  return fn;
}
