/**
 * `match:index`: persists the on/off bit index of a source at one threshold, queued by a match
 * query that was answered from the floats (server/services/matching/matches.ts). The build runs
 * under the (source, threshold) advisory lock and does nothing when the index exists, so a
 * repeated or concurrent job never builds it twice. A dataset gone meanwhile ends the job.
 * It also writes the source's cell-major copy when missing (a dataset imported before copies
 * existed, or whose `match:columns` job has not run): later fast queries at new thresholds read it.
 */
import type { Logger } from "graphile-worker";
import { isAppError } from "@statescope/core";
import type { Db } from "@/server/db/client";
import type { JobPayload } from "@/server/jobs/define";
import type { MATCH_INDEX_JOB } from "@/server/jobs/match";
import { findSource } from "@/server/services/datasets/datasets";
import type { MatchEngine } from "@/server/services/matching/engine";
import { ensureColumnCopy } from "./match-columns";

export async function runMatchIndexJob(db: Db, engine: MatchEngine, payload: JobPayload<typeof MATCH_INDEX_JOB>, logger: Logger): Promise<void> {
  const tag = `bit index of ${payload.datasetId}/${payload.source} at ${Number(payload.threshold.toPrecision(7))}`;
  try {
    const src = await findSource(db, payload.workspaceId, payload.datasetId, payload.source);
    const t0 = performance.now();
    const { built } = await engine.buildPersisted(db, src, payload.threshold);
    logger.info(built ? `${tag}: built in ${Math.round(performance.now() - t0)} ms` : `${tag}: exists`);
    await ensureColumnCopy(db, engine, src, logger);
  } catch (e) {
    if (isAppError(e) && !e.retryable) {
      logger.info(`${tag}: not built: ${e.message}`);
      return;
    }
    throw e;
  }
}
