/**
 * `analysis:run`: compute one analysis (cell search, threshold guidance, layer comparison, a
 * cell's partners) and store it in its row; the requesting clients poll the row. Sources stay
 * prepared in the worker's AnalysisEngine for the next query. Its sources are looked up within the
 * workspace the payload names; a payload naming another workspace's dataset ends the job (no retry).
 */
import type { Logger } from "graphile-worker";
import { isAppError } from "@statescope/core";
import type { Db } from "@/server/db/client";
import type { AnalysisJobPayload } from "@/server/jobs/analysis";
import type { AnalysisEngine } from "@/server/services/analysis/engine";
import { runAnalysis } from "@/server/services/analysis/run";

export async function runAnalysisJob(
  db: Db,
  engine: AnalysisEngine,
  payload: AnalysisJobPayload,
  job: { attempts: number; maxAttempts: number },
  logger: Logger,
): Promise<void> {
  let outcome: Awaited<ReturnType<typeof runAnalysis>>;
  try {
    outcome = await runAnalysis(db, engine, payload.workspaceId, payload.key, payload.analysis, { lastAttempt: job.attempts >= job.maxAttempts });
  } catch (e) {
    if (isAppError(e) && !e.retryable) {
      logger.error(`analysis ${payload.key.slice(0, 12)} cannot succeed: ${e.message}`);
      return;
    }
    throw e;
  }
  logger.info(`analysis ${payload.analysis.kind} ${payload.key.slice(0, 12)} ${outcome} (prepared sources ${(engine.cache.bytesUsed / 2 ** 20).toFixed(0)} MiB)`);
}
