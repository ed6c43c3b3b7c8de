/**
 * Dataset jobs: imports (server/services/datasets) and model extractions (server/services/extract).
 * Both are enqueued with maxAttempts 1: a bad upload or model never succeeds on a retry, and the
 * service already marked the dataset FAILED with the message.
 */
import { z } from "zod";
import { ZDatasetId, ZDatasetName } from "@/server/services/datasets/schemas";
import { ZDemoCorpus, ZExtractSettings } from "@/server/services/extract/schemas";
import { defineJob } from "./define";

const ZDatasetOwner = z.object({
  datasetId: ZDatasetId,
  workspaceId: z.string().min(1).max(64),
  userId: z.string().min(1).max(64).nullable(),
});

/** Import an uploaded project archive/folder into a pending dataset. */
export const DATASET_IMPORT_JOB = defineJob(
  "dataset:import",
  ZDatasetOwner.extend({
    path: z.string().min(1).max(4096),
    name: ZDatasetName.optional(),
    /** Delete `path` when the import ends (uploads). */
    deleteAfter: z.boolean().default(false),
  }),
);

/**
 * Run a model over a text into a pending dataset. The weights, vocabulary and text are already
 * stored with the dataset (DatasetModel); the payload carries the settings.
 */
export const DATASET_EXTRACT_JOB = defineJob(
  "dataset:extract",
  ZDatasetOwner.extend({
    ...ZExtractSettings.shape,
    /** Demo corpus whose annotation tracks are added ("parens": depth; "c-code": lexer tracks). */
    demo: ZDemoCorpus.optional(),
  }),
);
