import { GetItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../../sandbox/dynamodb/local-dynamodb';
import { DynamoDbStore } from '../../../src/store/dynamodb-store';

let local: LocalDynamoDb;
beforeAll(async () => {
  local = await startLocalDynamoDb();
});
afterAll(() => local.close());

describe('latency at the DynamoDB transport (bench)', () => {
  it('delays every request once, logs it by operation, and counts a transaction as one round trip', async () => {
    const { client, transport } = local.latencyClient(40);
    await DynamoDbStore.createTable(client, 'latency-t');
    transport.log.length = 0;
    const t0 = performance.now();
    await client.send(new GetItemCommand({ TableName: 'latency-t', Key: { pk: { S: 'a' }, sk: { S: 'b' } } }));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(39);
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: 'latency-t', Item: { pk: { S: 'a' }, sk: { S: '1' } } } },
          { Put: { TableName: 'latency-t', Item: { pk: { S: 'a' }, sk: { S: '2' } } } },
        ],
      }),
    );
    expect(transport.log.map((r) => r.operation)).toEqual(['GetItem', 'TransactWriteItems']);
    expect(transport.log.every((r) => r.end - r.start >= 39)).toBe(true);
    client.destroy();
  });
});
