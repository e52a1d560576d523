import { performance } from 'node:perf_hooks';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { HttpHandlerOptions, HttpRequest, HttpResponse, RequestHandler } from '@smithy/types';

/** One request as the transport saw it: the DynamoDB operation (X-Amz-Target) and its span (performance.now ms). */
export interface DynamoRoundTrip {
  operation: string;
  start: number;
  end: number;
}

/** The smithy HttpHandler shape a client's `requestHandler` takes (RequestHandler plus its config accessors). */
type SmithyHttpHandler = RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions> & {
  updateHttpClientConfig(key: never, value: never): void;
  httpHandlerConfigs(): object;
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A DynamoDB client's transport with a fixed delay before every HTTP request (standing in
 * for the network between a Lambda and DynamoDB), delegating to the SDK's own Node HTTP
 * handler. It sits below every SDK middleware (serialisation, signing, retries), so each
 * attempt that reaches the wire is one round trip: delayed once and logged once. Nothing
 * in Cordon's code knows it is there.
 */
export class LatencyHttpHandler implements SmithyHttpHandler {
  /** Every request that went out, in order of leaving. */
  readonly log: DynamoRoundTrip[] = [];

  constructor(
    private readonly inner: SmithyHttpHandler,
    public latencyMs: number,
  ) {}

  get metadata(): RequestHandler<HttpRequest, HttpResponse>['metadata'] {
    return this.inner.metadata;
  }

  async handle(request: HttpRequest, options?: HttpHandlerOptions): Promise<{ response: HttpResponse }> {
    const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'] ?? '';
    const trip = this.record(target.replace(/^DynamoDB_\d+\./, ''));
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    try {
      return await this.inner.handle(request, options);
    } finally {
      trip.end = performance.now();
    }
  }

  /** Starts a logged round trip for a request made elsewhere (a transaction that dynalite needs emulated). */
  record(operation: string): DynamoRoundTrip {
    const trip = { operation, start: performance.now(), end: Number.NaN };
    this.log.push(trip);
    return trip;
  }

  updateHttpClientConfig(key: never, value: never): void {
    this.inner.updateHttpClientConfig(key, value);
  }

  httpHandlerConfigs(): object {
    return this.inner.httpHandlerConfigs();
  }

  destroy(): void {
    this.inner.destroy?.();
  }
}

/**
 * A DynamoDBClient whose transport is the SDK's default Node HTTP handler wrapped in a
 * {@link LatencyHttpHandler}. The default handler is taken from a plain client built with
 * the same config, so it is exactly what the SDK would use.
 */
export function latencyDynamoClient(config: DynamoDBClientConfig, latencyMs: number): { client: DynamoDBClient; transport: LatencyHttpHandler } {
  const plain = new DynamoDBClient(config);
  const transport = new LatencyHttpHandler(plain.config.requestHandler as SmithyHttpHandler, latencyMs);
  return { client: new DynamoDBClient({ ...config, requestHandler: transport }), transport };
}
