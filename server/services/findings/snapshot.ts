/**
 * Builds a finding's snapshot from the live dataset: the pinned window of states (all cells of
 * each layer), its tokens and tracks, the selection, and the match results with their context
 * tokens and heatmap values. After this, nothing of the finding reads the dataset again.
 */
import {
  AppError,
  applyManualEdits,
  htmlToText,
  SNAPSHOT_CONTEXT_BEFORE,
  SNAPSHOT_FORMAT,
  SNAPSHOT_MAX_STATE_BYTES,
  SNAPSHOT_MAX_STEPS,
  selectCells,
  snapshotWindow,
  type FindingData,
  type FindingSnapshot,
  type SnapshotAuthor,
  type SnapshotLayer,
  type SnapshotMatch,
  type SnapshotTrack,
} from "@statescope/core";
import { z } from "zod";
import { pgPool, type Db } from "@/server/db/client";
import { evidenceOnAllTracks } from "@/server/services/analysis/evidence";
import { datasetContentHash } from "@/server/services/datasets/content-hash";
import { getDataset, readStates, readTokens } from "@/server/services/datasets/datasets";
import { readMetaEncoded } from "@/server/services/datasets/meta-window";
import type { TrackSummary } from "@/server/services/datasets/schemas";
import { canonicalQuery, type CanonicalQuery, type MatchResultOut } from "@/server/services/matching/schemas";
import { checkCells } from "@/server/services/records/common";
import type { ZFindingViewInput } from "./schemas";

/** Context columns of a match row: the Match view's defaults (3 before, 20 after). */
export const ROW_BEFORE = 3;
export const ROW_AFTER = 20;

/** Computes (or fetches) the results of a canonical match query. */
export type MatchRunner = (q: CanonicalQuery) => Promise<MatchResultOut>;

type View = z.output<typeof ZFindingViewInput>;

function decode(kind: "f32" | "i32", b64: string): number[] {
  const buf = Buffer.from(b64, "base64");
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = new Array<number>(buf.byteLength >> 2);
  for (let i = 0; i < out.length; i++) out[i] = kind === "f32" ? view.getFloat32(i * 4, true) : view.getInt32(i * 4, true);
  return out;
}

async function trackWindow(db: Db, workspaceId: string, datasetId: string, t: TrackSummary, from: number, to: number) {
  const w = await readMetaEncoded(db, workspaceId, { datasetId, track: t.name, from, to });
  return {
    values: decode(w.kind === "scalar" ? "f32" : "i32", w.data),
    weights: w.weights ? decode("f32", w.weights) : null,
    words: w.words ? w.words.map((x): [number, string] => [x.id, x.word]) : null,
  };
}

/**
 * The snapshot of `view` on dataset `datasetId` (READY, in the workspace). Errors name what
 * does not fit: a brush out of range, cells the source lacks, a window over the size bound.
 */
