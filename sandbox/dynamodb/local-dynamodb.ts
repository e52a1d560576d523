import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { latencyDynamoClient, type LatencyHttpHandler } from './latency-handler';

type Item = Record<string, AttributeValue>;

/** The part of DynamoDBClient the store uses, so a local stand-in can take its place. */
export type DynamoDbSender = Pick<DynamoDBClient, 'send' | 'destroy'>;

/** A transaction that did not happen, shaped like DynamoDB's. */
class TransactionCanceled extends Error {
  override readonly name = 'TransactionCanceledException';
  constructor(readonly CancellationReasons: { Code: string; Message?: string }[]) {
    super(`Transaction cancelled, please refer cancellation reasons for specific reasons [${CancellationReasons.map((r) => r.Code).join(', ')}]`);
  }
}

function keyOf(op: TransactWriteItem): { table: string; key: Item } {
  if (op.Put) return { table: op.Put.TableName as string, key: { pk: op.Put.Item?.pk as AttributeValue, sk: op.Put.Item?.sk as AttributeValue } };
  const o = op.Delete ?? op.Update ?? op.ConditionCheck;
  return { table: o?.TableName as string, key: o?.Key as Item };
}

/**
 * dynalite speaks DynamoDB's API but not TransactWriteItems. This client runs a
 * transaction as its single-item writes, one transaction at a time, each write
 * conditioned as in the transaction (dynalite evaluates the expressions); when one
 * fails, the items already written are put back and the caller gets DynamoDB's
 * TransactionCanceledException. Everything else goes to dynalite unchanged.
 */
class TransactingClient {
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * @param inner the client every other request goes through.
   * @param wire when `inner` has a latency transport: DynamoDB answers a transaction in one
   *   round trip, so the transaction is delayed and logged once on `wire.transport` and its
   *   emulated writes go through `wire.emulation` (same endpoint, plain transport).
   */
  constructor(
    readonly inner: DynamoDBClient,
    private readonly wire?: { transport: LatencyHttpHandler; emulation: DynamoDBClient },
  ) {}

  send(command: unknown): Promise<unknown> {
    if (!(command instanceof TransactWriteItemsCommand)) return (this.inner.send as (c: unknown) => Promise<unknown>)(command);
    const run = this.queue.then(() => this.transactOnce(command.input.TransactItems ?? []));
    this.queue = run.catch(() => undefined);
    return run;
  }

  destroy(): void {
    this.inner.destroy();
    this.wire?.emulation.destroy();
  }

  /** One round trip on the wire for the whole transaction, as DynamoDB would take. */
  private async transactOnce(items: TransactWriteItem[]): Promise<object> {
    if (!this.wire) return this.transact(items, this.inner);
    const trip = this.wire.transport.record('TransactWriteItems');
    const ms = this.wire.transport.latencyMs;
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    try {
      return await this.transact(items, this.wire.emulation);
    } finally {
      trip.end = performance.now();
    }
  }

  private async transact(items: TransactWriteItem[], via: DynamoDBClient): Promise<object> {
    const keys = items.map(keyOf);
    const seen = new Set(keys.map((k) => `${k.table}|${JSON.stringify(k.key)}`));
    if (seen.size !== keys.length) throw Object.assign(new Error('Transaction request cannot include multiple operations on one item'), { name: 'ValidationException' });
    const before = await Promise.all(keys.map(async (k) => (await via.send(new GetItemCommand({ TableName: k.table, Key: k.key, ConsistentRead: true }))).Item));
    const done: number[] = [];
    for (const [i, op] of items.entries()) {
      try {
        if (op.Put) await via.send(new PutItemCommand(op.Put));
        else if (op.Delete) await via.send(new DeleteItemCommand(op.Delete));
        else if (op.Update) await via.send(new UpdateItemCommand({ ...op.Update, UpdateExpression: op.Update.UpdateExpression }));
        else if (op.ConditionCheck) {
          const c = op.ConditionCheck;
          // A condition alone: an update that changes nothing, refused when the condition fails.
          const names = { ...(c.ExpressionAttributeNames ?? {}), '#cordonNoop': 'cordonNoop' };
          await via.send(new UpdateItemCommand({ TableName: c.TableName, Key: c.Key, ConditionExpression: `attribute_exists(pk) AND (${c.ConditionExpression ?? 'attribute_exists(pk)'})`, ExpressionAttributeNames: names, ...(c.ExpressionAttributeValues ? { ExpressionAttributeValues: c.ExpressionAttributeValues } : {}), UpdateExpression: 'REMOVE #cordonNoop' }));
        }
        done.push(i);
      } catch (err) {
        // Put back what this transaction already wrote, newest first.
        for (const j of done.reverse()) {
          const k = keys[j] as { table: string; key: Item };
          const old = before[j];
          if (old) await via.send(new PutItemCommand({ TableName: k.table, Item: old }));
          else await via.send(new DeleteItemCommand({ TableName: k.table, Key: k.key }));
        }
        const failed = (err as { name?: string }).name === 'ConditionalCheckFailedException';
        if (!failed) throw err;
        throw new TransactionCanceled(items.map((_, j) => ({ Code: j === i ? 'ConditionalCheckFailed' : 'None' })));
      }
    }
    return {};
  }
}

/** A DynamoDB on loopback (dynalite, in memory) and a client for it; for tests and benchmarks. */
export interface LocalDynamoDb {
  endpoint: string;
  /** A client with TransactWriteItems (see {@link TransactingClient}). */
  client(): DynamoDBClient;
  /**
   * The same, with `latencyMs` added to every request at its HTTP transport (a
   * {@link LatencyHttpHandler}, whose log lists every round trip; a transaction is one).
   */
  latencyClient(latencyMs: number): { client: DynamoDBClient; transport: LatencyHttpHandler };
  close(): Promise<void>;
}

export async function startLocalDynamoDb(): Promise<LocalDynamoDb> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (opts: { createTableMs: number; deleteTableMs: number; updateTableMs: number }) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 3 };
  return {
    endpoint,
    client: () => new TransactingClient(new DynamoDBClient(config)) as unknown as DynamoDBClient,
    latencyClient: (latencyMs) => {
      const { client, transport } = latencyDynamoClient(config, latencyMs);
      return { client: new TransactingClient(client, { transport, emulation: new DynamoDBClient(config) }) as unknown as DynamoDBClient, transport };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
