/**
 * The `dataset:import` job: runs the import service on a pending dataset.
 * Progress and the cancel flag travel through the dataset row (the service
 * writes phase/percent every 250 ms and stops when `cancelRequested` is set).
 * Client errors (bad upload, cancel) are final: the service already marked
 * the dataset FAILED with the message, so the job ends without a retry. A
 * killed worker's attempt is retried from nothing (server/jobs/datasets.ts).
 */
import { rm } from "node:fs/promises";
import { isAppError } from "@statescope/core";
import type { Db } from "@/server/db/client";
import type { DATASET_IMPORT_JOB } from "@/server/jobs/datasets";
import type { JobPayload } from "@/server/jobs/define";
import { importDataset } from "@/server/services/datasets/import";
import { queueColumnCopy } from "./match-columns";

interface Logger {
  info(message: string): void;
  error(message: string): void;
}

export async function runDatasetImportJob(
  db: Db,
  payload: JobPayload<typeof DATASET_IMPORT_JOB>,
  job: { attempts: number; maxAttempts: number },
  logger: Logger,
): Promise<void> {
  // the upload stays until the import ends for good: a retry (after a killed worker) reads it again
  let ended = job.attempts >= job.maxAttempts;
  try {
    const out = await importDataset(db, {
      workspaceId: payload.workspaceId,
      userId: payload.userId,
      path: payload.path,
      datasetId: payload.datasetId,
      ...(payload.name ? { name: payload.name } : {}),
    });
    logger.info(`dataset ${out.datasetId} imported: ${out.steps} steps, ${out.sources.length} source(s)`);
    ended = true;
    await queueColumnCopy(db, out.datasetId, payload.workspaceId, logger);
  } catch (e) {
    if (isAppError(e) && !e.retryable) {
      logger.error(`dataset ${payload.datasetId}: ${e.message}`);
      ended = true;
      return;
    }
    // Unexpected: the dataset is FAILED already (a retry finds it so and ends); keep the error in the job log.
    throw e;
  } finally {
    if (payload.deleteAfter && ended) await rm(payload.path, { recursive: true, force: true }).catch(() => undefined);
  }
}
