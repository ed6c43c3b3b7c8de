/**
 * `npm run bench:match` — in-process match query benchmark.
 *
 *   tsx packages/core/bench/match-bench.ts [--queries 24] [--numpy-queries 6] [--no-numpy]
 *                                          [--big | --only-big] [--big-steps 100000000] [--big-shard 4000000]
 *
 * 1. Generates a deterministic 1,000,000 × 650 float32 source: one AR(1) process per cell
 *    (persistence φ ∈ [0.80, 0.995], offset giving on-densities from ~5 % to ~60 % at ℓ = 0.3),
 *    squashed to (−1, 1) with softsign x / (1 + |x|) (tanh's shape without 650M Math.tanh
 *    calls); the source is stored as V (transform `none`).
 * 2. Builds the OnIndex at ℓ = 0.3 (reported separately: it is the first query's cost).
 * 3. Picks queries the way the Select view does: a brushed range of 2–6 steps, `selectCells`
 *    with padding (1, 0) on a window around it, kept when 5–20 cells come out (a random 20 of
 *    them when more). Each query runs in `fast` and `precise` mode.
 * 4. Runs `match_numpy.py` (Debian python3-numpy, /usr/bin/python3) on the same data and the
 *    first queries, checks identical results, prints the speed ratio.
 * 5. With --big: 100M steps × 64 cells, precise, generated and indexed shard by shard
 *    (`createOnIndexBuilder` + `scanShard` + `PreciseMerger`), never materialised as float32.
 */
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import {
  buildOnIndex,
  createOnIndexBuilder,
  match,
  planMatch,
  PreciseMerger,
  scanShard,
  selectCells,
  shardHalo,
  type MatchQuery,
  type MatchResult,
  type StateMatrix,
} from "../src/index";
import { mulberry32 as rng } from "../src/random";
import { SourceGenerator } from "./source-generator";

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const QUERIES = opt("--queries", 24);
const NUMPY_QUERIES = opt("--numpy-queries", 6);
const THRESHOLD = 0.3;


/**
 * The generated source, cached as raw little-endian float32 in the temp dir (2.6 GB for 1M × 650)
 * so re-runs and the NumPy side read the same bytes. `--clean` deletes it at the end.
 */
function loadSource(T: number, D: number, seed: number): { m: StateMatrix; cached: boolean; file: string } {
  const file = join(tmpdir(), `statescope-bench-${T}x${D}-s${seed}.f32`);
  const data = new Float32Array(T * D);
  const bytes = new Uint8Array(data.buffer);
  const chunk = 64 * 2 ** 20;
  if (existsSync(file) && statSync(file).size === bytes.length) {
    const fd = openSync(file, "r");
    for (let o = 0; o < bytes.length; o += chunk) readSync(fd, bytes, o, Math.min(chunk, bytes.length - o), o);
    closeSync(fd);
    return { m: { data, steps: T, cells: D }, cached: true, file };
  }
  new SourceGenerator(D, seed).next(data);
  const fd = openSync(file, "w");
  for (let o = 0; o < bytes.length; o += chunk) writeSync(fd, bytes, o, Math.min(chunk, bytes.length - o));
  closeSync(fd);
  return { m: { data, steps: T, cells: D }, cached: false, file };
}

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))]!;
}
const rssMB = () => process.memoryUsage().rss / 2 ** 20;
let peakRss = rssMB();
const sampleRss = () => (peakRss = Math.max(peakRss, rssMB()));

function pickQueries(m: StateMatrix, n: number): number[][] {
  const r = rng(4242);
  const out: number[][] = [];
  let tries = 0;
  while (out.length < n && tries++ < 100_000) {
    const b0 = 10 + Math.floor(r() * (m.steps - 40));
    const len = 2 + Math.floor(r() * 5);
    const w0 = b0 - 5;
    const w1 = b0 + len + 5;
    const win: StateMatrix = { data: m.data.subarray(w0 * m.cells, w1 * m.cells), steps: w1 - w0, cells: m.cells };
    const cells = selectCells(win, [5, 5 + len], THRESHOLD, [1, 0]);
    if (cells.length < 5) continue;
    while (cells.length > 20) cells.splice(Math.floor(r() * cells.length), 1);
    out.push(cells);
  }
  return out;
}

function strip(r: MatchResult): unknown {
  return { results: r.results, histograms: r.histograms };
}

function time<T>(f: () => T): [T, number] {
  const t = performance.now();
  const v = f();
  return [v, performance.now() - t];
}

const row = (cols: (string | number)[]) => "| " + cols.map(String).join(" | ") + " |";
const f1 = (x: number) => x.toFixed(1);

