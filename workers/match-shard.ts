/**
 * `match:shard`: one time-range shard of a sharded match query, in one round
 * (server/services/matching/sharded.ts has the protocol). Errors that cannot
 * succeed on a retry, and failures of the last attempt, abandon the run and
 * signal the waiters; others are rethrown so graphile-worker retries.
 */
import type { Logger } from "graphile-worker";
import { isAppError } from "@statescope/core";
import type { Db } from "@/server/db/client";
import type { ShardJobPayload } from "@/server/jobs/match";
import type { MatchEngine } from "@/server/services/matching/engine";
import { abandonShardedMatch, runMatchShard } from "@/server/services/matching/sharded";

export async function runMatchShardJob(db: Db, engine: MatchEngine, payload: ShardJobPayload, job: { attempts: number; maxAttempts: number }, logger: Logger): Promise<void> {
  const tag = `match ${payload.key.slice(0, 12)} ${payload.round} shard ${payload.shard} [${payload.start}, ${payload.end})`;
  try {
    const outcome = await runMatchShard(db, engine, payload);
    logger.info(`${tag}: ${outcome}`);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const hopeless = isAppError(e) && !e.retryable;
    if (hopeless || job.attempts >= job.maxAttempts) {
      logger.error(`${tag} gives up the query: ${message}`);
      await abandonShardedMatch(db, payload, message);
      if (hopeless) return;
    }
    throw e;
  }
}
