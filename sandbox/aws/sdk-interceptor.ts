/**
 * The hook into the real SDK clients. Two middlewares: one at `initialize` keeps
 * the command input as the caller built it; one at `finalizeRequest` (priority
 * low) answers the request in place of the HTTP handler. That position matters:
 * it sits after the SDK has resolved credentials and signed the request (so the
 * caller is identified from the signature, exactly as AWS does) and inside the
 * SDK's retry middleware (so simulated throttling is retried by the SDK's own
 * standard/adaptive strategy, with its real backoff).
 */
import type {
  FinalizeHandler,
  FinalizeHandlerArguments,
  FinalizeHandlerOutput,
  HandlerExecutionContext,
  InitializeHandler,
  InitializeHandlerArguments,
  InitializeHandlerOutput,
  MetadataBearer,
  Pluggable,
} from '@smithy/types';
import { SIM_SERVICES, SimError, SimService, toSdkException } from './sim-errors';
import { AttachDefaults, privateCopy } from './sim-world';

/** One intercepted attempt, as the sandbox receives it. */
export interface InterceptedCall {
  service: SimService;
  /** Command name without the `Command` suffix. */
  command: string;
  /** A private deep copy of the command input. */
  input: unknown;
  /** From the SigV4 `Authorization` header of the signed request. */
  accessKeyId?: string;
  /** `x-amz-security-token`, present for temporary credentials. */
  sessionToken?: string;
  /** Signing region (IAM signs for us-east-1). */
  region: string;
  /** 1-based attempt number, from the SDK's `amz-sdk-request` header. */
  attempt: number;
  defaults?: AttachDefaults;
  requestId: string;
}

/** What the interceptor calls into (the AwsSandbox). */
export interface SandboxCallHost {
  handleCall(call: InterceptedCall): Promise<unknown>;
  nextRequestId(): string;
}

const INPUT_KEY = '__cordonSandboxInput';
const MIDDLEWARE_NAME = 'cordonAwsSandbox';
const CAPTURE_NAME = 'cordonAwsSandboxCapture';

const CLIENT_SERVICES: Readonly<Record<string, SimService>> = {
  EC2Client: 'ec2',
  IAMClient: 'iam',
  LambdaClient: 'lambda',
  STSClient: 'sts',
  GuardDutyClient: 'guardduty',
  AutoScalingClient: 'autoscaling',
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function header(request: unknown, name: string): string | undefined {
  if (!isRecord(request) || !isRecord(request.headers)) return undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(request.headers)) {
    if (k.toLowerCase() === lower && typeof v === 'string') return v;
  }
  return undefined;
}

/** Parses `Credential=<AKID>/<date>/<region>/<service>/aws4_request` out of a SigV4 header. */
export function parseSigV4(authorization: string | undefined): { accessKeyId: string; region: string; service: string } | undefined {
  const m = authorization ? /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization) : null;
  if (!m?.[1] || !m[2] || !m[3]) return undefined;
  return { accessKeyId: m[1], region: m[2], service: m[3] };
}

function simServiceOf(signingService: string | undefined, context: HandlerExecutionContext): SimService | undefined {
  const byScope = SIM_SERVICES.find((s) => s === signingService);
  if (byScope) return byScope;
  return context.clientName ? CLIENT_SERVICES[context.clientName] : undefined;
}

function contextBag(context: HandlerExecutionContext): Record<string, unknown> {
  // HandlerExecutionContext is an open bag by design; middlewares pass data through it.
  return context;
}

function captureMiddleware<I extends object, O extends object>() {
  return (next: InitializeHandler<I, O>, context: HandlerExecutionContext) =>
    async (args: InitializeHandlerArguments<I>): Promise<InitializeHandlerOutput<O>> => {
      contextBag(context)[INPUT_KEY] = args.input;
      return next(args);
    };
}

function withMetadata<O extends object>(output: unknown, requestId: string): O {
  const body = isRecord(output) ? output : {};
  const $metadata: MetadataBearer['$metadata'] = {
    httpStatusCode: 200,
    requestId,
    extendedRequestId: undefined,
    cfId: undefined,
    attempts: 1,
    totalRetryDelay: 0,
  };
  // The handler output is typed by the SDK's own XxxCommandOutput minus $metadata.
  return { ...body, $metadata } as unknown as O;
}

function answerMiddleware<I extends object, O extends object>(host: SandboxCallHost, defaults: AttachDefaults | undefined) {
  return (_next: FinalizeHandler<I, O>, context: HandlerExecutionContext) =>
    async (args: FinalizeHandlerArguments<I>): Promise<FinalizeHandlerOutput<O>> => {
      const sig = parseSigV4(header(args.request, 'authorization'));
      const service = simServiceOf(sig?.service, context);
      if (!service) throw new Error(`AwsSandbox: ${context.clientName ?? 'this client'} is not a simulated service`);
      const captured = contextBag(context)[INPUT_KEY] ?? args.input;
      const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      const attempt = Number(/attempt=(\d+)/.exec(header(args.request, 'amz-sdk-request') ?? '')?.[1] ?? '1');
      const requestId = host.nextRequestId();
      const token = header(args.request, 'x-amz-security-token');
      try {
        const output = await host.handleCall({
          service,
          command,
          input: privateCopy(captured),
          region: sig?.region ?? 'us-east-1',
          attempt,
          requestId,
          ...(sig ? { accessKeyId: sig.accessKeyId } : {}),
          ...(token ? { sessionToken: token } : {}),
          ...(defaults ? { defaults } : {}),
        });
        return {
          response: { statusCode: 200, reason: undefined, headers: { 'x-amzn-requestid': requestId }, body: undefined },
          output: withMetadata<O>(output, requestId),
        };
      } catch (err) {
        if (err instanceof SimError) throw toSdkException(service, err, requestId);
        throw err;
      }
    };
}

/**
 * A plugin that routes every command of the client it is applied to into the
 * sandbox. Idempotent: applying it again replaces the earlier one (the
 * credential providers re-apply their `clientPlugins` on every refresh).
 */
export function sandboxPlugin<I extends object, O extends object>(host: SandboxCallHost, defaults?: AttachDefaults): Pluggable<I, O> {
  return {
    applyToStack(stack) {
      stack.add(captureMiddleware<I, O>(), { step: 'initialize', name: CAPTURE_NAME, priority: 'low', override: true });
      stack.add(answerMiddleware<I, O>(host, defaults), { step: 'finalizeRequest', name: MIDDLEWARE_NAME, priority: 'low', override: true });
    },
  };
}

/**
 * A request handler that refuses to send anything. Clients built by the sandbox
 * carry it so that, should the interceptor ever be bypassed, nothing leaves the
 * machine.
 */
export const refusingRequestHandler = {
  metadata: { handlerProtocol: 'sandbox/refuse' },
  handle(): Promise<never> {
    return Promise.reject(new Error('AwsSandbox: refusing to send a real AWS request (the sandbox interceptor was bypassed)'));
  },
  updateHttpClientConfig(): void {},
  httpHandlerConfigs(): Record<string, never> {
    return {};
  },
  destroy(): void {},
};
