/**
 * `npm run bench:analysis` — issue 16's numbers, in process, side by side with NumPy on the same data.
 *
 *   node --expose-gc --import tsx tests/bench/analysis-bench.ts [--steps 1000000] [--cells 650] [--runs 5]
 *     [--threads N] [--search-only] [--no-numpy] [--clean]
 *
 * 1. The source is bench:match's generated 1,000,000 × 650 float32 source (per-cell AR(1) squashed to
 *    (−1, 1), cached in the temp dir), read as a `tanh` source (the default transform). Tracks are made
 *    from some of its cells plus noise: a discrete track with labels 0/1/2 (from cells 17 and 123), an
 *    integer-valued scalar `depth` (cell 42: heavy ties) and a scalar `level` (cell 99) with 2 % of
 *    its steps missing (NaN).
 * 2. The one-time per-source preparation, as the worker does it: read + tanh (row-major, as stored)
 *    into a kernel memory, then per-cell mid-ranks into another.
 * 3. Cell search against one label (each of the three, plus a random label on half of the steps: the
 *    most rows a label's rank sums ever visit), against `depth`, and against `level` (which first
 *    prepares the source restricted to its defined steps: reported on its own line). Per label, the
 *    runs alternate: the JavaScript loop (main before the kernels), the SIMD kernels on this thread,
 *    and the worker's path (kernels on the analysis engine's threads, `--threads`, default 1 as in
 *    the worker), also with ranking and the top cells' histograms (the job's whole
 *    computation once the source is in memory). Kernel results must equal the JavaScript loop's bit
 *    for bit, or the bench fails.
 * 4. Threshold guidance for selections of 5, 10 and 20 cells (picked by the Select view's rule on a
 *    brushed range): the per-selection computation and the per-update lookup while a threshold is dragged.
  *    (`--search-only` stops here, after steps 2 and 3 without `level`.)
 * 5. Layer comparison against a second generated 1M × 650 source in which every fifth cell mixes one
 *    cell of the first (planted pairs): the top 50 pairs, and one cell's partners.
 * NumPy (Debian python3-numpy, reference BLAS) computes the same statistics directly (ranks by
 * argsort), streaming blocks of cells from a cell-major copy of the values and ranks it writes to
 * the temp dir (so it holds a few hundred MB, not the source); every number must agree to 1e-6, or
 * the bench fails (exit 1). NumPy runs first, then this process: never both at full size at once.
 */
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  brushExtremes,
  candidateCurve,
  cellDistributions,
  CellSearch,
  gridHistograms,
  gridIndex,
  gridValue,
  partnersOf,
  prepareSource,
  rankCells,
  restrictRows,
  RowsBuilder,
  ruleCurve,
  selectCells,
  selectionFloor,
  separation,
  SlotHistograms,
  SourcePreparer,
  thresholdGrid,
  topPairs,
  type CellStats,
  type PreparedSource,
  type StateMatrix,
  mulberry32,
  type CellSearchTarget,
} from "@statescope/core";
import { searchPrepared, targetOf } from "@/server/services/analysis/cells";
import { AnalysisEngine } from "@/server/services/analysis/engine";
import { scoreCells } from "@/server/services/analysis/score";
import type { AnalysisTrack } from "@/server/services/analysis/tracks";
import { f1, flag, opt, pct, row, sampleRss, time } from "../../packages/core/bench/bench-kit";
import { cachedSourceFile, forEachRowBlock, SourceGenerator } from "../../packages/core/bench/source-generator";
import { runBench } from "./run";

const T = opt("--steps", 1_000_000);
const D = opt("--cells", 650);
const RUNS = opt("--runs", 5);
/** Kernel threads of the analysis engine (the worker's default 1; 0: the kernels run on this thread). */
const THREADS = opt("--threads", 1);
/** Only the preparation and the cell search against each label and `depth` (a quick re-run of the headline numbers). */
const SEARCH_ONLY = flag("--search-only");
const TOLERANCE = 1e-6;
const ROWS = 1 << 14;

const load = () => loadavg().map((x) => x.toFixed(2)).join(", ");
/** Frees what is no longer referenced when node runs with --expose-gc (npm run bench:analysis does). */
const gc = () => (globalThis as { gc?: () => void }).gc?.();

