/**
 * A published finding's snapshot: everything its page, figures and exports are rendered from,
 * so they never read the dataset again. The JSON document is stored as published (bytes); the
 * state windows travel beside it as one float32 buffer ({@link packStates}).
 *
 * Size is bounded by construction: a window of at most {@link SNAPSHOT_MAX_STEPS} steps around
 * the brush (all cells of each layer, at most {@link SNAPSHOT_MAX_STATE_BYTES} in total), the
 * tracks over that window, and the top-K match rows with their context (K ≤ {@link SNAPSHOT_MAX_ROWS}).
 */
import type { DiscreteEvidence, LabelEvidence, ScalarEvidence } from "../analysis/evidence";
import type { Transform } from "../matching/matrix";

/**
 * Version of the snapshot document. Readers accept every version up to this one; a stored
 * snapshot keeps its format and its bytes. 2: the match carries its evidence on every track.
 */
export const SNAPSHOT_FORMAT = 2;
/** Longest window of steps a snapshot holds (brush, padding and context included). */
export const SNAPSHOT_MAX_STEPS = 256;
/** Steps after the brush (and its right padding) a snapshot keeps, window size permitting. */
export const SNAPSHOT_CONTEXT_AFTER = 96;
/** Steps before the brush's left padding: LSTMVis shows 3 tokens before the position. */
export const SNAPSHOT_CONTEXT_BEFORE = 3;
/** Upper bound of the state windows of all layers together (float32 bytes). */
export const SNAPSHOT_MAX_STATE_BYTES = 8 * 1024 * 1024;
/** Match rows kept (the Match view shows 50). */
export const SNAPSHOT_MAX_ROWS = 50;

export interface SnapshotAuthor {
  name: string;
  /** A member of the workspace when published (else a name typed in). */
  member: boolean;
}

export interface SnapshotDataset {
  name: string;
  /** Plain text (HTML from an LSTMVis project is reduced to text when published). */
  description: string;
  citation: string;
  /** SHA-256 of the dataset's stored content: which data this is, whatever it is called. */
  contentHash: string;
  steps: number;
  /** Text between tokens ("" for character-level data). */
  separator: string;
}

/** One line plot of the Select view: a source with its own threshold and selection. */
export interface SnapshotLayer {
  source: string;
  type: string | null;
  layer: number | null;
  transform: Transform;
  /** Cells of the source (columns of this layer's state window). */
  cells: number;
  /** Raw value range of the whole source (the plot's y domain comes from it, as in the app). */
  min: number;
  max: number;
  threshold: number;
  /** The final selection (rule + hand edits), ascending. */
  selected: number[];
  added: number[];
  excluded: number[];
}

export type SnapshotTrackKind = "discrete" | "scalar" | "wordvec";

/** A meta track over the window (values: `width` per step, row-major). */
export interface SnapshotTrack {
  name: string;
  kind: SnapshotTrackKind;
  width: number;
  /** [id, label] of discrete/wordvec ids that have one. */
  labels: [number, string][] | null;
  /** [id, colour] of discrete ids with their own colour (annotation categories). */
  colors: [number, string][] | null;
  range: [number, number] | null;
  values: number[];
  weights: number[] | null;
  /** Words of wordvec ids that are token ids (no labels of their own). */
  words: [number, string][] | null;
}

/** One match result with its context columns [from, from + tokens.length). */
export interface SnapshotMatchRow {
  pos: number;
  length: number;
  I: number;
  U: number;
  from: number;
  /** One per column; null outside the dataset. */
  tokens: (string | null)[];
  /** Selected cells on per column (the "match count" heatmap); null outside the dataset. */
  counts: (number | null)[];
  /** Per heatmap track (SnapshotMatch.tracks order), one value per column. */
  tracks: (number | null)[][];
}

/**
 * Evidence of the match results on one discrete or scalar track of the dataset (issue 16), as the
 * analysis service computes it for the results' ranges: labels' shares against their base rates,
 * or a scalar's mean inside the matches against its mean overall. Labels are named, not numbered.
 */
export type SnapshotEvidence =
  | (Omit<DiscreteEvidence, "labels"> & { track: string; labels: (Omit<LabelEvidence, "id"> & { label: string })[] })
  | (ScalarEvidence & { track: string });

