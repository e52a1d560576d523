import { startLocalDynamoDb, type LocalDynamoDb } from '../../../sandbox/dynamodb/local-dynamodb';
import { DynamoDbStore } from '../../../src/store/dynamodb-store';
import { describeStoreContract } from './store-contract';

let local: LocalDynamoDb;
let n = 0;

beforeAll(async () => {
  local = await startLocalDynamoDb();
});

afterAll(async () => {
  await local.close();
});

describeStoreContract('DynamoDB (dynalite)', async () => {
  const client = local.client();
  const table = `cordon-contract-${++n}`;
  await DynamoDbStore.createTable(client, table);
  return { store: new DynamoDbStore({ client, tableName: table, ownsClient: true }), cleanup: () => Promise.resolve() };
});
