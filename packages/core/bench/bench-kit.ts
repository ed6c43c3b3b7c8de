/** What the in-process benchmarks share: options, timing, percentiles, table rows, peak memory. */

const args = process.argv.slice(2);
/** `--name` given on the command line. */
export const flag = (name: string): boolean => args.includes(name);
/** The number after `--name`, else `dflt`. */
export function opt(name: string, dflt: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

/** The q-quantile of the values (nearest rank). */
export function pct(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))]!;
}

/** Runs `f` and returns its value and the milliseconds it took. */
export function time<V>(f: () => V): [V, number] {
  const t = performance.now();
  const v = f();
  return [v, performance.now() - t];
}

/** A markdown table row. */
export const row = (cols: readonly (string | number)[]): string => "| " + cols.map(String).join(" | ") + " |";
export const f1 = (x: number): string => x.toFixed(1);

const rssMB = () => process.memoryUsage().rss / 2 ** 20;
let peak = rssMB();
/** Records the resident set size now; returns the peak so far (MB). */
export function sampleRss(): number {
  peak = Math.max(peak, rssMB());
  return peak;
}
