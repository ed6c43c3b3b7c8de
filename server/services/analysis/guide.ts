/**
 * Threshold guidance for a brush and a selection (see packages/core analysis/guidance): the
 * selection rule's cell count and the selection's candidate ranges over a grid of thresholds, the
 * separation margin with its suggested threshold, and each selected cell's value distribution.
 * Runs in the worker, where the source's columns are kept; the client then follows a threshold
 * drag by looking points up in the returned curves.
 */
import {
  AppError,
  applyTransform,
  brushExtremes,
  candidateCurve,
  cellDistributions,
  gridHistograms,
  gridValue,
  ruleCurve,
  selectionFloor,
  separation,
} from "@statescope/core";
import { pgPool, type Db } from "@/server/db/client";
import { readStateWindow } from "@/server/storage/dataset-store";
import type { AnalysisEngine, AnalysisSource, Progress } from "./engine";
import { MAX_GUIDE_WINDOW, type GuideResult } from "./schemas";

export interface GuideQuery {
  datasetId: string;
  source: string;
  cells: number[];
  brush: [number, number];
  pad: [number, number];
}

/** Bins of each selected cell's distribution. */
const DISTRIBUTION_BINS = 40;

/** The request's brush and cells against the source (also checked before a job is queued). */
export function checkGuide(src: AnalysisSource, q: GuideQuery): void {
  const where = `dataset ${src.datasetId}: source ${src.name}`;
  const [b0, b1] = q.brush;
  if (b0 >= b1) throw new AppError("BAD_INPUT", `${where}: the brush start (${b0}) must be less than its end (${b1})`);
  if (b1 > src.steps) throw new AppError("BAD_INPUT", `${where} has ${src.steps} steps, the brush [${b0}, ${b1}) is outside`);
  const w = Math.min(src.steps, b1 + q.pad[1]) - Math.max(0, b0 - q.pad[0]);
  if (w > MAX_GUIDE_WINDOW) throw new AppError("TOO_LARGE", `${where}: the brush and its padding span ${w} steps, guidance reads at most ${MAX_GUIDE_WINDOW}`);
  for (const c of q.cells) if (c >= src.cells) throw new AppError("BAD_INPUT", `${where} has ${src.cells} cells, the request selected cell ${c}`);
}

export async function computeGuide(db: Db, engine: AnalysisEngine, src: AnalysisSource, q: GuideQuery, progress: Progress): Promise<{ result: GuideResult; prepareMs: number }> {
  checkGuide(src, q);
  const lo = Math.max(0, q.brush[0] - q.pad[0]);
  const hi = Math.min(src.steps, q.brush[1] + q.pad[1]);
  const raw = await readStateWindow(pgPool(db), src, lo, hi);
  const win = applyTransform({ data: raw, steps: hi - lo, cells: src.cells }, src.transform);
  const { values, cells, slots, prepareMs } = await engine.guideValues(db, src, q.cells, (ph, f) => progress(ph, 0.9 * f));
  await progress("computing the curves", 0.9);
  const g = slots.g;
  const candidates = candidateCurve(selectionFloor(values, cells), g);
  const picked = ruleCurve(brushExtremes({ data: win.data, from: lo, to: hi, cells: src.cells }, q.brush, q.pad), g);
  const h = gridHistograms(values, slots, cells, q.brush);
  const sep = separation(h, g);
  const dist = cellDistributions(h, g, DISTRIBUTION_BINS);
  return {
    result: {
      grid: g,
      candidates: Array.from(candidates),
      picked: Array.from(picked),
      margin: Array.from(sep.margin, (m) => Math.round(m * 1e6) / 1e6),
      suggested: gridValue(g, sep.best),
      edges: dist.edges,
      cells: q.cells.map((cell, i) => ({ cell, ...dist.cells[i]! })),
    },
    prepareMs,
  };
}