function main(): void {
  if (flag("--only-big")) {
    bigCase();
    return;
  }
  const T = 1_000_000;
  const D = 650;
  console.log(`Statescope match benchmark — node ${process.version}, ${T.toLocaleString("en")} × ${D}, ℓ = ${THRESHOLD}`);
  const [{ m, cached, file }, genMs] = time(() => loadSource(T, D, 7));
  sampleRss();
  let onBits = 0;
  const thr = Math.fround(THRESHOLD);
  for (let i = 0; i < m.data.length; i += 97) if (m.data[i]! >= thr) onBits++;
  console.log(`${cached ? "loaded cached" : "generated"} source ${file} in ${f1(genMs / 1000)} s; on-density ≈ ${((onBits * 97 * 100) / m.data.length).toFixed(1)} %`);

  const [index, buildMs] = time(() => buildOnIndex(m, THRESHOLD));
  sampleRss();
  const runBytes = index.runs ? index.runs.offsets.byteLength + 4 * index.runs.cell.byteLength : 0;
  console.log(
    `index built in ${f1(buildMs)} ms: row + column bitsets ${((index.rows.byteLength + index.cols.byteLength) / 2 ** 20).toFixed(0)} MB, ` +
      `run table ${(runBytes / 2 ** 20).toFixed(0)} MB (${index.runs?.cell.length.toLocaleString("en")} runs)`,
  );

  const queries = pickQueries(m, QUERIES);
  const ks = queries.map((q) => q.length);
  console.log(`${queries.length} queries, k = ${Math.min(...ks)}..${Math.max(...ks)} selected cells`);
  const base = (cells: number[], mode: "fast" | "precise"): MatchQuery => ({ cells, threshold: THRESHOLD, padLeft: 1, padRight: 0, mode, k: 50 });

  // warm-up (JIT: a worker serves many queries), not counted
  for (const cells of queries.slice(0, 6)) {
    match(index, base(cells, "fast"));
    match(index, base(cells, "precise"));
  }

  const times = { fast: [] as number[], precise: [] as number[] };
  const cpu = { fast: [] as number[], precise: [] as number[] };
  const results = { fast: [] as MatchResult[], precise: [] as MatchResult[] };
  const scored = { fast: [] as number[], precise: [] as number[] };
  for (const mode of ["fast", "precise"] as const) {
    for (const cells of queries) {
      const cu = process.cpuUsage();
      const [r, ms] = time(() => match(index, base(cells, mode)));
      const cd = process.cpuUsage(cu);
      times[mode].push(ms);
      cpu[mode].push((cd.user + cd.system) / 1000);
      results[mode].push(r);
      scored[mode].push(Object.values(r.histograms.all).reduce((a, b) => a + b, 0));
      sampleRss();
    }
  }
  console.log(`candidates scored per query: fast ${Math.min(...scored.fast)}..${Math.max(...scored.fast)}, precise ${Math.min(...scored.precise)}..${Math.max(...scored.precise)}`);

  // NumPy on the same data and the first queries
  const npTimes = { fast: [] as number[], precise: [] as number[] };
  let identical = "skipped";
  if (!flag("--no-numpy")) {
    const dir = mkdtempSync(join(tmpdir(), "statescope-bench-"));
    try {
      const raw = file;
      const nq = Math.min(NUMPY_QUERIES, queries.length);
      const spec = { steps: T, cells: D, threshold: THRESHOLD, padL: 1, padR: 0, k: 50, before: 3, after: 20, queries: queries.slice(0, nq) };
      writeFileSync(join(dir, "queries.json"), JSON.stringify(spec));
      const script = join(dirname(fileURLToPath(import.meta.url)), "match_numpy.py");
      console.log(`running NumPy on ${nq} queries × 2 modes…`);
      const out = execFileSync("/usr/bin/python3", [script, raw, join(dir, "queries.json")], { maxBuffer: 1 << 30, encoding: "utf8" });
      const np = JSON.parse(out) as { fast: { ms: number; result: MatchResult }[]; precise: { ms: number; result: MatchResult }[]; peakRssMB: number };
      let same = 0;
      let total = 0;
      for (const mode of ["fast", "precise"] as const) {
        np[mode].forEach((e, i) => {
          npTimes[mode].push(e.ms);
          total++;
          if (JSON.stringify(strip(e.result)) === JSON.stringify(strip(results[mode][i]!))) same++;
          else console.log(`MISMATCH ${mode} query ${i}`);
        });
      }
      identical = `${same}/${total} identical`;
      console.log(`NumPy peak RSS ${np.peakRssMB.toFixed(0)} MB`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  console.log("");
  console.log(row(["case", "queries", "p50 ms", "p95 ms", "p50 CPU ms", "NumPy p50 ms", "ratio (NumPy/ours, same queries)", "results"]));
  console.log("(end to end through tRPC + queue + worker: npm run bench:match-e2e)");
  console.log(row(["---", "---", "---", "---", "---", "---", "---", "---"]));
  for (const mode of ["fast", "precise"] as const) {
    const t = times[mode];
    const n = npTimes[mode].length;
    const ours = n > 0 ? pct(t.slice(0, n), 0.5) : NaN;
    const npP50 = n > 0 ? pct(npTimes[mode], 0.5) : NaN;
    console.log(
      row([
        `1M × 650 ${mode}`,
        t.length,
        f1(pct(t, 0.5)),
        f1(pct(t, 0.95)),
        f1(pct(cpu[mode], 0.5)),
        n > 0 ? f1(npP50) : "–",
        n > 0 ? `${(npP50 / ours).toFixed(0)}×` : "–",
        identical,
      ]),
    );
  }
  console.log(row(["1M × 650 index build (first query at ℓ)", 1, f1(buildMs), "", "", "", "", ""]));
  console.log(`peak RSS (node, incl. the 2.6 GB source): ${peakRss.toFixed(0)} MB`);

  if (flag("--clean")) rmSync(file, { force: true });
  if (flag("--big")) bigCase();
}

/** 100M × 64 precise, streamed shard by shard. */
function bigCase(): void {
  const T = opt("--big-steps", 100_000_000);
  const D = 64;
  const SHARD = opt("--big-shard", 4_000_000);
  const BLOCK = 1 << 18;
  const gen = new SourceGenerator(D, 11);
  // pick the query on the first rows, as the Select view would
  const head = new Float32Array(200_000 * D);
  new SourceGenerator(D, 11).next(head);
  const hm: StateMatrix = { data: head, steps: 200_000, cells: D };
  const cells = pickQueries(hm, 1)[0]!.slice(0, 12);
  const query: MatchQuery = { cells, threshold: THRESHOLD, padLeft: 1, padRight: 0, mode: "precise", k: 50 };
  const plan = planMatch(query, T, D);
  const halo = shardHalo(plan);
  const merger = new PreciseMerger(plan);
  // rows generated so far live in `gen`; keep the last halo.before + halo.after rows for the next shard
  const keep = halo.before + halo.after;
  let tail = new Float32Array(0);
  let generated = 0;
  let genMs = 0;
  let buildMs = 0;
  let scanMs = 0;
  let shards = 0;
  const t0 = performance.now();
  for (let start = 0; start < T; start += SHARD) {
    const end = Math.min(T, start + SHARD);
    const from = Math.max(0, start - halo.before);
    const to = Math.min(T, end + halo.after);
    let tb = performance.now();
    const b = createOnIndexBuilder({ steps: to - from, cells: D, threshold: THRESHOLD, origin: from, totalSteps: T });
    // rows [from, generated) were generated for the previous shard and kept in `tail`
    const reuse = generated - from;
    if (reuse > 0) b.push(tail.subarray(tail.length - reuse * D));
    const fresh = new Float32Array(BLOCK * D);
    const lastRows = new Float32Array(keep * D);
    let lastFilled = 0;
    while (generated < to) {
      const n = Math.min(BLOCK, to - generated);
      const blk = fresh.subarray(0, n * D);
      const tg = performance.now();
      gen.next(blk);
      genMs += performance.now() - tg;
      b.push(blk);
      generated += n;
      // remember the newest `keep` rows
      const take = Math.min(n, keep);
      lastRows.copyWithin(0, take * D, keep * D);
      lastRows.set(blk.subarray((n - take) * D), (keep - take) * D);
      lastFilled = Math.min(keep, lastFilled + take);
    }
    tail = lastRows.slice((keep - lastFilled) * D);
    const index = b.finish();
    buildMs += performance.now() - tb;
    tb = performance.now();
    merger.add(scanShard(index, plan, { start, end }, { kind: "precise" }));
    scanMs += performance.now() - tb;
    shards++;
    sampleRss();
  }
  buildMs -= genMs;
  const tm = performance.now();
  const r = merger.finish();
  scanMs += performance.now() - tm;
  const total = performance.now() - t0;
  const scored = Object.values(r.histograms.all).reduce((a, b) => a + b, 0);
  console.log("");
  console.log(row(["case", "shards", "generate s", "index build s", "precise query s", "candidates scored", "top hit", "peak RSS MB"]));
  console.log(row(["---", "---", "---", "---", "---", "---", "---", "---"]));
  const top = r.results[0];
  console.log(
    row([
      `${(T / 1e6).toFixed(0)}M × ${D} precise, k = ${cells.length}`,
      shards,
      f1(genMs / 1000),
      f1(buildMs / 1000),
      (scanMs / 1000).toFixed(2),
      scored.toLocaleString("en"),
      top ? `pos ${top.pos} L ${top.length} I ${top.I} U ${top.U}` : "none",
      peakRss.toFixed(0),
    ]),
  );
  console.log(`(total wall ${f1(total / 1000)} s; the query time is the sum of shard scans + merge, one core; shards are independent and can run on separate workers)`);
}

main();
