import { SqliteStore } from '../../../src/store/sqlite-store';
import { describeStoreContract } from './store-contract';

describeStoreContract('SQLite', () => Promise.resolve({ store: SqliteStore.open(':memory:'), cleanup: () => Promise.resolve() }));
