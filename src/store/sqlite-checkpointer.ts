import { Worker } from 'node:worker_threads';

/** How often the checkpointer looks again while the WAL keeps growing (ms). */
const BUSY_MS = 50;
/** How often it looks when the last look found nothing to copy (ms). */
const IDLE_MS = 500;

/**
 * The worker's code, plain CommonJS so it runs the same from `src/` (jest), `dist/` and an
 * installed package. A PASSIVE checkpoint never waits for the writer nor blocks it
 * (https://www.sqlite.org/c3ref/wal_checkpoint_v2.html), so it may run while the main
 * thread commits.
 */
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path);
let timer;
let last = '';
const tick = () => {
  let moved = false;
  try {
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    const now = r.log + '/' + r.checkpointed;
    moved = now !== last;
    last = now;
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err) });
  }
  timer = setTimeout(tick, moved ? ${BUSY_MS} : ${IDLE_MS});
};
timer = setTimeout(tick, ${BUSY_MS});
parentPort.on('message', (m) => {
  if (m !== 'close') return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Copies the WAL back into the database file on a worker thread, so the event loop never
 * runs a checkpoint. With SQLite's default (a checkpoint every 1,000 WAL pages, run by the
 * commit that crosses it), the commit that crossed the line copied ~4 MB and synced the file
 * twice on the event loop: in the triage bench that was 20-35 µs a finding, and a stall of
 * that commit's length for every Slack request waiting behind it (issue 19, points 3 and 7).
 */
export class SqliteCheckpointer {
  private exited = false;

  private constructor(private readonly worker: Worker) {
    worker.once('exit', () => (this.exited = true));
  }

  /**
   * Starts the worker on the database at `path` (WAL mode, already migrated). `onFailure` runs
   * once if the worker cannot start or dies: the caller turns SQLite's own checkpoints back on.
   */
  static start(path: string, onFailure: (reason: string) => void): SqliteCheckpointer {
    const worker = new Worker(WORKER_CODE, { eval: true, workerData: { path, module: require.resolve('better-sqlite3') } });
    let failed = false;
    const fail = (reason: string): void => {
      if (failed) return;
      failed = true;
      onFailure(reason);
    };
    worker.on('message', (m: { error?: string }) => {
      if (m.error) fail(m.error);
    });
    worker.on('error', (err) => fail(err.message));
    worker.on('exit', (code) => {
      if (code !== 0) fail(`the checkpoint worker exited with code ${code}`);
    });
    // Never what keeps a process alive (SQLite checkpoints on close when the last connection
    // goes). After the listeners: a 'message' listener refs the worker's port again.
    worker.unref();
    return new SqliteCheckpointer(worker);
  }

  /** Closes the worker's connection and waits for the thread to end. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Held until it has exited: an unref'd worker would let the process end with this await pending.
    this.worker.ref();
    this.worker.postMessage('close');
    await exited;
  }
}
