import { z } from "zod";
import * as annotations from "@/server/services/records/annotations";
import {
  MAX_CSV_BYTES,
  ZAnnotation,
  ZAnnotationCreate,
  ZAnnotationList,
  ZAnnotationListOutput,
  ZCategory,
  ZCategoryCreate,
  ZCsvExport,
  ZCsvImport,
  ZCsvImportResult,
  ZRecordId,
} from "@/server/services/records/schemas";
import { ZDatasetId } from "@/server/services/datasets/schemas";
import { router, workspaceProcedure } from "../trpc";

const ZDatasetRef = z.object({ datasetId: ZDatasetId });

export const annotationRouter = router({
  /** Categories in creation order; `index` is the category's value in the "annotations" track. */
  categories: workspaceProcedure("VIEWER")
    .input(ZDatasetRef)
    .output(z.array(ZCategory))
    .query(({ ctx, input }) => annotations.listCategories(ctx.db, ctx.access.workspace.id, input.datasetId)),

  createCategory: workspaceProcedure("EDITOR")
    .input(ZCategoryCreate)
    .output(ZCategory)
    .mutation(({ ctx, input }) => annotations.createCategory(ctx.db, ctx.access.workspace.id, ctx.actor.userId, input)),

  /** Annotations overlapping [from, to) (all when omitted), by start. */
  list: workspaceProcedure("VIEWER")
    .input(ZAnnotationList)
    .output(ZAnnotationListOutput)
    .query(({ ctx, input }) => annotations.listAnnotations(ctx.db, ctx.access.workspace.id, input)),

  create: workspaceProcedure("EDITOR")
    .input(ZAnnotationCreate)
    .output(ZAnnotation)
    .mutation(({ ctx, input }) => annotations.createAnnotation(ctx.db, ctx.access.workspace.id, ctx.actor.userId, input)),

  /** Its author or a workspace OWNER. */
  delete: workspaceProcedure("EDITOR")
    .input(z.object({ id: ZRecordId }))
    .output(z.void())
    .mutation(({ ctx, input }) => annotations.deleteAnnotation(ctx.db, ctx.access.workspace.id, ctx.actor.userId, ctx.access.role, input.id)),

  /** CSV `start,end,category,note,author,color`. */
  exportCsv: workspaceProcedure("VIEWER")
    .input(ZDatasetRef)
    .output(ZCsvExport)
    .query(({ ctx, input }) => annotations.exportAnnotationsCsv(ctx.db, ctx.access.workspace.id, input.datasetId)),

  /** All rows or none; errors name line and column. */
  importCsv: workspaceProcedure("EDITOR")
    // the CSV travels as a JSON string: up to 3 UTF-8 bytes per character, plus escapes
    .meta({ auth: "workspace", maxBodyBytes: 4 * MAX_CSV_BYTES })
    .input(ZCsvImport)
    .output(ZCsvImportResult)
    .mutation(({ ctx, input }) => annotations.importAnnotationsCsv(ctx.db, ctx.access.workspace.id, ctx.actor.userId, input)),
});