export async function buildSnapshot(
  db: Db,
  workspaceId: string,
  datasetId: string,
  view: View,
  text: { title: string; abstract: string; authors: SnapshotAuthor[] },
  runMatch: MatchRunner,
): Promise<FindingData> {
  const ds = await getDataset(db, workspaceId, datasetId);
  if (ds.status !== "READY") throw new AppError("CONFLICT", `dataset ${datasetId} is not ready (${ds.status.toLowerCase()}): publish once its import has finished`);
  const row = await db.dataset.findUniqueOrThrow({ where: { id: datasetId }, select: { citation: true, contentHash: true } });
  let contentHash = row.contentHash;
  if (!contentHash) {
    // datasets imported before content hashes existed get theirs on first publish
    contentHash = await datasetContentHash(pgPool(db), datasetId);
    await db.dataset.update({ where: { id: datasetId }, data: { contentHash } });
  }
  const where = `dataset ${datasetId}`;
  const [b0, b1] = view.brush;
  if (b0 >= b1) throw new AppError("BAD_INPUT", `${where}: the brush start (${b0}) must be less than its end (${b1}); the range is half-open [start, end)`);
  if (b1 > ds.steps) throw new AppError("BAD_INPUT", `${where}: the brush [${b0}, ${b1}) is out of range, the dataset has ${ds.steps} steps`);
  const sources = view.layers.map((l) => {
    const src = ds.sources.find((s) => s.name === l.source);
    if (!src) throw new AppError("BAD_INPUT", `${where} has no source ${JSON.stringify(l.source)} (sources: ${ds.sources.map((s) => s.name).join(", ")})`);
    return src;
  });
  const cellsTotal = sources.reduce((a, s) => a + s.cells, 0);
  const win = snapshotWindow(view.brush, view.pad, ds.steps, cellsTotal);
  if (!win) {
    const budget = Math.min(SNAPSHOT_MAX_STEPS, Math.floor(SNAPSHOT_MAX_STATE_BYTES / (4 * cellsTotal)));
    throw new AppError(
      "TOO_LARGE",
      `${where}: the brush [${b0}, ${b1}) with its padding and ${SNAPSHOT_CONTEXT_BEFORE} steps of context needs ${Math.min(ds.steps, b1 + view.pad[1]) - Math.max(0, b0 - view.pad[0] - SNAPSHOT_CONTEXT_BEFORE)} steps; a finding pins at most ${budget} steps of ${cellsTotal} cells: brush a shorter range${view.layers.length > 1 ? " or publish fewer layers" : ""}`,
    );
  }
  const [from, to] = win;
  const states: Float32Array[] = [];
  const layers: SnapshotLayer[] = [];
  for (let i = 0; i < view.layers.length; i++) {
    const l = view.layers[i]!;
    const src = sources[i]!;
    const w = await readStates(db, workspaceId, { datasetId, source: src.name, from, to }, SNAPSHOT_MAX_STEPS);
    const what = `${where}: source ${src.name}`;
    const added = checkCells(what, l.added, src.cells, "added cell");
    const excluded = checkCells(what, l.excluded, src.cells, "excluded cell");
    let selected: number[];
    if (l.cells) selected = checkCells(what, l.cells, src.cells);
    else {
      const lo = Math.max(from, b0 - view.pad[0]);
      const hi = Math.min(to, b1 + view.pad[1]);
      const m = { data: w.values.subarray((lo - from) * src.cells, (hi - from) * src.cells), steps: hi - lo, cells: src.cells };
      selected = applyManualEdits(selectCells(m, [b0 - lo, b1 - lo], l.threshold, view.pad, src.transform), added, excluded, src.cells);
    }
    states.push(w.values);
    layers.push({ source: src.name, type: src.type, layer: src.layer, transform: src.transform, cells: src.cells, min: src.min, max: src.max, threshold: l.threshold, selected, added, excluded });
  }

  const tokens = (await readTokens(db, workspaceId, { datasetId, from, to })).tokens;
  const tracks: SnapshotTrack[] = [];
  for (const t of ds.metaTracks) {
    const w = await trackWindow(db, workspaceId, datasetId, t, from, to);
    tracks.push({
      name: t.name,
      kind: t.kind,
      width: t.width,
      labels: t.labels ? t.labels.map((x): [number, string] => [x.id, x.label]) : null,
      colors: t.labels?.some((x) => x.color) ? t.labels.flatMap((x): [number, string][] => (x.color ? [[x.id, x.color]] : [])) : null,
      range: Array.isArray(t.range) ? t.range : t.kind === "scalar" ? extent(w.values) : null,
      values: w.values,
      weights: w.weights,
      words: w.words,
    });
  }

  let match: SnapshotMatch | null = null;
  const mv = view.match;
  if (mv) {
    if (mv.layer >= layers.length) throw new AppError("BAD_INPUT", `${where}: the match runs on layer ${mv.layer + 1}, the view has ${layers.length}`);
    const ml = layers[mv.layer]!;
    if (ml.selected.length > 0) {
      const q = canonicalQuery({
        datasetId,
        source: ml.source,
        cells: ml.selected,
        threshold: ml.threshold,
        padLeft: view.pad[0],
        padRight: view.pad[1],
        mode: mv.mode,
        length: mv.length,
        k: mv.k,
        before: ROW_BEFORE,
        after: ROW_AFTER,
      });
      const result = await runMatch(q);
      const hm = ds.metaTracks.filter((t) => t.kind !== "wordvec");
      const rows: SnapshotMatch["rows"] = [];
      for (const r of result.results) {
        const rf = r.pos - ROW_BEFORE;
        const a = Math.max(0, rf);
        const b = Math.min(ds.steps, rf + ROW_BEFORE + ROW_AFTER);
        const toks = (await readTokens(db, workspaceId, { datasetId, from: a, to: b })).tokens;
        const cols = ROW_BEFORE + ROW_AFTER;
        const rowTracks: (number | null)[][] = [];
        for (const t of hm) {
          const w = await trackWindow(db, workspaceId, datasetId, t, a, b);
          rowTracks.push(Array.from({ length: cols }, (_, c) => (rf + c >= a && rf + c < b ? (w.values[(rf + c - a) * t.width] ?? null) : null)));
        }
        rows.push({
          pos: r.pos,
          length: r.length,
          I: r.I,
          U: r.U,
          from: rf,
          tokens: Array.from({ length: cols }, (_, c) => (rf + c >= a && rf + c < b ? (toks[rf + c - a] ?? null) : null)),
          counts: Array.from({ length: cols }, (_, c) => r.counts[c] ?? null),
          tracks: rowTracks,
        });
      }
      match = {
        layer: mv.layer,
        mode: q.mode,
        length: q.length,
        k: q.k,
        before: ROW_BEFORE,
        after: ROW_AFTER,
        cells: q.cells,
        threshold: ml.threshold,
        padLeft: q.padLeft,
        padRight: q.padRight,
        tracks: hm.map((t) => t.name),
        rows,
        histograms: result.histograms,
        evidence: await evidenceOnAllTracks(db, workspaceId, datasetId, ml.source, result.results.map((r) => ({ pos: r.pos, length: r.length }))),
      };
    }
  }

  const snapshot: FindingSnapshot = {
    format: SNAPSHOT_FORMAT,
    title: text.title,
    abstract: text.abstract,
    authors: text.authors,
    dataset: { name: ds.name, description: htmlToText(ds.description), citation: row.citation, contentHash, steps: ds.steps, separator: ds.separator },
    window: { from, to, tokens },
    brush: [b0, b1],
    pad: [view.pad[0], view.pad[1]],
    layers,
    tracks,
    match,
  };
  return { snapshot, states };
}

function extent(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(lo <= hi)) return [0, 1];
  // a constant window still gets a range that places its value (0 lightest, as over [0, 1])
  return hi > lo ? [lo, hi] : [Math.min(0, lo), Math.max(1, hi)];
}
