/*
 * DynamoDB at the transport, for the benchmarks: a smithy request handler that logs every HTTP
 * request the SDK client sends (its operation, from the X-Amz-Target header) and holds it for
 * a fixed latency before handing it on. Cordon's code runs unchanged on a real DynamoDBClient;
 * only the wire is slowed and counted, so the round trips are the client's own requests.
 */
import { Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { DynamoDBClient, type AttributeValue, type TransactWriteItemsCommandInput } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { repoRoot } from './repo-root';
import type { HttpHandlerOptions, HttpResponse, RequestHandler, RequestHandlerOutput } from '@smithy/types';

/** The request as the SDK hands it to its transport (smithy's HttpRequest). */
type HttpRequest = Parameters<NodeHttpHandler['handle']>[0];
type Handler = RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions>;

/** Every request a client sent, in order: the DynamoDB operation of each. */
export class TransportLog {
  readonly operations: string[] = [];

  /** Requests since `mark` (a length of {@link operations} taken before). */
  since(mark: number): string[] {
    return this.operations.slice(mark);
  }
}

const operationOf = (req: HttpRequest): string => {
  const target = Object.entries(req.headers).find(([k]) => k.toLowerCase() === 'x-amz-target')?.[1] ?? '';
  return target.slice(target.indexOf('.') + 1) || `${req.method} ${req.path}`;
};

/** Logs each request, waits `latencyMs`, then lets `inner` send it. */
export class LatencyTransport implements Handler {
  readonly metadata = { handlerProtocol: 'http/1.1' };

  constructor(
    private readonly inner: Handler,
    private readonly latencyMs: number,
    private readonly log: TransportLog,
  ) {}

  async handle(req: HttpRequest, options?: HttpHandlerOptions): Promise<RequestHandlerOutput<HttpResponse>> {
    this.log.operations.push(operationOf(req));
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    return this.inner.handle(req, options);
  }

  destroy(): void {
    (this.inner as { destroy?: () => void }).destroy?.();
  }
}

const jsonResponse = (statusCode: number, body: unknown): RequestHandlerOutput<HttpResponse> => ({
  response: { statusCode, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Readable.from([Buffer.from(JSON.stringify(body))]) },
});

type Item = Record<string, AttributeValue>;

const cancelled = (reasons: { Code: string; Message?: string }[]): RequestHandlerOutput<HttpResponse> =>
  jsonResponse(400, {
    __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
    CancellationReasons: reasons,
  });

/**
 * dynalite has no TransactWriteItems. This transport answers it as DynamoDB does over the wire
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html):
 * one request; `{}` when every item's condition held and all were written; otherwise nothing
 * stays written and a 400 `TransactionCanceledException` gives one `CancellationReasons` entry
 * per item (`ConditionalCheckFailed`, `None`). A transaction touching an item another one has in
 * flight is refused with `TransactionConflict`, as DynamoDB refuses it
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-conflict-handling),
 * so transactions on disjoint items run side by side. Each item is written by a conditional
 * single-item write on dynalite, all at once (an item's condition concerns only that item);
 * the old images they return put back what was written when one fails. Everything else goes
 * to dynalite over HTTP unchanged.
 */
export class DynaliteTransport implements Handler {
  readonly metadata = { handlerProtocol: 'http/1.1' };
  private readonly http = new NodeHttpHandler();
  /** Items of the transactions in flight. */
  private readonly busy = new Set<string>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly endpoint: URL;

  constructor(endpoint: string) {
    this.endpoint = new URL(endpoint);
  }

  /**
   * One single-item call to dynalite, without the SDK: the emulation's own calls are not the
   * client's round trips, and the SDK's signing and parsing would load this CPU for nothing
   * (dynalite checks that a request is signed, not the signature).
   */
  private call<T>(operation: string, input: object): Promise<T> {
    const body = JSON.stringify(input);
    return new Promise<T>((resolve, reject) => {
      const req = httpRequest(
        {
          host: this.endpoint.hostname,
          port: this.endpoint.port,
          method: 'POST',
          path: '/',
          agent: this.agent,
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'content-length': Buffer.byteLength(body),
            'x-amz-target': `DynamoDB_20120810.${operation}`,
            'x-amz-date': '20260101T000000Z',
            authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0',
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const out = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as T & { __type?: string; message?: string; Message?: string };
            if ((res.statusCode ?? 500) < 300) return resolve(out);
            const name = (out.__type ?? 'InternalServerError').split('#').pop() as string;
            reject(Object.assign(new Error(out.message ?? out.Message ?? name), { name }));
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  async handle(req: HttpRequest, options?: HttpHandlerOptions): Promise<RequestHandlerOutput<HttpResponse>> {
    if (operationOf(req) !== 'TransactWriteItems') return this.http.handle(req, options);
    const body: unknown = req.body;
    const input = JSON.parse(body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8') : String(body)) as TransactWriteItemsCommandInput;
    const ops = input.TransactItems ?? [];
    const ids = ops.map((op) => {
      const table = (op.Put ?? op.Delete ?? op.Update ?? op.ConditionCheck)?.TableName as string;
      const key: Item = op.Put ? { pk: op.Put.Item?.pk as AttributeValue, sk: op.Put.Item?.sk as AttributeValue } : ((op.Delete ?? op.Update ?? op.ConditionCheck)?.Key as Item);
      return { table, key, id: `${table}|${JSON.stringify(key)}` };
    });
    if (new Set(ids.map((i) => i.id)).size !== ids.length) {
      return jsonResponse(400, { __type: 'com.amazon.coral.validate#ValidationException', message: 'Transaction request cannot include multiple operations on one item' });
    }
    if (ids.some((i) => this.busy.has(i.id))) return cancelled(ids.map((i) => ({ Code: this.busy.has(i.id) ? 'TransactionConflict' : 'None' })));
    for (const i of ids) this.busy.add(i.id);
    try {
      const outcomes = await Promise.allSettled(ops.map((op) => this.write(op)));
      if (outcomes.every((o) => o.status === 'fulfilled')) return jsonResponse(200, {});
      // Put back what was written, then say which conditions failed.
      await Promise.all(
        outcomes.map(async (o, j) => {
          if (o.status !== 'fulfilled' || o.value === 'unchanged') return;
          const { table, key } = ids[j] as (typeof ids)[number];
          if (o.value) await this.call('PutItem', { TableName: table, Item: o.value });
          else await this.call('DeleteItem', { TableName: table, Key: key });
        }),
      );
      const other = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected' && (o.reason as { name?: string }).name !== 'ConditionalCheckFailedException');
      if (other) {
        const e = other.reason as { name?: string; message?: string };
        return jsonResponse(400, { __type: `com.amazonaws.dynamodb.v20120810#${e.name ?? 'InternalServerError'}`, message: e.message });
      }
      return cancelled(outcomes.map((o) => ({ Code: o.status === 'rejected' ? 'ConditionalCheckFailed' : 'None' })));
    } finally {
      for (const i of ids) this.busy.delete(i.id);
    }
  }

  /** One item's write; its old image (undefined: there was none), or 'unchanged' for a check. */
  private async write(op: NonNullable<TransactWriteItemsCommandInput['TransactItems']>[number]): Promise<Item | undefined | 'unchanged'> {
    type Old = { Attributes?: Item };
    if (op.Put) return (await this.call<Old>('PutItem', { ...op.Put, ReturnValues: 'ALL_OLD' })).Attributes;
    if (op.Delete) return (await this.call<Old>('DeleteItem', { ...op.Delete, ReturnValues: 'ALL_OLD' })).Attributes;
    if (op.Update) return (await this.call<Old>('UpdateItem', { ...op.Update, ReturnValues: 'ALL_OLD' })).Attributes;
    const c = op.ConditionCheck;
    if (!c) throw Object.assign(new Error('a transaction item names no operation'), { name: 'ValidationException' });
    // A condition alone: a read of the item, refused when the condition fails (dynalite evaluates it).
    const names = { ...(c.ExpressionAttributeNames ?? {}), '#cordonNoop': 'cordonNoop' };
    await this.call('UpdateItem', {
      TableName: c.TableName,
      Key: c.Key,
      ConditionExpression: `attribute_exists(pk) AND (${c.ConditionExpression ?? 'attribute_exists(pk)'})`,
      ExpressionAttributeNames: names,
      ...(c.ExpressionAttributeValues ? { ExpressionAttributeValues: c.ExpressionAttributeValues } : {}),
      UpdateExpression: 'REMOVE #cordonNoop',
    });
    return 'unchanged';
  }

  destroy(): void {
    this.http.destroy();
    this.agent.destroy();
  }
}

/** A DynamoDBClient on a local dynalite whose every request is logged and delayed by `latencyMs`. */
export function slowDynamoDbClient(endpoint: string, latencyMs: number, log: TransportLog): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // As src/store/open-store.ts makes it: any retry the SDK made would show in the log.
    retryMode: 'adaptive',
    maxAttempts: 8,
    requestHandler: new LatencyTransport(new DynaliteTransport(endpoint), latencyMs, log),
  });
}

/**
 * dynalite in a child process, so its CPU (it stands in for DynamoDB's servers) is not this
 * process's: the figures are the client's. Closed by killing the child this started.
 */
export async function startDynaliteProcess(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const script = "const s=require('dynalite')({createTableMs:0,deleteTableMs:0,updateTableMs:0});s.listen(0,'127.0.0.1',()=>console.log(s.address().port));";
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'], cwd: repoRoot() });
  // Never outlives this process, however it ends.
  const stop = (): void => {
    child.kill();
  };
  process.once('exit', stop);
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString('utf8').trim())));
    child.once('exit', (code) => reject(new Error(`dynalite exited (${code ?? 'signal'})`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        process.off('exit', stop);
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}
