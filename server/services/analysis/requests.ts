/**
 * The analysis use cases as the web app and the CLI ask for them: each request is validated
 * against the dataset (so a bad one fails at once, not in a job), turned into its canonical query
 * and key, and answered from the stored result when it ran before; otherwise one job per key is
 * queued and the caller polls {@link analysisStatus} for its progress and result.
 */
import { AppError } from "@statescope/core";
import type { Db } from "@/server/db/client";
import { findSource } from "@/server/services/datasets/datasets";
import { ANALYSIS_JOB } from "@/server/jobs/analysis";
import { enqueue } from "@/server/jobs/enqueue";
import { parseInput } from "@/server/services/validate";
import { checkSameSteps } from "./compare";
import { checkGuide } from "./guide";
import {
  analysisKey,
  ZAnalysisStatus,
  ZCellSearchInput,
  ZCellSearchResult,
  ZCompareInput,
  ZCompareResult,
  ZGuideInput,
  ZGuideResult,
  ZPartnersInput,
  ZPartnersResult,
  type AnalysisKind,
  type AnalysisQuery,
  type AnalysisStatus,
  type CellSearchInput,
  type CompareInput,
  type GuideInput,
  type PartnersInput,
} from "./schemas";
import { describeTrack, labelIds } from "./tracks";

export type AnalysisRequest =
  | { kind: "cells"; input: CellSearchInput }
  | { kind: "guide"; input: GuideInput }
  | { kind: "compare"; input: CompareInput }
  | { kind: "partners"; input: PartnersInput };

/** The canonical query of a request, checked against the dataset (workspaceId null: the CLI). */
export async function canonicalAnalysis(db: Db, workspaceId: string | null, req: AnalysisRequest): Promise<AnalysisQuery> {
  switch (req.kind) {
    case "cells": {
      const input = parseInput(ZCellSearchInput, req.input, "cell search");
      const src = await findSource(db, workspaceId, input.datasetId, input.source);
      const d = await describeTrack(db, src.datasetId, input.track);
      const label = input.label ?? null;
      if (d.kind === "discrete") {
        if (label === null) throw new AppError("BAD_INPUT", `track ${JSON.stringify(input.track)} is discrete: name the label to compare against the rest (labels: ${d.labels!.map((l) => JSON.stringify(l.label)).join(", ")})`);
        labelIds({ name: input.track, labels: d.labels! }, label);
      } else if (label !== null) throw new AppError("BAD_INPUT", `track ${JSON.stringify(input.track)} is scalar: leave out the label`);
      return { kind: "cells", query: { datasetId: src.datasetId, source: src.name, track: input.track, label, trackVersion: d.version } };
    }
    case "guide": {
      const input = parseInput(ZGuideInput, req.input, "threshold guidance request");
      const src = await findSource(db, workspaceId, input.datasetId, input.source);
      const query = { datasetId: src.datasetId, source: src.name, cells: [...new Set(input.cells)].sort((a, b) => a - b), brush: input.brush, pad: input.pad };
      checkGuide(src, query);
      return { kind: "guide", query };
    }
    case "compare": {
      const input = parseInput(ZCompareInput, req.input, "layer comparison");
      const [a, b] = await Promise.all([findSource(db, workspaceId, input.datasetId, input.sourceA), findSource(db, workspaceId, input.datasetId, input.sourceB)]);
      checkSameSteps(a, b);
      return { kind: "compare", query: { datasetId: a.datasetId, sourceA: a.name, sourceB: b.name, top: input.top } };
    }
    case "partners": {
      const input = parseInput(ZPartnersInput, req.input, "partners request");
      const [a, b] = await Promise.all([findSource(db, workspaceId, input.datasetId, input.source), findSource(db, workspaceId, input.datasetId, input.other)]);
      checkSameSteps(a, b);
      if (input.cell >= a.cells) throw new AppError("BAD_INPUT", `dataset ${a.datasetId}: source ${a.name} has ${a.cells} cells, the request named cell ${input.cell}`);
      return { kind: "partners", query: { datasetId: a.datasetId, source: a.name, cell: input.cell, other: b.name } };
    }
  }
}

/** How long a threshold-guidance result is kept (a repeated selection within it is answered at once). */
const GUIDE_KEEP_MS = 24 * 3600 * 1000;

const RESULT_SCHEMAS = { cells: ZCellSearchResult, guide: ZGuideResult, compare: ZCompareResult, partners: ZPartnersResult } as const;

async function statusOf(db: Db, key: string): Promise<AnalysisStatus | null> {
  const row = await db.analysisResult.findUnique({ where: { key }, select: { key: true, kind: true, status: true, phase: true, percent: true, error: true, result: true } });
  if (!row) return null;
  const kind = row.kind as AnalysisKind;
  const result = row.status === "done" && row.result !== null ? RESULT_SCHEMAS[kind].parse(row.result) : null;
  return ZAnalysisStatus.parse({ key: row.key, kind, status: row.status, phase: row.phase, percent: row.percent, error: row.error, result });
}

/**
 * Answer from the store, or queue the job (one per key: concurrent askers share it) and answer with
 * its progress. The row and its job are written in one transaction, so a row that says "running"
 * always has a job that will run it.
 */
export async function requestAnalysis(db: Db, workspaceId: string, req: AnalysisRequest): Promise<AnalysisStatus> {
  const a = await canonicalAnalysis(db, workspaceId, req);
  const key = analysisKey(a);
  await db.$transaction(async (tx) => {
    // guidance follows every selection a person makes while exploring: its rows are kept for a day
    if (a.kind === "guide") await tx.analysisResult.deleteMany({ where: { datasetId: a.query.datasetId, kind: "guide", updatedAt: { lt: new Date(Date.now() - GUIDE_KEEP_MS) } } });
    await tx.analysisResult.createMany({ data: [{ key, datasetId: a.query.datasetId, kind: a.kind, query: a.query }], skipDuplicates: true });
    const row = await tx.analysisResult.findUniqueOrThrow({ where: { key }, select: { status: true } });
    if (row.status === "done") return;
    // a failed run is tried again when asked again (it may have been a lost connection)
    if (row.status === "failed") await tx.analysisResult.update({ where: { key }, data: { status: "running", phase: "queued", percent: 0, error: null } });
    await enqueue(ANALYSIS_JOB, { key, analysis: a, workspaceId }, { tx, jobKey: `analysis:${key}`, jobKeyMode: "preserve_run_at", maxAttempts: 3 });
  });
  return (await statusOf(db, key))!;
}

/** Progress or result of a requested analysis of this workspace. */
export async function analysisStatus(db: Db, workspaceId: string, key: string): Promise<AnalysisStatus> {
  const row = await db.analysisResult.findUnique({ where: { key }, select: { dataset: { select: { workspaceId: true } } } });
  if (!row || row.dataset.workspaceId !== workspaceId) throw new AppError("NOT_FOUND", "no such analysis in this workspace");
  return (await statusOf(db, key))!;
}
