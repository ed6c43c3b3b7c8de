/**
 * Evidence for a match (from cells to a track): for the returned results' ranges, each label's
 * share of the matched steps against its base rate over the source (lift), or a scalar track's
 * mean inside the matches against its mean overall. Definitions: packages/core analysis/evidence.
 * Reads the whole track (a few MB for 1M steps), so it answers directly, without a job.
 */
import { AppError, discreteEvidence, scalarEvidence } from "@statescope/core";
import type { Db } from "@/server/db/client";
import { findSource } from "@/server/services/datasets/datasets";
import { parseInput } from "@/server/services/validate";
import { ZEvidenceInput, type Evidence, type EvidenceInput } from "./schemas";
import { analysisTrackNames, readAnalysisTrack, type AnalysisTrack } from "./tracks";

/** Evidence of `ranges` on an already read track (the CLI's match and frozen hypotheses reuse the track). */
export function evidenceOf(track: AnalysisTrack, ranges: readonly { pos: number; length: number }[]): Evidence {
  if (track.kind === "discrete") {
    const e = discreteEvidence(track.values, track.labels.map((l) => l.id), ranges);
    return {
      kind: "discrete",
      track: track.name,
      matchedSteps: e.matchedSteps,
      matchedDefined: e.matchedDefined,
      definedSteps: e.definedSteps,
      labels: e.labels.map((l, i) => ({ label: track.labels[i]!.label, matched: l.matched, total: l.total, share: l.share, base: l.base, lift: l.lift })),
    };
  }
  const e = scalarEvidence(track.values, ranges);
  return { kind: "scalar", track: track.name, matchedSteps: e.matchedSteps, matchedDefined: e.matchedDefined, definedSteps: e.definedSteps, mean: e.mean, baseMean: e.baseMean, histogram: e.histogram };
}

/** Evidence for the ranges of a match on `source` (workspaceId null: the CLI, any workspace). */
export async function matchEvidence(db: Db, workspaceId: string | null, raw: EvidenceInput): Promise<Evidence> {
  const input = parseInput(ZEvidenceInput, raw, "evidence request");
  const src = await findSource(db, workspaceId, input.datasetId, input.source);
  for (const r of input.ranges) {
    if (r.pos + r.length > src.steps) throw new AppError("BAD_INPUT", `dataset ${src.datasetId}: source ${src.name} has ${src.steps} steps, the range [${r.pos}, ${r.pos + r.length}) is outside`);
  }
  const track = await readAnalysisTrack(db, src.datasetId, src.steps, input.track);
  return evidenceOf(track, input.ranges);
}

/** The evidence of a match's results on every discrete and scalar track of a dataset of the workspace (frozen with a hypothesis, published in a finding). */
export async function evidenceOnAllTracks(db: Db, workspaceId: string, datasetId: string, source: string, ranges: readonly { pos: number; length: number }[]): Promise<Evidence[]> {
  const src = await findSource(db, workspaceId, datasetId, source);
  const out: Evidence[] = [];
  for (const name of await analysisTrackNames(db, datasetId)) out.push(evidenceOf(await readAnalysisTrack(db, datasetId, src.steps, name), ranges));
  return out;
}