/** Tracks from cells of the source plus noise (deterministic). */
function makeTracks(file: string) {
  const label = new Int32Array(T);
  const depth = new Float32Array(T);
  const level = new Float32Array(T);
  const r = mulberry32(99);
  forEachRowBlock(file, D, ROWS, (from, block) => {
    const n = block.length / D;
    for (let i = 0; i < n; i++) {
      const o = i * D;
      const t = from + i;
      const n1 = r() - 0.5;
      const n2 = r() - 0.5;
      label[t] = Math.tanh(block[o + 17]!) + 0.6 * n1 > 0.35 ? 1 : Math.tanh(block[o + 123]!) + 0.6 * n2 > 0.45 ? 2 : 0;
      depth[t] = Math.round(3 * Math.tanh(block[o + 42]!) + 3 + 2 * (r() - 0.5));
      const miss = r() < 0.02;
      const noise = 0.5 * (r() - 0.5);
      level[t] = miss ? NaN : Math.tanh(block[o + 99]!) + noise;
    }
  });
  return { label, depth, level };
}

/** The second source: every fifth cell mixes one cell of the first with its own AR process (planted pairs). */
function planted(b: number): { a: number; w: number } | null {
  if (b % 5 !== 0) return null;
  return { a: (b * 37 + 11) % D, w: (b % 10 === 0 ? 1 : -1) * (0.35 + 0.6 * mulberry32(b + 1)()) };
}
function cachedLayerB(fileA: string): string {
  const file = join(tmpdir(), `statescope-bench-analysis-B-${T}x${D}.f32`);
  if (existsSync(file) && statSync(file).size === T * D * 4) return file;
  const gen = new SourceGenerator(D, 8);
  const own = new Float32Array(ROWS * D);
  const fd = openSync(file + ".part", "w");
  forEachRowBlock(fileA, D, ROWS, (_from, block) => {
    const o = own.subarray(0, block.length);
    gen.next(o);
    for (let b = 0; b < D; b++) {
      const p = planted(b);
      if (!p) continue;
      const w = Math.abs(p.w);
      for (let i = b, j = p.a; i < block.length; i += D, j += D) o[i] = p.w * block[j]! + (1 - w) * o[i]!;
    }
    writeSync(fd, new Uint8Array(o.buffer, 0, o.byteLength));
  });
  closeSync(fd);
  renameSync(file + ".part", file);
  return file;
}

function readRows(file: string): StateMatrix {
  const b = new RowsBuilder({ steps: T, sourceCells: D, transform: "tanh", kernels: true });
  forEachRowBlock(file, D, ROWS, (_from, block) => b.push(block));
  return b.finish();
}

/** Rows [from, to) of the raw file, tanh-transformed (the Select view's window). */
function readWindow(file: string, from: number, to: number): Float32Array {
  const out = new Float32Array((to - from) * D);
  const fd = openSync(file, "r");
  readSync(fd, new Uint8Array(out.buffer), 0, out.byteLength, from * D * 4);
  closeSync(fd);
  for (let i = 0; i < out.length; i++) out[i] = Math.tanh(out[i]!);
  return out;
}

interface Guide {
  cells: number[];
  brush: [number, number];
  window: [number, number];
}
/** Selections the way a person makes them: brush 2–6 steps, the rule at ℓ = 0.3 with padding (1, 0), keep k cells. */
function pickGuides(file: string, ks: number[]): Guide[] {
  const r = mulberry32(4242);
  const out: Guide[] = [];
  for (const k of ks) {
    for (let tries = 0; tries < 10_000; tries++) {
      const b0 = 10 + Math.floor(r() * (T - 40));
      const len = 2 + Math.floor(r() * 5);
      const w0 = b0 - 1;
      const w1 = b0 + len;
      const win = { data: readWindow(file, w0, w1), steps: w1 - w0, cells: D };
      const cells = selectCells(win, [1, 1 + len], 0.3, [1, 0]);
      if (cells.length < k) continue;
      out.push({ cells: cells.slice(0, k), brush: [b0, b0 + len], window: [w0, w1] });
      break;
    }
  }
  return out;
}

