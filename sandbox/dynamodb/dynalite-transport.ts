/*
 * dynalite speaks DynamoDB's API over HTTP but has no TransactWriteItems. This transport, set
 * as a DynamoDBClient's `requestHandler` (alone, or inside a LatencyTransport), answers it as
 * one request the way DynamoDB does, and passes every other request to dynalite unchanged.
 */
import { Readable } from 'node:stream';
import { Agent, request as httpRequest } from 'node:http';
import type { AttributeValue, TransactWriteItemsCommandInput } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpHandlerOptions, HttpResponse, RequestHandlerOutput } from '@smithy/types';
import { operationOf, type DynamoTransport, type HttpRequest } from './latency-transport';

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
export class DynaliteTransport implements DynamoTransport {
  readonly metadata = { handlerProtocol: 'http/1.1' };
  private readonly http = new NodeHttpHandler();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly endpoint: URL;

  /**
   * @param busy the items of the transactions in flight: shared by every client of one
   *   dynalite, so a conflict is seen between clients as DynamoDB sees it between callers.
   */
  constructor(
    endpoint: string,
    private readonly busy: Set<string> = new Set(),
  ) {
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

