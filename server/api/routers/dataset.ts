import { z } from "zod";
import * as datasets from "@/server/services/datasets/datasets";
import {
  ZDatasetDetail,
  ZDatasetId,
  ZDatasetListItem,
  ZImportProgress,
  ZSearchInput,
  ZSearchOutput,
  ZStatesInput,
  ZStatesOutput,
  ZTokensInput,
  ZTokensOutput,
} from "@/server/services/datasets/schemas";
import { readMetaEncoded } from "@/server/services/datasets/meta-window";
import { ZMetaWindowInput, ZMetaWindowOutput, ZWindowsInput, ZWindowsOutput } from "@/server/services/datasets/schemas-meta";
import { readWindows } from "@/server/services/datasets/windows";
import { audienceOf } from "@/server/services/authz";
import { router, workspaceProcedure } from "../trpc";

const ZDatasetRef = z.object({ datasetId: ZDatasetId });

export const datasetRouter = router({
  list: workspaceProcedure("VIEWER")
    .output(z.array(ZDatasetListItem))
    .query(({ ctx }) => datasets.listDatasets(ctx.db, ctx.access.workspace.id)),

  get: workspaceProcedure("VIEWER")
    .input(ZDatasetRef)
    .output(ZDatasetDetail)
    .query(({ ctx, input }) => datasets.getDataset(ctx.db, ctx.access.workspace.id, input.datasetId, audienceOf(ctx.access))),

  tokens: workspaceProcedure("VIEWER")
    .input(ZTokensInput)
    .output(ZTokensOutput)
    .query(({ ctx, input }) => datasets.readTokens(ctx.db, ctx.access.workspace.id, input)),

  search: workspaceProcedure("VIEWER")
    .input(ZSearchInput)
    .output(ZSearchOutput)
    .query(({ ctx, input }) => datasets.searchTokens(ctx.db, ctx.access.workspace.id, input)),

  states: workspaceProcedure("VIEWER")
    .input(ZStatesInput)
    .output(ZStatesOutput)
    .query(({ ctx, input }) => datasets.readStatesEncoded(ctx.db, ctx.access.workspace.id, input)),

  // issue 5 (explorer): meta track rows by range
  meta: workspaceProcedure("VIEWER")
    .input(ZMetaWindowInput)
    .output(ZMetaWindowOutput)
    .query(({ ctx, input }) => readMetaEncoded(ctx.db, ctx.access.workspace.id, input, audienceOf(ctx.access))),

  // the Match view's result rows: tokens, selected cells and tracks of many ranges in one request
  windows: workspaceProcedure("VIEWER")
    .input(ZWindowsInput)
    .output(ZWindowsOutput)
    .query(({ ctx, input }) => readWindows(ctx.db, ctx.access.workspace.id, input, audienceOf(ctx.access))),

  importProgress: workspaceProcedure("VIEWER")
    .input(ZDatasetRef)
    .output(ZImportProgress)
    .query(({ ctx, input }) => datasets.importProgress(ctx.db, ctx.access.workspace.id, input.datasetId)),

  cancelImport: workspaceProcedure("EDITOR")
    .input(ZDatasetRef)
    .output(ZImportProgress)
    .mutation(({ ctx, input }) => datasets.cancelImport(ctx.db, ctx.access.workspace.id, input.datasetId)),

  /** CONFLICT naming the dataset's published findings unless `confirmFindings` (they stay published). */
  delete: workspaceProcedure("EDITOR")
    .input(ZDatasetRef.extend({ confirmFindings: z.boolean().default(false) }))
    .output(z.void())
    .mutation(({ ctx, input }) => datasets.deleteDataset(ctx.db, ctx.access.workspace.id, ctx.access.role, input.datasetId, { confirmFindings: input.confirmFindings })),
});