type NumpyCells = {
  timingsMs: { prepare_tanh: number; prepare_ranks: number };
  labels: Record<string, { ms: number[]; auc: (number | null)[]; pointBiserial: (number | null)[] }>;
  depth: { ms: number[]; r: (number | null)[]; rho: (number | null)[] };
  level: { prepareMs: number; ms: number[]; r: (number | null)[]; rho: (number | null)[]; excluded: number };
  guide: { thresholds: number[]; candidates: number[]; picked: number[]; ms: number[] }[];
  peakRssMB: number;
};
type NumpyPairs = { exact: number[]; exactMs: number; partners: (number | null)[]; partnersMs: number; sampleMatrixMs: number; peakRssMB: number };

function numpy<R>(cmd: "cells" | "pairs", spec: object, dir: string): R {
  const p = join(dir, `${cmd}.json`);
  writeFileSync(p, JSON.stringify(spec));
  const script = join(dirname(fileURLToPath(import.meta.url)), "analysis_numpy.py");
  return JSON.parse(execFileSync("/usr/bin/python3", [script, cmd, p], { maxBuffer: 1 << 30, encoding: "utf8" })) as R;
}

const failures: string[] = [];
/** Compares per-cell values (null = NaN) and records the largest difference. */
function agree(what: string, ours: Float64Array, theirs: (number | null)[]): string {
  let worst = 0;
  for (let c = 0; c < ours.length; c++) {
    const a = ours[c]!;
    const b = theirs[c] ?? NaN;
    if (Number.isNaN(a) !== Number.isNaN(b)) {
      failures.push(`${what}: cell ${c} is ${a} here, ${b} in NumPy`);
      return "MISMATCH";
    }
    if (!Number.isNaN(a)) worst = Math.max(worst, Math.abs(a - b));
  }
  if (worst > TOLERANCE) failures.push(`${what}: differs from NumPy by up to ${worst.toExponential(2)}`);
  return `max |Δ| ${worst.toExponential(1)}`;
}

/** The JavaScript loop on this thread (cell search before the kernels). */
function searchJs(p: PreparedSource, target: CellSearchTarget): CellStats {
  const s = new CellSearch(p, target, { kernels: false });
  s.run(s.total);
  return s.finish();
}

async function timeAsync<V>(f: () => Promise<V>): Promise<[V, number]> {
  const t = performance.now();
  const v = await f();
  return [v, performance.now() - t];
}

/** Kernel results must be the JavaScript loop's doubles (NaN where it has NaN). */
function sameAsJs(what: string, got: CellStats, want: CellStats): void {
  const a = got.kind === "discrete" ? [got.auc, got.pointBiserial] : got.kind === "scalar" ? [got.r, got.rho] : [];
  const b = want.kind === "discrete" ? [want.auc, want.pointBiserial] : [want.r, want.rho];
  const differ = a.some((xs, i) => xs.some((x, c) => x !== b[i]![c]! && !(Number.isNaN(x) && Number.isNaN(b[i]![c]!))));
  if (got.kind !== want.kind || differ) failures.push(`${what}: the kernels' result differs from the JavaScript loop's`);
}

const noProgress = async () => undefined;

