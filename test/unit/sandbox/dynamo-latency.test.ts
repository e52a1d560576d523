import { GetItemCommand, PutItemCommand, TransactWriteItemsCommand, type TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../../sandbox/dynamodb/local-dynamodb';
import { DynamoDbStore } from '../../../src/store/dynamodb-store';

let local: LocalDynamoDb;
beforeAll(async () => {
  local = await startLocalDynamoDb();
});
afterAll(() => local.close());

const key = (sk: string) => ({ pk: { S: 'a' }, sk: { S: sk } });

describe('latency at the DynamoDB transport (bench)', () => {
  it('delays every request once, logs it by operation, and counts a transaction as one round trip', async () => {
    const { client, transport } = local.latencyClient(40);
    await DynamoDbStore.createTable(client, 'latency-t');
    transport.log.length = 0;
    const t0 = performance.now();
    await client.send(new GetItemCommand({ TableName: 'latency-t', Key: key('b') }));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(39);
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: 'latency-t', Item: key('1') } },
          { Put: { TableName: 'latency-t', Item: key('2') } },
        ],
      }),
    );
    expect(transport.log.map((r) => r.operation)).toEqual(['GetItem', 'TransactWriteItems']);
    expect(transport.operationsSince(1)).toEqual(['TransactWriteItems']);
    expect(transport.log.every((r) => r.end - r.start >= 39)).toBe(true);
    // The transaction's items were written by the emulation, which the log does not count.
    expect((await client.send(new GetItemCommand({ TableName: 'latency-t', Key: key('2') }))).Item).toBeDefined();
    client.destroy();
  });
});

describe('TransactWriteItems on dynalite (answered at the transport)', () => {
  const table = 'txn-t';
  beforeAll(async () => {
    const client = local.client();
    await DynamoDbStore.createTable(client, table);
    client.destroy();
  });

  it('writes nothing when one condition fails, and says which one', async () => {
    const client = local.client();
    await client.send(new PutItemCommand({ TableName: table, Item: { ...key('taken'), v: { N: '1' } } }));
    const err = await client
      .send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: table, Item: key('fresh') } },
            { Put: { TableName: table, Item: { ...key('taken'), v: { N: '2' } }, ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }),
      )
      .catch((e: unknown) => e as TransactionCanceledException);
    expect(err).toMatchObject({ name: 'TransactionCanceledException' });
    expect((err as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual(['None', 'ConditionalCheckFailed']);
    expect((await client.send(new GetItemCommand({ TableName: table, Key: key('fresh') }))).Item).toBeUndefined();
    expect((await client.send(new GetItemCommand({ TableName: table, Key: key('taken') }))).Item?.v).toEqual({ N: '1' });
    client.destroy();
  });

  it('refuses a transaction on an item another client has in flight (TransactionConflict), and runs disjoint ones side by side', async () => {
    const [a, b, c] = [local.client(), local.client(), local.client()];
    const put = (sk: string, v: string) => new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: table, Item: { ...key(sk), v: { S: v } } } }] });
    const outcomes = await Promise.allSettled([a.send(put('same', 'a')), b.send(put('same', 'b')), c.send(put('other', 'c'))]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((outcomes[1] as PromiseRejectedResult).reason as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual(['TransactionConflict']);
    expect((await a.send(new GetItemCommand({ TableName: table, Key: key('same') }))).Item?.v).toEqual({ S: 'a' });
    for (const x of [a, b, c]) x.destroy();
  });
});