export interface SnapshotMatch {
  /** Index into `layers` of the layer the query ran on. */
  layer: number;
  mode: "fast" | "precise";
  /** 0 = any length ≥ 2. */
  length: number;
  k: number;
  before: number;
  after: number;
  cells: number[];
  threshold: number;
  padLeft: number;
  padRight: number;
  /** Discrete and scalar tracks shown as heatmaps beside the results. */
  tracks: string[];
  rows: SnapshotMatchRow[];
  histograms: { all: Record<string, number>; strict: Record<string, number> };
  /** Format ≥ 2: the results' evidence on every discrete and scalar track (absent in format 1). */
  evidence?: SnapshotEvidence[];
}

export interface FindingSnapshot {
  format: number;
  title: string;
  /** Markdown; rendered with raw HTML disabled. */
  abstract: string;
  authors: SnapshotAuthor[];
  dataset: SnapshotDataset;
  /** The pinned steps [from, to) and their tokens. */
  window: { from: number; to: number; tokens: string[] };
  /** Brushed range [from, to) (absolute steps) and the must-be-off padding. */
  brush: [number, number];
  pad: [number, number];
  layers: SnapshotLayer[];
  tracks: SnapshotTrack[];
  match: SnapshotMatch | null;
}

/** A snapshot with its state windows decoded: what the renderer takes. */
export interface FindingData {
  snapshot: FindingSnapshot;
  /** Per layer: (window.to − window.from) × layer.cells raw values, row-major. */
  states: Float32Array[];
}

/** Bytes of the state windows of a snapshot's layers. */
export function stateBytes(s: Pick<FindingSnapshot, "window" | "layers">): number {
  const steps = s.window.to - s.window.from;
  return s.layers.reduce((a, l) => a + steps * l.cells * 4, 0);
}

/** The layers' windows as one little-endian float32 buffer (layer after layer). */
export function packStates(windows: readonly Float32Array[]): Uint8Array {
  const total = windows.reduce((a, w) => a + w.length, 0);
  const out = new Uint8Array(total * 4);
  const view = new DataView(out.buffer);
  let o = 0;
  for (const w of windows) for (let i = 0; i < w.length; i++, o += 4) view.setFloat32(o, w[i]!, true);
  return out;
}

/** Inverse of {@link packStates} for a snapshot's layers; throws when the sizes disagree. */
export function unpackStates(s: Pick<FindingSnapshot, "window" | "layers">, bytes: Uint8Array): Float32Array[] {
  const expected = stateBytes(s);
  if (bytes.length !== expected) throw new RangeError(`snapshot states: ${bytes.length} bytes, the layers need ${expected}`);
  const steps = s.window.to - s.window.from;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Float32Array[] = [];
  let o = 0;
  for (const l of s.layers) {
    const w = new Float32Array(steps * l.cells);
    for (let i = 0; i < w.length; i++, o += 4) w[i] = view.getFloat32(o, true);
    out.push(w);
  }
  return out;
}

/**
 * The window a snapshot pins for a brush: 3 steps before the left padding, and after the right
 * padding up to {@link SNAPSHOT_CONTEXT_AFTER} steps, at most {@link SNAPSHOT_MAX_STEPS} in all
 * and fewer when `cellsTotal` (all layers' cells) would exceed the state budget. Null when the
 * brush and its padding alone do not fit.
 */
export function snapshotWindow(brush: readonly [number, number], pad: readonly [number, number], steps: number, cellsTotal: number): [number, number] | null {
  const from = Math.max(0, brush[0] - pad[0] - SNAPSHOT_CONTEXT_BEFORE);
  const need = Math.min(steps, brush[1] + pad[1]) - from;
  const budget = Math.min(SNAPSHOT_MAX_STEPS, Math.floor(SNAPSHOT_MAX_STATE_BYTES / (4 * Math.max(1, cellsTotal))));
  if (need > budget) return null;
  const to = Math.min(steps, from + budget, brush[1] + pad[1] + SNAPSHOT_CONTEXT_AFTER);
  return [from, Math.max(to, from + need)];
}
