/**
 * `match:columns`: writes the cell-major copy of each source of a dataset that this worker would
 * match from storage (server/storage/state-columns.ts), queued when an import or extraction is
 * READY. Sources small enough to be matched from floats kept in the cache get none. The copy of a
 * source is written under an advisory lock and skipped when it exists, so it happens once. A
 * dataset gone meanwhile ends the job.
 */
import type { Logger } from "graphile-worker";
import { isAppError } from "@statescope/core";
import type { Db } from "@/server/db/client";
import type { JobPayload } from "@/server/jobs/define";
import { enqueue } from "@/server/jobs/enqueue";
import { MATCH_COLUMNS_JOB } from "@/server/jobs/match";
import { findSource } from "@/server/services/datasets/datasets";
import type { MatchEngine } from "@/server/services/matching/engine";

/**
 * Queues `match:columns` for a dataset that just became READY (one queued job per dataset). A
 * failure is logged, not thrown: the dataset is READY, and `match:index` writes the copy later.
 */
export async function queueColumnCopy(db: Db, datasetId: string, workspaceId: string, logger: { error(message: string): void }): Promise<void> {
  await enqueue(MATCH_COLUMNS_JOB, { datasetId, workspaceId }, { db, jobKey: `match-columns:${datasetId}`, jobKeyMode: "preserve_run_at", maxAttempts: 3 }).catch((e: unknown) =>
    logger.error(`dataset ${datasetId}: could not queue its cell-major copy: ${e instanceof Error ? e.message : String(e)}`),
  );
}

/** Writes the copy of one source unless the engine keeps its floats decoded; logs what happened. */
export async function ensureColumnCopy(db: Db, engine: MatchEngine, src: Awaited<ReturnType<typeof findSource>>, logger: Pick<Logger, "info">): Promise<void> {
  const tag = `cell-major copy of ${src.datasetId}/${src.name}`;
  if (!engine.readsFromStorage(src)) return;
  const t0 = performance.now();
  const { built } = await engine.buildColumnCopy(db, src);
  logger.info(built ? `${tag}: written in ${Math.round(performance.now() - t0)} ms` : `${tag}: exists`);
}

export async function runMatchColumnsJob(db: Db, engine: MatchEngine, payload: JobPayload<typeof MATCH_COLUMNS_JOB>, logger: Logger): Promise<void> {
  try {
    const sources = await db.datasetSource.findMany({ where: { datasetId: payload.datasetId, dataset: { status: "READY" } }, select: { name: true }, orderBy: { ordinal: "asc" } });
    for (const { name } of sources) await ensureColumnCopy(db, engine, await findSource(db, payload.workspaceId, payload.datasetId, name), logger);
  } catch (e) {
    if (isAppError(e) && !e.retryable) {
      logger.info(`cell-major copy of ${payload.datasetId}: not written: ${e.message}`);
      return;
    }
    throw e;
  }
}
