import { Exit, type CliIo } from '../output';

/** `cordon demo [--serve] [--port N] [--out DIR] [--break STAGE] [--json]`. */
export async function demoCommand(
  opts: { serve: boolean; port?: string; out?: string; break?: string; json: boolean; stopSignal: () => Promise<void>; onServing?: (url: string) => void },
  io: CliIo,
): Promise<number> {
  // The simulated Slack and AWS (top-level sandbox/) are loaded here and only here: a static
  // import would load them in every command, `cordon serve` included. The one import from
  // src into sandbox/ (test/unit/cli/no-simulators.test.ts checks the others load none of it).
  const { DEMO_STAGES, breakStage, runDemo } = await import('../../../sandbox/demo/demo-runner');
  const broken = opts.break;
  if (broken !== undefined && !(DEMO_STAGES as readonly string[]).includes(broken)) {
    io.err(`cordon: --break: "${broken.slice(0, 40)}" is not a demo stage; one of ${DEMO_STAGES.join(', ')}`);
    return Exit.USAGE;
  }
  const port = opts.port === undefined ? 8088 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.err(`cordon: --port: "${String(opts.port).slice(0, 20)}" is not a port (0-65535; 0 picks a free one)`);
    return Exit.USAGE;
  }
  // People read the transcript on stdout; with --json it goes to stderr and stdout carries one document.
  const print = opts.json ? (l: string) => io.err(l) : (l: string) => io.out(l);
  const result = await runDemo({
    print,
    ...(opts.out ? { outDir: opts.out } : {}),
    ...(broken ? { beforeStage: (stage, world) => stage === broken && breakStage(stage, world) } : {}),
    ...(opts.serve ? { serve: { port, stopSignal: opts.stopSignal(), ...(opts.onServing ? { onServing: opts.onServing } : {}) } } : {}),
  });
  if (opts.json) io.out(JSON.stringify(result));
  else if (!result.ok) io.err(`cordon: demo failed at stage "${result.failedStage ?? '?'}": ${result.error ?? 'unknown error'}`);
  return result.ok ? Exit.OK : Exit.FAILED;
}
