import { ConfigError } from '../config/load-config';
import { SqliteStore } from './sqlite-store';
import type { Store } from './store';

/** Opens the store named by `CORDON_STORE` (`sqlite:<path>` or `dynamodb:<table>`). */
export function openStore(spec: string): Store {
  if (spec.startsWith('sqlite:')) return SqliteStore.open(spec.slice('sqlite:'.length));
  if (spec.startsWith('dynamodb:')) {
    throw new ConfigError('the DynamoDB store is not available in this build', [
      `CORDON_STORE: ${spec}: the DynamoDB adapter ships with the serverless deployment; use sqlite:<path> until then`,
    ]);
  }
  throw new ConfigError('unknown store', [`CORDON_STORE: "${spec}" is neither sqlite:<path> nor dynamodb:<table>`]);
}
