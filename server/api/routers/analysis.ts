import { z } from "zod";
import { matchEvidence } from "@/server/services/analysis/evidence";
import { analysisStatus, requestAnalysis } from "@/server/services/analysis/requests";
import { ZAnalysisKey, ZAnalysisStatus, ZCellSearchInput, ZCompareInput, ZEvidence, ZEvidenceInput, ZGuideInput, ZPartnersInput } from "@/server/services/analysis/schemas";
import { router, workspaceProcedure } from "../trpc";

/**
 * Analysis (issue 16). Each request answers from the stored result or queues a worker job and
 * answers with its progress; clients poll `status` with the returned key.
 */
export const analysisRouter = router({
  /** Rank every cell of a source by its association with a track (a label against the rest, or a scalar). */
  cells: workspaceProcedure("VIEWER")
    .input(ZCellSearchInput)
    .output(ZAnalysisStatus)
    .mutation(({ ctx, input }) => requestAnalysis(ctx.db, ctx.access.workspace.id, { kind: "cells", input })),

  /** Threshold guidance for a brush and a selection. */
  guide: workspaceProcedure("VIEWER")
    .input(ZGuideInput)
    .output(ZAnalysisStatus)
    .mutation(({ ctx, input }) => requestAnalysis(ctx.db, ctx.access.workspace.id, { kind: "guide", input })),

  /** The most correlated cell pairs of two sources. */
  compare: workspaceProcedure("VIEWER")
    .input(ZCompareInput)
    .output(ZAnalysisStatus)
    .mutation(({ ctx, input }) => requestAnalysis(ctx.db, ctx.access.workspace.id, { kind: "compare", input })),

  /** One cell's correlation with every cell of another (or the same) source. */
  partners: workspaceProcedure("VIEWER")
    .input(ZPartnersInput)
    .output(ZAnalysisStatus)
    .mutation(({ ctx, input }) => requestAnalysis(ctx.db, ctx.access.workspace.id, { kind: "partners", input })),

  /** Progress, then the result, of a requested analysis. */
  status: workspaceProcedure("VIEWER")
    .input(z.object({ key: ZAnalysisKey }))
    .output(ZAnalysisStatus)
    .query(({ ctx, input }) => analysisStatus(ctx.db, ctx.access.workspace.id, input.key)),

  /**
   * Evidence for a match: label shares vs base rates (lift), or a scalar's mean inside vs overall.
   * A mutation (POST) only because up to K = 500 ranges do not fit a GET's URL; it changes nothing.
   */
  evidence: workspaceProcedure("VIEWER")
    .input(ZEvidenceInput)
    .output(ZEvidence)
    .mutation(({ ctx, input }) => matchEvidence(ctx.db, ctx.access.workspace.id, input)),
});
