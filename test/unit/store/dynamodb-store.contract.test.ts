import { DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../../sandbox/dynamodb/local-dynamodb';
import { DynamoDbStore } from '../../../src/store/dynamodb-store';
import { describeStoreContract, type AuditTamperer } from './store-contract';

let local: LocalDynamoDb;
let n = 0;

beforeAll(async () => {
  local = await startLocalDynamoDb();
});

afterAll(async () => {
  await local.close();
});

/**
 * Someone with the table and without the functions' IAM limits (dynalite has no IAM: the
 * Deny on audit items is checked in test/deploy/serverless-package.test.ts).
 */
function tamperer(client: DynamoDBClient, table: string): AuditTamperer {
  const key = (stream: string, seq: number) => ({ pk: { S: `AUDIT#${stream}#${String(seq).padStart(12, '0')}` }, sk: { S: '#' } });
  const doc = async (stream: string, seq: number): Promise<string> => (await client.send(new GetItemCommand({ TableName: table, Key: key(stream, seq) }))).Item!.doc!.S!;
  const put = (stream: string, seq: number, body: string) => client.send(new PutItemCommand({ TableName: table, Item: { ...key(stream, seq), doc: { S: body }, version: { N: '1' } } }));
  return {
    edit: async (stream, seq) => void (await put(stream, seq, JSON.stringify({ ...(JSON.parse(await doc(stream, seq)) as object), actor: 'U0EVIL' }))),
    remove: async (stream, seq) => void (await client.send(new DeleteItemCommand({ TableName: table, Key: key(stream, seq) }))),
    swap: async (stream, a, b) => {
      const [da, db] = [await doc(stream, a), await doc(stream, b)];
      await put(stream, a, db);
      await put(stream, b, da);
    },
    // Appends are conditional (never overwrite); update and delete are the IAM policy's to refuse.
    refusesChange: () => Promise.resolve(),
  };
}

describeStoreContract('DynamoDB (dynalite)', async () => {
  const client = local.client();
  const table = `cordon-contract-${++n}`;
  await DynamoDbStore.createTable(client, table);
  return { store: new DynamoDbStore({ client, tableName: table, ownsClient: true }), cleanup: () => Promise.resolve(), tamper: tamperer(local.client(), table) };
});
