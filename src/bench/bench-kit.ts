/** Median of a sample (benchmarks report medians of several runs). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Prints a Markdown table with its heading. */
export function printTable(title: string, header: string[], rows: string[][]): void {
  process.stdout.write(`\n${title}\n\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|\n`);
  for (const r of rows) process.stdout.write(`| ${r.join(' | ')} |\n`);
}

/** Runs a benchmark's main; its result is the exit code (non-zero when an aim was missed). */
export function runBench(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`bench failed: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
