/**
 * Cell search (from a track to cells): every cell of a source ranked by its association with one
 * label of a discrete track (AUC and point-biserial r) or with a scalar track (Pearson r and
 * Spearman ρ), computed on the values the explorer shows (the source's transform). Steps where
 * the track is missing are left out and counted. See packages/core `CellSearch` for the formulas.
 */
import { AppError, columnHistograms, prepareSource, rankCells, restrictRows, type CellSearchTarget, type CellStats, type PreparedSource, type StateMatrix } from "@statescope/core";
import type { Db } from "@/server/db/client";
import type { AnalysisEngine, AnalysisSource, Progress } from "./engine";
import type { CellScore, CellSearchResult } from "./schemas";
import { labelIds, readAnalysisTrack, type AnalysisTrack } from "./tracks";

/** Top cells that get value histograms. */
export const HISTOGRAM_CELLS = 20;
const HISTOGRAM_BINS = 24;
/** At most this many labels get a histogram row each. */
const HISTOGRAM_LABELS = 12;

export interface Target {
  target: CellSearchTarget;
  /** The defined steps (ascending), or null when every step is defined. */
  keep: Uint32Array | null;
  excluded: number;
}

/** The statistic's target over the defined steps (compacted when some are missing). */
export function targetOf(track: AnalysisTrack, label: string | null, steps: number): Target {
  const values = track.values;
  let keep: number[] | null = null;
  if (track.kind === "scalar") {
    if (label !== null) throw new AppError("BAD_INPUT", `track ${JSON.stringify(track.name)} is scalar: leave out the label`);
    for (let t = 0; t < steps; t++) {
      if (!Number.isFinite(values[t]!)) {
        keep ??= Array.from({ length: t }, (_, i) => i);
      } else keep?.push(t);
    }
    const y = keep ? Float32Array.from(keep, (t) => values[t]!) : (values as Float32Array).subarray(0, steps);
    return { target: { kind: "scalar", y }, keep: keep ? Uint32Array.from(keep) : null, excluded: keep ? steps - keep.length : 0 };
  }
  if (label === null) throw new AppError("BAD_INPUT", `track ${JSON.stringify(track.name)} is discrete: name the label to compare against the rest (labels: ${track.labels.map((l) => JSON.stringify(l.label)).join(", ")})`);
  // per id: 1 the label, 0 another label; an id without a label is missing
  const code = new Map<number, number>(track.labels.map((l) => [l.id, 0]));
  for (const id of labelIds(track, label)) code.set(id, 1);
  const flags = new Uint8Array(steps);
  let n = 0;
  for (let t = 0; t < steps; t++) {
    const f = code.get(values[t]!);
    if (f === undefined) {
      keep ??= Array.from({ length: t }, (_, i) => i);
      continue;
    }
    keep?.push(t);
    flags[n++] = f;
  }
  return { target: { kind: "label", positive: flags.subarray(0, n) }, keep: keep ? Uint32Array.from(keep) : null, excluded: keep ? steps - keep.length : 0 };
}

const clean = (x: number): number | null => (Number.isFinite(x) ? x : null);

function scoreOf(stats: CellStats, c: number): CellScore {
  return stats.kind === "discrete"
    ? { cell: c, auc: clean(stats.auc[c]!), pointBiserial: clean(stats.pointBiserial[c]!) }
    : { cell: c, r: clean(stats.r[c]!), rho: clean(stats.rho[c]!) };
}

/** Scores a prepared source's cells (the engine's kernels and threads when it holds the source), reporting progress between blocks of rows. */
function scoreAll(engine: AnalysisEngine, prep: PreparedSource, target: CellSearchTarget, progress: Progress, phase: string, from: number, span: number): Promise<CellStats> {
  return engine.score(prep, target, (f) => progress(phase, from + span * f));
}

/**
 * Cell search for a source too large to prepare whole: blocks of cells, each streamed from the
 * stored chunks, prepared and scored, then merged.
 */
async function scoreInBlocks(db: Db, engine: AnalysisEngine, src: AnalysisSource, t: Target, progress: Progress): Promise<CellStats> {
  const n = t.keep ? t.keep.length : src.steps;
  const perCell = n * 8 + (t.keep ? src.steps * 4 : 0);
  const block = Math.floor(engine.budget / 2 / perCell);
  if (block < 1) throw new AppError("TOO_LARGE", `source ${src.name} is too long for cell search in this worker's memory (one cell needs ${perCell} bytes; raise ANALYSIS_CACHE_BYTES)`);
  const D = src.cells;
  const merged: CellStats =
    t.target.kind === "label"
      ? { kind: "discrete", positives: 0, negatives: 0, auc: new Float64Array(D), pointBiserial: new Float64Array(D) }
      : { kind: "scalar", r: new Float64Array(D), rho: new Float64Array(D) };
  for (let c0 = 0; c0 < D; c0 += block) {
    const cells = Array.from({ length: Math.min(block, D - c0) }, (_, i) => c0 + i);
    const read = await engine.readRows(db, src, cells);
    const rows = t.keep ? restrictRows(read, t.keep) : read;
    const part = await scoreAll(engine, prepareSource(rows, { ranks: true }), t.target, progress, `scoring cells ${c0}–${c0 + cells.length - 1} of ${D}`, c0 / D, cells.length / D);
    if (part.kind === "discrete" && merged.kind === "discrete") {
      merged.positives = part.positives;
      merged.negatives = part.negatives;
      merged.auc.set(part.auc, c0);
      merged.pointBiserial.set(part.pointBiserial, c0);
    } else if (part.kind === "scalar" && merged.kind === "scalar") {
      merged.r.set(part.r, c0);
      merged.rho.set(part.rho, c0);
    }
  }
  return merged;
}

