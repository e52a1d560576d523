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

/** One benchmark's table, and whether every aim in it was met. */
export interface BenchSection {
  title: string;
  header: string[];
  rows: string[][];
  ok: boolean;
}

/** The section as Markdown. */
export function sectionMarkdown(s: BenchSection): string {
  return [`### ${s.title}`, '', `| ${s.header.join(' | ')} |`, `|${s.header.map(() => '---').join('|')}|`, ...s.rows.map((r) => `| ${r.join(' | ')} |`), ''].join('\n');
}

/** Runs one benchmark on its own (`npm run bench:<name>`): prints its table; the exit code says whether its aims were met. */
export function runBench(section: () => Promise<BenchSection>): void {
  // Exit once the table is printed (see all-bench.ts): a lingering keep-alive socket must not hold the run open.
  section().then(
    (s) => {
      printTable(s.title, s.header, s.rows);
      process.exit(s.ok ? 0 : 1);
    },
    (err: unknown) => {
      process.stderr.write(`bench failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
}

/**
 * A count measured in several runs that should come out the same in each (Slack calls are
 * deterministic): the median, and a note saying it was identical in every run or, flagged,
 * that it was not (then the value is the median and the note gives the range).
 */
export function countOverRuns(counts: number[]): { value: number; same: boolean; note: string } {
  const value = median(counts);
  const same = counts.every((c) => c === counts[0]);
  const note = same ? `identical in all ${counts.length} runs` : `NOT identical across runs: median of ${counts.length}, range ${Math.min(...counts)}–${Math.max(...counts)}`;
  return { value, same, note };
}

/** A ratio for the table: two decimals, or two significant digits below 0.1. */
export function ratio(x: number): string {
  return `${x >= 0.1 ? x.toFixed(2) : x.toPrecision(2)}×`;
}

/** Some of a section's rows, and whether every aim in them was met. */
export interface BenchPart {
  rows: string[][];
  ok: boolean;
}

/**
 * A section measured in parts, so `npm run bench` can schedule them apart (all-bench.ts):
 * `alone` needs the machine to itself (its figures are CPU time or millisecond latencies);
 * each `waiting` part spends its time on simulated latency or real timers (Slack's rate
 * limits, the untrack wait, the card-edit debounce) and runs in a child process beside the
 * other sections' waiting parts. What the parts return crosses a process boundary: plain data.
 */
export interface SplitBench<A = unknown, W extends Record<string, unknown> = Record<string, unknown>> {
  alone(): Promise<A>;
  waiting: { [K in keyof W]: () => Promise<W[K]> };
  section(alone: A, waiting: W): BenchSection;
}

/** The whole section, one part after the other (`npm run bench:<name>`). */
export async function runSplit<A, W extends Record<string, unknown>>(split: SplitBench<A, W>): Promise<BenchSection> {
  const alone = await split.alone();
  const waiting: Partial<W> = {};
  for (const k of Object.keys(split.waiting) as (keyof W)[]) waiting[k] = await split.waiting[k]();
  return split.section(alone, waiting as W);
}
