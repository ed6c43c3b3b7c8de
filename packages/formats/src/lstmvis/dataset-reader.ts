import { AppError } from "@statescope/core";
import type { Dictionary } from "../dict/dict";
import type { NumericDtype } from "../npy/dtype";
import { recommendedChunkRows } from "../npy/numeric-array";

/** Display transform applied to raw state values (`none` keeps them as stored). */
export type Transform = "tanh" | "none";

/** One selectable state matrix (T x D). */
export interface SourcePlan {
  /** `<files-ref>::<dataset path>` for LSTMVis, the file stem for NumPy folders. */
  name: string;
  /** Relative path of the file inside the project folder. */
  file: string;
  /** Dataset path inside an HDF5 file; null for .npy. */
  dataset: string | null;
  /** Label such as `state` / `output`; null when not given. */
  type: string | null;
  layer: number | null;
  transform: Transform;
  unsigned: boolean;
  /** Rows stored in the file (≥ plan.steps; extra rows are never read). */
  rows: number;
  cells: number;
  dtype: NumericDtype;
}

export type MetaKind = "discrete" | "scalar" | "wordvec";

export interface MetaLabel {
  id: number;
  label: string;
}

/** An annotation track aligned with the token stream. */
export interface MetaTrackPlan {
  name: string;
  kind: MetaKind;
  file: string;
  dataset: string | null;
  /** `self` (value at t is meta[t]) or the section whose id at t indexes the meta table. */
  index: string;
  /** Values per step: 1, or k for wordvec tracks. */
  width: number;
  dtype: NumericDtype;
  /**
   * Discrete: id -> label (from the track's dictionary, or the distinct values
   * found when there is none). Wordvec: the track's dictionary, or null to mean
   * the word vocabulary. Scalar: null.
   */
  labels: MetaLabel[] | null;
  /** Display range from `vis.range`: `dict`, [min, max], or null. */
  range: [number, number] | "dict" | null;
  hasWeights: boolean;
}

export interface DatasetPlan {
  format: "lstmvis" | "numpy";
  name: string;
  /** May contain HTML (LSTMVis allows it): sanitize before rendering. */
  description: string;
  /** Steps after truncation: min(word ids, every source's rows). */
  steps: number;
  /** Length of the word id sequence as stored. */
  wordSequenceLength: number;
  sources: SourcePlan[];
  metaTracks: MetaTrackPlan[];
  vocabulary: Dictionary;
  /** Ids in the first `steps` positions that the dictionary lacks (shown as `<unk:ID>`). */
  unknownIds: { count: number; distinct: number; examples: number[] };
  /** `etc.regex_search`: char-level data, search by regex over the text. */
  regexSearch: boolean;
  warnings: string[];
}

/** Meta rows [from, to) of one track. Missing lookups are {@link MISSING_ID} / NaN. */
export type MetaRows =
  | { kind: "discrete"; values: Int32Array }
  | { kind: "scalar"; values: Float32Array }
  | { kind: "wordvec"; width: number; ids: Int32Array; weights: Float32Array | null };

/** Value of a discrete/wordvec step whose indirect lookup fell outside the meta table. */
export const MISSING_ID = -2147483648;

/**
 * The common read API of LSTMVis projects and NumPy folders. The plan is
 * computed (and validated) at open; rows are read lazily by ranges of time
 * steps t in [0, plan.steps).
 */
export interface DatasetReader {
  readonly plan: DatasetPlan;
  /** Word ids of steps [from, to). */
  readTokenIds(from: number, to: number): Promise<Int32Array>;
  /** Display text for an id: the token, or `<unk:ID>`. */
  tokenText(id: number): string;
  /** Rows [from, to) of a source as row-major float32 ((to-from) x cells), raw (no transform). */
  readSourceRows(source: string, from: number, to: number): Promise<Float32Array>;
  readMetaRows(track: string, from: number, to: number): Promise<MetaRows>;
  /** Releases file handles. */
  close(): Promise<void>;
}

export function checkStepRange(plan: DatasetPlan, from: number, to: number): void {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to < from || to > plan.steps) {
    throw new AppError("BAD_INPUT", `dataset ${plan.name}: step range [${from}, ${to}) is outside 0..${plan.steps}`);
  }
}

/** Per-source value statistics from {@link scanSource}. */
export interface SourceStats {
  min: number;
  max: number;
  mean: number;
  std: number;
  count: number;
}

/**
 * Counts the NaN/Inf values its caller finds while rows stream by and remembers the first
 * positions; {@link FiniteCheck.finish} throws BAD_INPUT if any were seen.
 */
export class FiniteCheck {
  count = 0;
  readonly first: Array<[t: number, cell: number]> = [];
  constructor(
    private readonly label: string,
    private readonly cells: number,
    private readonly keep = 5,
  ) {}

  /** Records a NaN/Inf at value `i` of rows starting at step `from` (the caller tests: `v - v !== 0`). */
  found(from: number, i: number): void {
    this.count++;
    if (this.first.length < this.keep) this.first.push([from + Math.floor(i / this.cells), i % this.cells]);
  }

  finish(): void {
    if (this.count === 0) return;
    const at = this.first.map(([t, c]) => `(t=${t}, cell=${c})`).join(", ");
    throw new AppError("BAD_INPUT", `${this.label}: ${this.count} NaN/Inf value${this.count === 1 ? "" : "s"}, first at ${at}`);
  }
}

export interface ScanOptions {
  /** Rows per read (default: about 64 MiB of float32). */
  chunkRows?: number;
  signal?: AbortSignal;
  /** Sees every slice in order (e.g. to store it); awaited before the next read. */
  onChunk?: (from: number, to: number, rows: Float32Array) => void | Promise<void>;
  /** Called after each slice with steps done. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Streams a whole source (steps [0, plan.steps)) slice by slice, computing
 * min/max/mean/std, and rejects NaN/Inf with their count and first positions
 * (thrown after the last slice, so the count is complete).
 */
export async function scanSource(reader: DatasetReader, source: string, opts: ScanOptions = {}): Promise<SourceStats> {
  const plan = reader.plan;
  const src = plan.sources.find((s) => s.name === source);
  if (!src) throw new AppError("BAD_INPUT", `dataset ${plan.name}: no source named ${JSON.stringify(source)}`);
  const chunk = Math.max(1, Math.floor(opts.chunkRows ?? recommendedChunkRows(src.cells)));
  const check = new FiniteCheck(`${src.file}${src.dataset ? `::${src.dataset}` : ""} (source ${src.name})`, src.cells);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSq = 0;
  let count = 0;
  for (let from = 0; from < plan.steps; from += chunk) {
    opts.signal?.throwIfAborted();
    const to = Math.min(plan.steps, from + chunk);
    const rows = await reader.readSourceRows(source, from, to);
    let s = 0;
    let sq = 0;
    // one pass for the check and the statistics (a 1M × 650 source is 650M values)
    for (let i = 0; i < rows.length; i++) {
      const v = rows[i]!;
      if (v - v !== 0) {
        check.found(from, i);
        continue;
      }
      if (v < min) min = v;
      if (v > max) max = v;
      s += v;
      sq += v * v;
      count++;
    }
    sum += s;
    sumSq += sq;
    await opts.onChunk?.(from, to, rows);
    opts.onProgress?.(to, plan.steps);
  }
  check.finish();
  const mean = count ? sum / count : 0;
  // population std: sqrt(E[x²] - E[x]²), clamped against rounding below zero
  const std = count ? Math.sqrt(Math.max(0, sumSq / count - mean * mean)) : 0;
  return { min: count ? min : 0, max: count ? max : 0, mean, std, count };
}