/**
 * Value histograms of the top cells: per label (discrete) or with the track's mean per bin
 * (scalar). `values` holds the defined steps, row-major; `column(i)` is top cell i's column in it;
 * `extent`: the columns' min and max when known (a prepared source's).
 */
function histograms(values: StateMatrix, column: (i: number) => number, track: AnalysisTrack, t: Target, top: number[], extent?: { min: Float64Array; max: Float64Array }): CellSearchResult["histograms"] {
  const n = values.steps;
  const B = HISTOGRAM_BINS;
  // per defined step, once: its label's row (−1: a label past the first HISTOGRAM_LABELS), or the scalar's value
  const labels = track.kind === "discrete" ? track.labels.slice(0, HISTOGRAM_LABELS) : [];
  const rowOf = new Map(labels.map((l, i) => [l.id, i] as const));
  const row = new Int16Array(n);
  const y = track.kind === "scalar" ? new Float64Array(n) : null;
  for (let i = 0; i < n; i++) {
    const v = track.values[t.keep ? t.keep[i]! : i]!;
    if (y) y[i] = v;
    else row[i] = rowOf.get(v) ?? -1;
  }
  const rows = track.kind === "discrete" ? labels.length : 1;
  const hs = columnHistograms(values, top.map((_, i) => column(i)), row, rows, B, y, extent);
  return top.map((c, ci) => {
    const { lo, hi, counts, sums } = hs[ci]!;
    const edges = Array.from({ length: B + 1 }, (_, b) => lo + ((hi - lo) * b) / B);
    const table = Array.from({ length: rows }, (_, r) => Array.from(counts.subarray(r * B, (r + 1) * B)));
    if (track.kind === "discrete") return { cell: c, edges, counts: table };
    return { cell: c, edges, counts: table, trackMean: table[0]!.map((k, b) => (k > 0 ? sums[b]! / k : null)) };
  });
}

export interface CellSearchQuery {
  datasetId: string;
  source: string;
  track: string;
  label: string | null;
  trackVersion: string | null;
}

/** The worker side: reads the track, prepares (or reuses) the source and scores every cell. */
export async function computeCellSearch(
  db: Db,
  engine: AnalysisEngine,
  src: AnalysisSource,
  q: CellSearchQuery,
  progress: Progress,
): Promise<{ result: CellSearchResult; prepareMs: number }> {
  await progress("reading the track", 0);
  const track = await readAnalysisTrack(db, q.datasetId, src.steps, q.track);
  if (track.version !== q.trackVersion) throw new AppError("CONFLICT", `the annotations of dataset ${q.datasetId} changed while the cell search waited: run it again`);
  const t = targetOf(track, q.label, src.steps);
  const n = src.steps - t.excluded;
  if (n < 2) throw new AppError("BAD_INPUT", `track ${JSON.stringify(q.track)} is defined at ${n} step${n === 1 ? "" : "s"} of source ${src.name}: nothing to compare`);
  const inMemory = engine.fits(src, true) && (!t.keep || engine.fits({ ...src, steps: n }, true));
  if (inMemory) {
    const p = t.keep
      ? await engine.restricted(db, src, t.keep, `${q.track}:${q.trackVersion ?? ""}`, (ph, f) => progress(ph, 0.8 * f))
      : await engine.prepared(db, src, { ranks: true, progress: (ph, f) => progress(ph, 0.8 * f) });
    return { result: await searchPrepared(engine, p.prep, track, t, q.label, progress), prepareMs: p.prepareMs };
  }
  const stats = await scoreInBlocks(db, engine, src, t, progress);
  // the top cells' values are read once more (the blocks are gone)
  const top = rankCells(stats, HISTOGRAM_CELLS);
  const rows = await engine.readRows(db, src, top, progress, "reading the top cells");
  return { result: resultOf(stats, track, t, q.label, t.keep ? restrictRows(rows, t.keep) : rows, (_c, i) => i), prepareMs: 0 };
}

/**
 * Cell search on a source the engine holds, prepared (restricted to the track's defined steps
 * when some are missing): every cell scored (the engine's kernels and threads), ranked, and the top
 * cells' histograms. The worker's in-memory path; `npm run bench:analysis` times it.
 */
export async function searchPrepared(engine: AnalysisEngine, prep: PreparedSource, track: AnalysisTrack, t: Target, label: string | null, progress: Progress): Promise<CellSearchResult> {
  const stats = await scoreAll(engine, prep, t.target, progress, "scoring every cell", 0.8, 0.2);
  return resultOf(stats, track, t, label, prep.values, (c) => c, prep);
}

/** The result: all cells by strength, the top cells' histograms from `values` (top cell c at column `column(c, i)`; `extent`: per cell min and max of a prepared source). */
function resultOf(stats: CellStats, track: AnalysisTrack, t: Target, label: string | null, values: StateMatrix, column: (c: number, i: number) => number, extent?: { min: Float64Array; max: Float64Array }): CellSearchResult {
  const order = rankCells(stats);
  const top = order.slice(0, HISTOGRAM_CELLS);
  return {
    track: track.name,
    label,
    kind: stats.kind,
    excluded: t.excluded,
    steps: values.steps,
    ...(stats.kind === "discrete" ? { positives: stats.positives, negatives: stats.negatives } : {}),
    cells: order.map((c) => scoreOf(stats, c)),
    ...(track.kind === "discrete" ? { labels: track.labels.slice(0, HISTOGRAM_LABELS).map((l) => l.label) } : {}),
    histograms: histograms(values, (i) => column(top[i]!, i), track, t, top, extent),
  };
}

