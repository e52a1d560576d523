/*
 * DynamoDB at the transport, for the benchmarks and their tests: a smithy request handler
 * that logs every HTTP request the SDK client sends (its operation, from the X-Amz-Target
 * header, and its span) and holds it for a fixed latency before handing it on. It sits below
 * every SDK middleware (serialisation, signing, retries), so each attempt that reaches the
 * wire is one round trip: delayed once and logged once. Cordon's code runs unchanged on a
 * real DynamoDBClient; only the wire is slowed and counted.
 */
import { performance } from 'node:perf_hooks';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpHandlerOptions, HttpResponse, RequestHandler, RequestHandlerOutput } from '@smithy/types';

/** The request as the SDK hands it to its transport (smithy's HttpRequest). */
export type HttpRequest = Parameters<NodeHttpHandler['handle']>[0];

/** The transport shape a DynamoDBClient's `requestHandler` takes. */
export type DynamoTransport = RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions>;

/** One request as the transport saw it: the DynamoDB operation and its span (performance.now ms, `end` NaN while in flight). */
export interface DynamoRoundTrip {
  operation: string;
  start: number;
  end: number;
}

/** The DynamoDB operation a request carries (`GetItem`…), from its X-Amz-Target header. */
export const operationOf = (req: HttpRequest): string => {
  const target = Object.entries(req.headers).find(([k]) => k.toLowerCase() === 'x-amz-target')?.[1] ?? '';
  return target.slice(target.indexOf('.') + 1) || `${req.method} ${req.path}`;
};

/**
 * Logs each request, waits `latencyMs` (standing in for the network between a Lambda and
 * DynamoDB), then lets `inner` answer it. A TransactWriteItems is one request, so one round
 * trip, whatever `inner` does to answer it (see DynaliteTransport).
 */
export class LatencyTransport implements DynamoTransport {
  readonly metadata = { handlerProtocol: 'http/1.1' };
  /** Every request that went out, in order of leaving. */
  readonly log: DynamoRoundTrip[] = [];

  constructor(
    private readonly inner: DynamoTransport,
    /** Settable: 0 while a bench sets up its tables, so setup costs no simulated time. */
    public latencyMs: number,
  ) {}

  async handle(req: HttpRequest, options?: HttpHandlerOptions): Promise<RequestHandlerOutput<HttpResponse>> {
    const trip: DynamoRoundTrip = { operation: operationOf(req), start: performance.now(), end: Number.NaN };
    this.log.push(trip);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    try {
      return await this.inner.handle(req, options);
    } finally {
      trip.end = performance.now();
    }
  }

  /** The operations logged from `mark` (a length of {@link log} taken before) on. */
  operationsSince(mark: number): string[] {
    return this.log.slice(mark).map((t) => t.operation);
  }

  destroy(): void {
    this.inner.destroy?.();
  }
}
