import { ConfigError } from '../config/load-config';
import { SqliteStore } from './sqlite-store';
import type { Store } from './store';

/** Opens the store named by `CORDON_STORE` (`sqlite:<path>` or `dynamodb:<table>`). */
export function openStore(spec: string, opts: { region?: string } = {}): Store {
  if (spec.startsWith('sqlite:')) return SqliteStore.open(spec.slice('sqlite:'.length));
  if (spec.startsWith('dynamodb:')) {
    // Loaded on use: the SQLite path (a laptop, a container) never pays for the DynamoDB client.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { DynamoDBClient } = require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb');
    const { DynamoDbStore } = require('./dynamodb-store') as typeof import('./dynamodb-store');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const client = new DynamoDBClient({ ...(opts.region ? { region: opts.region } : {}), retryMode: 'adaptive', maxAttempts: 8 });
    return new DynamoDbStore({ client, tableName: spec.slice('dynamodb:'.length), ownsClient: true });
  }
  throw new ConfigError('unknown store', [`CORDON_STORE: "${spec}" is neither sqlite:<path> nor dynamodb:<table>`]);
}
