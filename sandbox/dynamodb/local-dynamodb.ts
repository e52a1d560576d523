import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynaliteTransport } from './dynalite-transport';
import { LatencyTransport } from './latency-transport';

/** A DynamoDB on loopback (dynalite, in memory) and clients for it; for tests and benchmarks. */
export interface LocalDynamoDb {
  endpoint: string;
  /** A real DynamoDBClient whose transport answers TransactWriteItems (see DynaliteTransport). */
  client(): DynamoDBClient;
  /**
   * The same, with `latencyMs` added to every request at its HTTP transport: a
   * {@link LatencyTransport}, whose log lists every round trip (a transaction is one).
   * Configured as src/store/open-store.ts configures the store's client, so any retry
   * the SDK makes shows in the log.
   */
  latencyClient(latencyMs: number): { client: DynamoDBClient; transport: LatencyTransport };
  close(): Promise<void>;
}

export interface LocalDynamoDbOptions {
  /**
   * Run dynalite in a child process, so its CPU (it stands in for DynamoDB's servers) is
   * not this process's: for benchmarks whose figures must be the client's. Default: in
   * this process (tests).
   */
  childProcess?: boolean;
}

/** dynalite in this process; its endpoint. */
async function inProcess(): Promise<{ endpoint: string; close(): Promise<void> }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (opts: { createTableMs: number; deleteTableMs: number; updateTableMs: number }) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** dynalite in a child process that never outlives this one; closed by killing the child this started. */
async function inChildProcess(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const script = `const s=require(${JSON.stringify(require.resolve('dynalite'))})({createTableMs:0,deleteTableMs:0,updateTableMs:0});s.listen(0,'127.0.0.1',()=>console.log(s.address().port));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = (): void => {
    child.kill();
  };
  process.once('exit', stop);
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString('utf8').trim())));
    child.once('exit', (code) => reject(new Error(`dynalite exited (${code ?? 'signal'})`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        process.off('exit', stop);
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

export async function startLocalDynamoDb(options: LocalDynamoDbOptions = {}): Promise<LocalDynamoDb> {
  const server = options.childProcess ? await inChildProcess() : await inProcess();
  const { endpoint } = server;
  const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  // The items of the transactions in flight, shared by every client of this dynalite.
  const busy = new Set<string>();
  return {
    endpoint,
    client: () => new DynamoDBClient({ ...config, maxAttempts: 3, requestHandler: new DynaliteTransport(endpoint, busy) }),
    latencyClient: (latencyMs) => {
      const transport = new LatencyTransport(new DynaliteTransport(endpoint, busy), latencyMs);
      return { client: new DynamoDBClient({ ...config, retryMode: 'adaptive', maxAttempts: 8, requestHandler: transport }), transport };
    },
    close: () => server.close(),
  };
}
