import type { Logger } from '../log';

/**
 * The in-process clock of long-running mode: runs `tick` every `everyMs`, never two
 * at once (a slow Slack must not pile up flushes), and logs instead of dying.
 */
export class Ticker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly tick: () => Promise<void>,
    private readonly everyMs: number,
    private readonly log: Logger,
    private readonly name: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.runOnce(), this.everyMs);
    this.runOnce();
  }

  private runOnce(): void {
    if (this.running) return;
    this.running = this.tick()
      .catch((err: unknown) => this.log.error({ err, ticker: this.name }, 'tick failed; will run again'))
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Stops the clock and waits for a tick in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
