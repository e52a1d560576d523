import { startLocalDynamoDb, type LocalDynamoDb } from '../../../sandbox/dynamodb/local-dynamodb';
import { DynamoDbStore } from '../../../src/store/dynamodb-store';
import { T, draft } from './store-contract';

/**
 * A DynamoDB store remembers each case's index entries as of the version it last read or
 * wrote, so an update of that version needs no read first (issue 19, point 1's round trips).
 * Another process's write makes the hint stale: the update must then be refused, never
 * leave an index entry pointing at what the case no longer is.
 */
let local: LocalDynamoDb;

beforeAll(async () => {
  local = await startLocalDynamoDb();
});

afterAll(async () => {
  await local.close();
});

it('updates a case it knows without reading it; a hint made stale by another process is refused, and the indexes stay right', async () => {
  const { client, transport } = local.latencyClient(0);
  await DynamoDbStore.createTable(client, 'known-indexes');
  const a = new DynamoDbStore({ client, tableName: 'known-indexes' });
  const b = new DynamoDbStore({ client: local.client(), tableName: 'known-indexes', ownsClient: true });
  const { case: opened } = await a.claimCase(draft('IR-20261122-0K1X'), ['key:AKIAKNOWN00000000001'], T(-24));

  // A's own write told it the entries of version 1: one request, the transaction, no read.
  const before = transport.log.length;
  expect(await a.updateCase({ ...opened, channelId: 'C0KNOWN1' })).toBe(true);
  expect(transport.log.slice(before).map((t) => t.operation)).toEqual(['TransactWriteItems']);
  const v2 = (await a.getCase(opened.id))!;

  // B (another process) resolves the case: its status index entry moves.
  expect(await b.updateCase({ ...(await b.getCase(opened.id))!, status: 'resolved' })).toBe(true);

  // A still holds version 2 and its entries: its write of that version is refused.
  expect(await a.updateCase({ ...v2, status: 'contained' })).toBe(false);
  const now = (await a.getCase(opened.id))!;
  expect(now.status).toBe('resolved');
  expect(await a.updateCase({ ...now, status: 'closed' })).toBe(true);
  // Every status index holds the case exactly where it is.
  expect((await b.listCases({ status: ['open'] })).map((c) => c.id)).toEqual([]);
  expect((await b.listCases({ status: ['resolved'] })).map((c) => c.id)).toEqual([]);
  expect((await b.listCases({ status: ['contained'] })).map((c) => c.id)).toEqual([]);
  expect((await b.listCases({ status: ['closed'] })).map((c) => c.id)).toEqual([opened.id]);
  await a.close();
  await b.close();
});
