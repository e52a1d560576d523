import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readServerlessYaml } from '../../../bench/serverless-yaml';
import { DynamoDbStore } from '../../../src/store/dynamodb-store';

const ROOT = join(__dirname, '..', '..', '..');

type Statement = { Action: string | string[]; Resource: unknown };

function serverless(): { table: Record<string, unknown>; storeActions: string[]; storeResource: unknown } {
  const doc = readServerlessYaml<{
    resources: { Resources: Record<string, { Type: string; Properties: { Policies?: { PolicyDocument: { Statement: Statement[] } }[] } & Record<string, unknown> }> };
  }>();
  // Every function's role holds the same table grant (serverless.yml writes it once, as an anchor).
  const grants = Object.values(doc.resources.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Role')
    .map((r) => r.Properties.Policies!.flatMap((p) => p.PolicyDocument.Statement).find((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).some((a) => a.startsWith('dynamodb:')))!);
  expect(grants).toHaveLength(4);
  for (const g of grants) expect(g).toEqual(grants[0]);
  return { table: doc.resources.Resources.CordonTable!.Properties, storeActions: grants[0]!.Action as string[], storeResource: grants[0]!.Resource };
}

describe('the DynamoDB table and the role', () => {
  it('createTable builds the table serverless.yml declares', async () => {
    let input: Record<string, unknown> = {};
    const client = { send: (cmd: { input: Record<string, unknown> }) => ((input = cmd.input), Promise.resolve({})) } as unknown as DynamoDBClient;
    await DynamoDbStore.createTable(client, 'cordon-test');
    const t = serverless().table;
    expect(input.KeySchema).toEqual(t.KeySchema);
    expect(input.AttributeDefinitions).toEqual(t.AttributeDefinitions);
    expect(input.BillingMode).toBe(t.BillingMode);
    expect(t.GlobalSecondaryIndexes).toBeUndefined();
    expect(t.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
  });

  it('the role allows exactly the DynamoDB actions the store makes, on the table alone', () => {
    const code = readFileSync(join(ROOT, 'src', 'store', 'dynamodb-store.ts'), 'utf8');
    const used = new Set<string>();
    for (const m of code.matchAll(/new (\w+)Command\(/g)) if (m[1] !== 'CreateTable') used.add(`dynamodb:${m[1]!}`);
    // Each write inside a transaction needs its own action too.
    const inTransactions: Record<string, string> = { Put: 'PutItem', Delete: 'DeleteItem', Update: 'UpdateItem', ConditionCheck: 'ConditionCheckItem' };
    for (const [op, action] of Object.entries(inTransactions)) if (new RegExp(`\\{ ${op}: \\{`).test(code)) used.add(`dynamodb:${action}`);
    const { storeActions, storeResource } = serverless();
    expect([...storeActions].sort()).toEqual([...used].sort());
    expect(storeResource).toEqual({ GetAtt: 'CordonTable.Arn' });
  });
});
