/**
 * Dataset jobs: imports (server/services/datasets) and model extractions (server/services/extract).
 * A bad upload or model never succeeds on a retry: the service marks the dataset FAILED with the
 * message and the job ends. Only a run that never ended (its worker was killed) is retried, from
 * nothing (writeDataset clears what the killed run wrote), up to DATASET_JOB_ATTEMPTS; when the
 * last attempt is killed too, the dataset turns FAILED with the reason (workers/tasks.ts).
 */
import { z } from "zod";
import { ZDatasetId, ZDatasetName } from "@/server/services/datasets/schemas";
import { ZDemoCorpus, ZExtractSettings } from "@/server/services/extract/schemas";
import { defineJob } from "./define";

export const DATASET_JOB_ATTEMPTS = 3;

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