async function main(): Promise<void> {
  console.log(`Statescope analysis benchmark — node ${process.version}, ${T.toLocaleString("en")} × ${D}, tanh source, ${THREADS} kernel thread(s); load average ${load()}`);
  const a = cachedSourceFile(T, D, 7);
  const fileB = cachedLayerB(a.file);
  const tracks = makeTracks(a.file);
  const guides = pickGuides(a.file, [5, 10, 20]);
  const g = thresholdGrid(-1, 1);
  const probe = [0.1, 0.3, 0.5, 0.7];
  const dir = mkdtempSync(join(tmpdir(), "statescope-analysis-bench-"));
  const labels = [0, 1, 2];
  // the worker's analysis engine: its kernel threads (the cache is not used: the bench prepares itself)
  const engine = new AnalysisEngine(0, { threads: THREADS });
  let np: NumpyCells | null = null;
  try {
    if (!flag("--no-numpy")) {
      writeFileSync(join(dir, "label.i32"), tracks.label);
      writeFileSync(join(dir, "depth.f32"), tracks.depth);
      writeFileSync(join(dir, "level.f32"), tracks.level);
      console.log(`running NumPy (prepare, ${labels.length} labels + 2 scalar tracks × ${RUNS} runs, guidance)… load average ${load()}`);
      np = numpy<NumpyCells>(
        "cells",
        { steps: T, cells: D, source: a.file, scratch: dir, label: join(dir, "label.i32"), depth: join(dir, "depth.f32"), level: join(dir, "level.f32"), labels, runs: RUNS, guides: guides.map((x) => ({ ...x, thresholds: probe })) },
        dir,
      );
    }

    // ---- one-time per-source preparation ----
    console.log(`preparing the source in process… load average ${load()}`);
    const [values, valuesMs] = time(() => readRows(a.file));
    sampleRss();
    // the track with missing steps first: its restricted copy is freed before the full ranks are
    // built, so the two preparations are never in memory together (peak ≈ 3 × the source)
    let restrictMs = 0;
    let levelLine: (string | number)[] | null = null;
    if (!SEARCH_ONLY) {
      const keep: number[] = [];
      for (let t = 0; t < T; t++) if (!Number.isNaN(tracks.level[t]!)) keep.push(t);
      const k = Uint32Array.from(keep);
      const [sub, ms1] = time(() => prepareSource(restrictRows(values, k), { ranks: true }));
      restrictMs = ms1;
      sampleRss();
      const y = Float32Array.from(k, (t) => tracks.level[t]!);
      await engine.score(sub, { kind: "scalar", y }); // starts the threads, warms up
      const [s, ms] = (await timeAsync(() => engine.score(sub, { kind: "scalar", y }))) as [Extract<CellStats, { kind: "scalar" }>, number];
      const n = np?.level;
      const check = n ? `r ${agree("level r", s.r, n.r)}, ρ ${agree("level rho", s.rho, n.rho)}` : "skipped";
      levelLine = [`scalar \`level\`, ${T - k.length} steps missing: search on the restricted source`, 1, "", "", f1(ms), "", "", "", n ? f1(n.ms[0]!) : "–", n ? `${(n.ms[0]! / ms).toFixed(1)}×` : "–", check];
      // the threads let go of the restricted copy's memories
      await engine.pool?.close();
    }
    gc();
    const [prep, ranksMs] = time(() => {
      const p = new SourcePreparer(values, { ranks: true });
      p.run(D);
      return p.finish();
    });
    sampleRss();
    // the end of the worker's preparation: threads started, kernels warmed up
    const [, warmMs] = await timeAsync(() => engine.warm(prep));

    // ---- cell search ----
    console.log(`cell search… load average ${load()}`);
    const lines: (string | number)[][] = [];
    let firstMs = 0;
    /** Alternating runs of the three ways (and the whole in-memory job) against one target. */
    const measure = async (name: string, target: CellSearchTarget, job: { track: AnalysisTrack; label: string } | null) => {
      const want = searchJs(prep, target); // also warms the JavaScript loop up
      const [, coldMs] = await timeAsync(() => engine.score(prep, target));
      if (!firstMs) firstMs = coldMs;
      await scoreCells(prep, target, null);
      const js: number[] = [];
      const one: number[] = [];
      const many: number[] = [];
      const whole: number[] = [];
      const jsCpu: number[] = [];
      const manyCpu: number[] = [];
      const cpu = (since: NodeJS.CpuUsage) => {
        const u = process.cpuUsage(since);
        return (u.user + u.system) / 1000;
      };
      let stats = want;
      for (let i = 0; i < RUNS; i++) {
        let c = process.cpuUsage();
        js.push(time(() => searchJs(prep, target))[1]);
        jsCpu.push(cpu(c));
        const [s1, ms1] = await timeAsync(() => scoreCells(prep, target, null));
        sameAsJs(`${name} (kernels, this thread)`, s1, want);
        one.push(ms1);
        c = process.cpuUsage();
        const [s2, ms2] = await timeAsync(() => engine.score(prep, target));
        manyCpu.push(cpu(c));
        sameAsJs(`${name} (kernels, ${THREADS} threads)`, s2, want);
        many.push(ms2);
        stats = s2;
        if (job) whole.push((await timeAsync(() => searchPrepared(engine, prep, job.track, targetOf(job.track, job.label, T), job.label, noProgress)))[1]);
      }
      return { stats, js, one, many, whole, cpu: `${f1(pct(jsCpu, 0.5))} → ${f1(pct(manyCpu, 0.5))}` };
    };
    const labelTrack: AnalysisTrack = { name: "label", kind: "discrete", values: tracks.label, labels: labels.map((id) => ({ id, label: String(id) })), version: null };
    const half = mulberry32(50);
    const halfTrack: AnalysisTrack = { name: "half", kind: "discrete", values: Int32Array.from({ length: T }, () => (half() < 0.5 ? 1 : 0)), labels: [{ id: 0, label: "rest" }, { id: 1, label: "half" }], version: null };
    const jobs = [...labels.map((L) => ({ track: labelTrack, label: String(L) })), { track: halfTrack, label: "half" }];
    for (const job of jobs) {
      const target = targetOf(job.track, job.label, T).target;
      const m = await measure(`label ${job.label}`, target, job);
      const s = m.stats as Extract<CellStats, { kind: "discrete" }>;
      const n = job.track === labelTrack ? np?.labels[job.label] : undefined;
      const check = n
        ? `AUC ${agree(`label ${job.label} AUC`, s.auc, n.auc)}, r_pb ${agree(`label ${job.label} point-biserial`, s.pointBiserial, n.pointBiserial)}`
        : job.track === labelTrack ? "skipped" : "(no NumPy run: a random label)";
      const top = rankCells(s, 3).map((c) => `${c} (${s.auc[c]!.toFixed(3)})`).join(", ");
      const what = job.track === labelTrack ? `label ${job.label}` : "random label";
      lines.push([`${what} (${((s.positives / T) * 100).toFixed(0)} % of steps): AUC + r_pb, all cells`, RUNS, f1(pct(m.js, 0.5)), f1(pct(m.one, 0.5)), f1(pct(m.many, 0.5)), f1(pct(m.many, 0.95)), m.cpu, f1(pct(m.whole, 0.5)), n ? f1(pct(n.ms, 0.5)) : "–", n ? `${(pct(n.ms, 0.5) / pct(m.many, 0.5)).toFixed(1)}×` : "–", `${check}; top ${top}`]);
    }
    {
      const m = await measure("depth", { kind: "scalar", y: tracks.depth }, null);
      const s = m.stats as Extract<CellStats, { kind: "scalar" }>;
      const n = np?.depth;
      const check = n ? `r ${agree("depth r", s.r, n.r)}, ρ ${agree("depth rho", s.rho, n.rho)}` : "skipped";
      const top = rankCells(s, 3).map((c) => `${c} (${s.r[c]!.toFixed(3)})`).join(", ");
      lines.push(["scalar `depth` (integer, ties): Pearson + Spearman, all cells", RUNS, f1(pct(m.js, 0.5)), f1(pct(m.one, 0.5)), f1(pct(m.many, 0.5)), f1(pct(m.many, 0.95)), m.cpu, "", n ? f1(pct(n.ms, 0.5)) : "–", n ? `${(pct(n.ms, 0.5) / pct(m.many, 0.5)).toFixed(1)}×` : "–", `${check}; top ${top}`]);
    }
    if (levelLine) lines.push(levelLine);
    // the threads let go of the source's memories (the ranks are dropped below)
    await engine.pool?.close();
    const searchTable = () => {
      console.log(row(["cell search (after preparation)", "runs", "JavaScript loop p50 ms (before)", "kernels, this thread p50 ms", `kernels, ${THREADS} threads p50 ms (the worker)`, `${THREADS} threads p95 ms`, "CPU ms p50, JavaScript loop → the worker (all threads)", "whole job in memory p50 ms (+ ranking, histograms)", "NumPy p50 ms", "NumPy / ours", "agreement with NumPy; top 3"]));
      console.log(row(["---", "---", "---", "---", "---", "---", "---", "---", "---", "---", "---"]));
      for (const l of lines) console.log(row(l));
      console.log(`end of preparation: ${THREADS} kernel threads started and warmed up in ${f1(warmMs)} ms; the first search after it: ${f1(firstMs)} ms`);
    };
    if (SEARCH_ONLY) {
      console.log(`\nload average while reporting: ${load()}\n`);
      console.log(row(["one-time preparation", "ours s"]));
      console.log(row(["---", "---"]));
      console.log(row(["read + tanh (V row-major)", f1(valuesMs / 1000)]));
      console.log(row(["per-cell mid-ranks + moments", f1(ranksMs / 1000)]));
      console.log("");
      searchTable();
      console.log(`\npeak RSS: node ${sampleRss().toFixed(0)} MB`);
      return;
    }

    // ---- threshold guidance ----
    const glines: (string | number)[][] = [];
    // per source: each cell's value counts per grid slot, filled on first use (one-time, like the ranks)
    const slots = new SlotHistograms(values, g);
    const [, slotsMs] = time(() => {
      for (let c = 0; c < D; c++) slots.overall(c);
    });
    for (const gd of guides) {
      const k = gd.cells.length;
      const per: number[] = [];
      let curve: Uint32Array = new Uint32Array(0);
      let picked: Uint32Array = new Uint32Array(0);
      let best = 0;
      const win = { data: readWindow(a.file, gd.window[0], gd.window[1]), from: gd.window[0], to: gd.window[1], cells: D };
      for (let i = 0; i < RUNS + 1; i++) {
        const [, ms] = time(() => {
          curve = candidateCurve(selectionFloor(values, gd.cells), g);
          picked = ruleCurve(brushExtremes(win, gd.brush, [1, 0]), g);
          const h = gridHistograms(values, slots, gd.cells, gd.brush);
          best = separation(h, g).best;
          cellDistributions(h, g, 40);
        });
        if (i > 0) per.push(ms); // first run warms up
      }
      // a drag: 2,000 threshold updates, each a lookup of the point under the new threshold
      const [, dragMs] = time(() => {
        let s = 0;
        for (let i = 0; i < 2000; i++) {
          const j = gridIndex(g, -1 + i / 1000);
          s += curve[j]! + picked[j]!;
        }
        return s;
      });
      const n = np?.guide[guides.indexOf(gd)];
      let check = "skipped";
      if (n) {
        const ours = probe.map((x) => curve[gridIndex(g, x)]!);
        const oursPicked = probe.map((x) => picked[gridIndex(g, x)]!);
        const same = JSON.stringify(ours) === JSON.stringify(n.candidates) && JSON.stringify(oursPicked) === JSON.stringify(n.picked);
        if (!same) failures.push(`guidance k=${k}: candidates ${ours} / picked ${oursPicked} here, ${n.candidates} / ${n.picked} in NumPy`);
        check = `${same ? "identical" : "MISMATCH"} at ℓ = ${probe.join(", ")} (candidates ${ours.join("/")})`;
      }
      glines.push([
        `k = ${k}: curves over ${g.count} thresholds + suggestion (${gridValue(g, best)}) + histograms`,
        per.length,
        f1(pct(per, 0.5)),
        ((dragMs / 2000) * 1000).toFixed(2) + " µs",
        n ? f1(pct(n.ms, 0.5)) + " per threshold" : "–",
        check,
      ]);
    }

    // ---- layer comparison ----
    console.log(`comparing layers… load average ${load()}`);
    // correlations use the values and moments only: the ranks go before the second source comes in
    sampleRss();
    prep.ranks = null;
    prep.srr = null;
    gc();
    const [valuesB, valuesBms] = time(() => readRows(fileB));
    const [prepB, momBms] = time(() => prepareSource(valuesB, { ranks: false }));
    sampleRss();
    const [pairs, pairsMs] = time(() => topPairs(prep, prepB, { top: 50, sampleSteps: 4096, maxExact: 5000, rand: mulberry32(17) }));
    const partnerCell = pairs.pairs[0]?.a ?? 0;
    const [partners, partnersMs] = time(() => partnersOf(prep, partnerCell, prepB));
    sampleRss();
    const plantedSet = new Set<string>();
    for (let b = 0; b < D; b++) {
      const p = planted(b);
      if (p) plantedSet.add(`${p.a}:${b}`);
    }
    // ground truth: with at least as many planted pairs as asked for, the top pairs are planted ones
    const onlyPlanted = pairs.pairs.every((p) => plantedSet.has(`${p.a}:${p.b}`));
    if (!onlyPlanted && plantedSet.size >= 2 * pairs.pairs.length) failures.push("layer comparison: a top pair is not one of the planted pairs");
    let pairCheck = "skipped";
    let npPairs: NumpyPairs | null = null;
    if (np) {
      npPairs = numpy<NumpyPairs>("pairs", { steps: T, cells: D, sourceA: a.file, sourceB: fileB, pairs: pairs.pairs.map((p) => [p.a, p.b]), partnerCell, sampleSteps: 4096 }, dir);
      pairCheck = `exact r ${agree("top pairs r", Float64Array.from(pairs.pairs, (p) => p.r), npPairs.exact)}, partners ${agree("partners r", partners, npPairs.partners)}`;
    }

    // ---- report ----
    console.log("");
    console.log(`load average while reporting: ${load()}`);
    console.log("");
    console.log(row(["one-time per-source preparation (1M × 650)", "ours s", "NumPy s"]));
    console.log(row(["---", "---", "---"]));
    console.log(row(["read + tanh (V row-major)", f1(valuesMs / 1000), np ? f1(np.timingsMs.prepare_tanh / 1000) : "–"]));
    console.log(row(["per-cell mid-ranks + moments", f1(ranksMs / 1000), np ? f1(np.timingsMs.prepare_ranks / 1000) : "–"]));
    console.log(row(["total", f1((valuesMs + ranksMs) / 1000), np ? f1((np.timingsMs.prepare_tanh + np.timingsMs.prepare_ranks) / 1000) : "–"]));
    console.log(row([`threshold guidance: per-cell value counts on the ${g.count}-threshold grid (all cells; filled lazily per selected cell)`, f1(slotsMs / 1000), "–"]));
    console.log(row([`per-track: restricted to the ${tracks.level.filter((v) => !Number.isNaN(v)).length.toLocaleString("en")} defined steps of \`level\``, f1(restrictMs / 1000), np ? f1(np.level.prepareMs / 1000) : "–"]));
    console.log(`prepared source: ${((T * D * 8) / 2 ** 30).toFixed(2)} GiB (V float32 + doubled ranks uint32, row-major)`);
    console.log("");
    searchTable();
    console.log("");
    console.log(row(["threshold guidance (1M steps)", "runs", "per selection p50 ms", "per threshold update", "NumPy (direct, one threshold) ms", "agreement"]));
    console.log(row(["---", "---", "---", "---", "---", "---"]));
    for (const l of glines) console.log(row(l));
    console.log("");
    console.log(row(["layer comparison (1M × 650 vs 1M × 650)", "ours s", "NumPy s", "details"]));
    console.log(row(["---", "---", "---", "---"]));
    console.log(row(["second source: read + tanh + moments (one-time)", f1((valuesBms + momBms) / 1000), "", ""]));
    console.log(
      row([
        "top 50 pairs: sample all pairs, recompute the top exactly",
        f1(pairsMs / 1000),
        npPairs ? `${f1(npPairs.sampleMatrixMs / 1000)} (sample matrix only)` : "–",
        `sample ${pairs.sampleSteps} steps; ${pairs.exactPairs} pairs recomputed; margin ${pairs.margin.toFixed(4)}; sample error max ${pairs.maxError.toFixed(4)} (${pairs.maxZ.toFixed(1)} standard errors), mean ${pairs.meanError.toFixed(4)}${pairs.truncated ? "; TRUNCATED" : ""}; all top pairs planted: ${onlyPlanted}; ${pairCheck}`,
      ]),
    );
    console.log(row([`partners of cell ${partnerCell} (exact, all 650)`, f1(partnersMs / 1000), npPairs ? f1(npPairs.partnersMs / 1000) : "–", `best ${Array.from(partners.keys()).sort((x, y) => Math.abs(partners[y]!) - Math.abs(partners[x]!))[0]}`]));
    console.log("");
    console.log(`peak RSS: node ${sampleRss().toFixed(0)} MB${np ? `, NumPy ${np.peakRssMB.toFixed(0)} MB (cells) / ${npPairs?.peakRssMB.toFixed(0)} MB (pairs)` : ""}`);
  } finally {
    await engine.pool?.close();
    rmSync(dir, { recursive: true, force: true });
    if (flag("--clean")) {
      rmSync(a.file, { force: true });
      rmSync(fileB, { force: true });
    }
  }
  if (failures.length) throw new Error(`FAILED: results differ from the reference:\n${failures.join("\n")}`);
}

runBench(main);
