/**
 * The `dataset:extract` job: runs the model stored with a pending dataset
 * over its stored text. Progress (with an ETA in the phase text) and the
 * cancel flag travel through the dataset row, like imports; client errors
 * are final (the service marked the dataset FAILED with the message).
 */
import { AppError, isAppError } from "@statescope/core";
import { pgPool, type Db } from "@/server/db/client";
import type { DATASET_EXTRACT_JOB } from "@/server/jobs/datasets";
import type { JobPayload } from "@/server/jobs/define";
import { DEMOS } from "@/server/services/extract/demo";
import { extractDataset, readDatasetModel } from "@/server/services/extract/extract";
import { queueColumnCopy } from "./match-columns";

interface Logger {
  info(message: string): void;
  error(message: string): void;
}

export async function runDatasetExtractJob(db: Db, payload: JobPayload<typeof DATASET_EXTRACT_JOB>, logger: Logger): Promise<void> {
  try {
    const stored = await readDatasetModel(pgPool(db), payload.datasetId);
    if (!stored) {
      const message = `dataset ${payload.datasetId}: no model is stored with it; upload the model again`;
      await db.dataset.updateMany({ where: { id: payload.datasetId, status: "IMPORTING" }, data: { status: "FAILED", error: message, phase: "failed" } });
      throw new AppError("NOT_FOUND", message);
    }
    const out = await extractDataset(db, {
      datasetId: payload.datasetId,
      workspaceId: payload.workspaceId,
      userId: payload.userId,
      name: payload.name,
      weights: stored.weights,
      weightsName: stored.weightsName,
      vocab: stored.vocab as unknown[] | Record<string, unknown>,
      text: stored.text,
      tokenizer: payload.tokenizer,
      ...(payload.arch ? { arch: payload.arch } : {}),
      ...(payload.prefixes ? { prefixes: payload.prefixes } : {}),
      unknown: payload.unknown,
      gates: payload.gates,
      ...(payload.demo ? { demo: payload.demo, tracks: DEMOS[payload.demo].tracks } : {}),
    });
    logger.info(`dataset ${out.datasetId} extracted: ${out.steps} steps, ${out.sources.length} source(s)`);
    await queueColumnCopy(db, out.datasetId, payload.workspaceId, logger);
  } catch (e) {
    if (isAppError(e) && !e.retryable) {
      logger.error(`dataset ${payload.datasetId}: ${e.message}`);
      return;
    }
    throw e;
  }
}
