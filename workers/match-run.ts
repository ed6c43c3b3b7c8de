/**
 * `match:run`: compute one match query, store it (one row per key, ON
 * CONFLICT DO NOTHING) and signal the waiting requests. Errors that cannot
 * succeed on a retry are signalled to the waiters and end the job; others
 * are rethrown so graphile-worker retries. A source longer than the
 * worker's shard budget is fanned out to `match:shard` jobs (./match-shard.ts).
 */
import type { Logger } from "graphile-worker";
import { isAppError } from "@statescope/core";
import { pgPool, type Db } from "@/server/db/client";
import type { JobPayload } from "@/server/jobs/define";
import type { MATCH_RUN_JOB } from "@/server/jobs/match";
import type { MatchEngine } from "@/server/services/matching/engine";
import { computeAndStore } from "@/server/services/matching/matches";
import { notifyMatch } from "@/server/services/matching/notifier";

export async function runMatchJob(db: Db, engine: MatchEngine, payload: JobPayload<typeof MATCH_RUN_JOB>, logger: Logger): Promise<void> {
  try {
    const outcome = await computeAndStore(db, engine, payload.workspaceId, payload.key, payload.query);
    logger.info(`match ${payload.key.slice(0, 12)} ${outcome} (cache ${(engine.cache.bytesUsed / 2 ** 20).toFixed(0)} MiB)`);
    // a sharded query is signalled by the shard job that merges it
    if (outcome !== "sharded") await notifyMatch(pgPool(db), payload.key);
  } catch (e) {
    if (isAppError(e) && !e.retryable) {
      logger.error(`match ${payload.key.slice(0, 12)} cannot succeed: ${e.message}`);
      await notifyMatch(pgPool(db), payload.key, e.message);
      return;
    }
    throw e;
  }
}
