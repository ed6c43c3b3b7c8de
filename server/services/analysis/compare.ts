/**
 * Comparing two sources of a dataset (see packages/core analysis/compare): the top correlated cell
 * pairs, found on a sample of steps and recomputed exactly, and one cell's partners (exact r with
 * every cell of the other source).
 */
import { AppError, mulberry32, partnersOf, topPairs } from "@statescope/core";
import type { Db } from "@/server/db/client";
import type { AnalysisEngine, AnalysisSource, Progress } from "./engine";
import type { CompareResult, PartnersResult } from "./schemas";

/** Steps in the sample that ranks all pairs (the standard error of a sample r is ≤ 1/√n ≈ 0.016). */
export const COMPARE_SAMPLE_STEPS = 4096;
/** At most this many pairs are recomputed exactly (≈ 1 ms each at 1M steps). */
const MAX_EXACT_PAIRS = 5000;

export function checkSameSteps(a: AnalysisSource, b: AnalysisSource): void {
  if (a.steps !== b.steps) throw new AppError("BAD_INPUT", `dataset ${a.datasetId}: sources ${a.name} (${a.steps} steps) and ${b.name} (${b.steps} steps) do not cover the same steps`);
}

export async function computeCompare(db: Db, engine: AnalysisEngine, a: AnalysisSource, b: AnalysisSource, top: number, progress: Progress): Promise<{ result: CompareResult; prepareMs: number }> {
  checkSameSteps(a, b);
  const pa = await engine.prepared(db, a, { ranks: false, progress: (ph, f) => progress(`${a.name}: ${ph}`, 0.4 * f) });
  const pb = a.id === b.id ? pa : await engine.prepared(db, b, { ranks: false, progress: (ph, f) => progress(`${b.name}: ${ph}`, 0.4 + 0.4 * f) });
  await progress("correlating all pairs on a sample, then the top pairs exactly", 0.8);
  // seeded from the query, so a repeated comparison samples the same steps
  const r = topPairs(pa.prep, pb.prep, { top, sampleSteps: COMPARE_SAMPLE_STEPS, maxExact: MAX_EXACT_PAIRS, rand: mulberry32(a.steps ^ (a.cells * 7919) ^ (b.cells * 104729)), same: a.id === b.id });
  return {
    result: { sourceA: a.name, sourceB: b.name, pairs: r.pairs, sampleSteps: r.sampleSteps, exactPairs: r.exactPairs, margin: r.margin, maxError: r.maxError, meanError: r.meanError, maxZ: r.maxZ, truncated: r.truncated },
    prepareMs: pa.prepareMs + (a.id === b.id ? 0 : pb.prepareMs),
  };
}

/** |r|, undefined (null) last. */
const strength = (r: number | null) => (r === null ? -1 : Math.abs(r));

export async function computePartners(db: Db, engine: AnalysisEngine, src: AnalysisSource, other: AnalysisSource, cell: number, progress: Progress): Promise<{ result: PartnersResult; prepareMs: number }> {
  checkSameSteps(src, other);
  if (cell >= src.cells) throw new AppError("BAD_INPUT", `dataset ${src.datasetId}: source ${src.name} has ${src.cells} cells, the request named cell ${cell}`);
  const pa = await engine.prepared(db, src, { ranks: false, progress: (ph, f) => progress(`${src.name}: ${ph}`, 0.45 * f) });
  const pb = src.id === other.id ? pa : await engine.prepared(db, other, { ranks: false, progress: (ph, f) => progress(`${other.name}: ${ph}`, 0.45 + 0.45 * f) });
  await progress("correlating", 0.9);
  const rs = partnersOf(pa.prep, cell, pb.prep);
  const partners = Array.from(rs, (r, c) => ({ cell: c, r: Number.isFinite(r) ? r : null }))
    .filter((p) => src.id !== other.id || p.cell !== cell)
    .sort((x, y) => strength(y.r) - strength(x.r) || x.cell - y.cell);
  return { result: { source: src.name, cell, other: other.name, partners }, prepareMs: pa.prepareMs + (src.id === other.id ? 0 : pb.prepareMs) };
}
