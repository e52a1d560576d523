import { DeleteItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../../sandbox/dynamodb/local-dynamodb';
import { DynamoDbStore } from '../../../src/store/dynamodb-store';
import { T, stored } from './store-contract';

/**
 * Findings stored before `IDX#finding-check-pending` existed have a pending principal check the
 * sweep cannot find (on Lambda that was every check: the worker refused the job). The store
 * indexes them, a page at a time from where it stopped, once.
 */
let local: LocalDynamoDb;

beforeAll(async () => {
  local = await startLocalDynamoDb();
});

afterAll(async () => {
  await local.close();
});

it('indexes the pending checks of findings stored before the index, a page a call, resuming, once', async () => {
  const { client, transport } = local.latencyClient(0);
  await DynamoDbStore.createTable(client, 'check-backfill');
  const store = new DynamoDbStore({ client, tableName: 'check-backfill' });
  const check = (status: 'pending' | 'verified', requestedAt?: string) => ({ principalCheck: { target: 'arn:aws:iam::111111111111:user/x', kind: 'iam-user' as const, name: 'x', status, ...(requestedAt ? { requestedAt } : {}) } });
  const findings = [
    stored('f1', check('pending', T(1))),
    stored('f2', check('pending')),
    stored('f3', check('verified')),
    stored('f4', { disposition: 'digest', ...check('pending', T(1)) }),
    stored('f5', check('pending', T(2))),
  ];
  for (const f of findings) expect(await store.insertFinding(f)).toBe(true);
  const entries = async () =>
    ((await client.send(new QueryCommand({ TableName: 'check-backfill', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'IDX#finding-check-pending' } } }))).Items ?? []).map((it) => it.sk?.S);
  // As an older Cordon left f1 and f2: no entry. f5 was stored since, with its entry.
  for (const sk of await entries()) {
    if (!sk!.endsWith('#f5')) await client.send(new DeleteItemCommand({ TableName: 'check-backfill', Key: { pk: { S: 'IDX#finding-check-pending' }, sk: { S: sk! } } }));
  }
  expect((await store.pendingPrincipalChecks(T(10), 10)).map((f) => f.id)).toEqual(['f5']);

  // Two cased findings a page: it stops and resumes where it was, and writes only the missing entries.
  const before = transport.log.length;
  expect(await store.backfillPendingChecks(2)).toBe(false);
  let calls = 1;
  while (!(await store.backfillPendingChecks(2))) calls++;
  expect(calls).toBeGreaterThan(1);
  expect(transport.log.slice(before).filter((t) => t.operation === 'TransactWriteItems')).toHaveLength(2);
  expect((await store.pendingPrincipalChecks(T(10), 10)).map((f) => f.id)).toEqual(['f2', 'f1', 'f5']);
  expect((await entries()).sort()).toEqual([`#f2`, `${T(1)}#f1`, `${T(2)}#f5`].sort());

  // Done is done: a finding indexed the old way later is not looked for again.
  const sk = `${T(2)}#f5`;
  await client.send(new DeleteItemCommand({ TableName: 'check-backfill', Key: { pk: { S: 'IDX#finding-check-pending' }, sk: { S: sk } } }));
  expect(await store.backfillPendingChecks(2)).toBe(true);
  expect(await entries()).not.toContain(sk);
  await store.close();
});
