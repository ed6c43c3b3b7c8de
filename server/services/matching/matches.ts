/**
 * The match use case: answer from the result store when this exact query ran
 * before; otherwise queue one job per distinct query (graphile-worker job key
 * = result key, so concurrent askers share it) and wait for its notification.
 */
import { AppError, planMatch } from "@statescope/core";
import type { Db } from "@/server/db/client";
import { findSource } from "@/server/services/datasets/datasets";
import { enqueue } from "@/server/jobs/enqueue";
import { MATCH_RUN_JOB } from "@/server/jobs/match";
import type { MatchEngine } from "./engine";
import type { MatchNotifier } from "./notifier";
import { startShardedMatch } from "./sharded";
import { canonicalQuery, matchKey, ZMatchInput, ZMatchResult, type CanonicalQuery, type MatchInput, type MatchOutcome } from "./schemas";
import { parseInput } from "../validate";
import { spend, type Spend } from "../rate-limits";

export interface MatchServing {
  notifier: MatchNotifier;
  waitMs: number;
  /** Rate limits spent before a query that is not in the store is queued (the asker's job budget). */
  spendPerJob?: readonly Spend[];
}

type Done = Extract<MatchOutcome, { status: "done" }>;

async function stored(db: Db, key: string): Promise<Done | null> {
  const row = await db.matchResult.findUnique({ where: { key }, select: { result: true, computeMs: true } });
  if (!row) return null;
  return { status: "done", key, cached: true, computeMs: row.computeMs, result: ZMatchResult.parse(row.result) };
}

export async function runMatch(db: Db, workspaceId: string, raw: MatchInput, serving: MatchServing): Promise<MatchOutcome> {
  const input = parseInput(ZMatchInput, raw, "match query");
  const src = await findSource(db, workspaceId, input.datasetId, input.source);
  const q = canonicalQuery(input);
  // Validate against the source's shape here, so bad queries never reach the queue.
  planMatch(q, src.steps, src.cells);
  const key = matchKey(q);
  const sub = await serving.notifier.subscribe(key);
  try {
    const hit = await stored(db, key);
    if (hit) return hit;
    if (serving.spendPerJob) await spend(db, serving.spendPerJob);
    // The job key collapses concurrent askers onto one queued job. (If the job is already
    // running, graphile-worker queues a second one, which finds the stored row and only signals.)
    await enqueue(MATCH_RUN_JOB, { key, query: q }, { db, jobKey: `match:${key}`, jobKeyMode: "preserve_run_at", maxAttempts: 3 });
    const notified = await sub.wait(serving.waitMs);
    const now = await stored(db, key);
    if (now) return { ...now, cached: false };
    if (notified) throw new AppError("INTERNAL", "the match job finished without a result");
    return { status: "pending", key };
  } finally {
    sub.cancel();
  }
}

/** Long-poll for a result that was "pending". */
export async function matchResult(db: Db, workspaceId: string, key: string, serving: MatchServing): Promise<MatchOutcome> {
  const sub = await serving.notifier.subscribe(key);
  try {
    const hit = await db.matchResult.findUnique({ where: { key }, select: { datasetId: true } });
    if (hit) {
      const ds = await db.dataset.findFirst({ where: { id: hit.datasetId, workspaceId }, select: { id: true } });
      if (!ds) throw new AppError("NOT_FOUND", "no such match result in this workspace");
      return (await stored(db, key))!;
    }
    await sub.wait(serving.waitMs);
    const row = await db.matchResult.findUnique({ where: { key }, select: { datasetId: true } });
    if (!row) return { status: "pending", key };
    const ds = await db.dataset.findFirst({ where: { id: row.datasetId, workspaceId }, select: { id: true } });
    if (!ds) throw new AppError("NOT_FOUND", "no such match result in this workspace");
    return { ...(await stored(db, key))!, cached: false };
  } finally {
    sub.cancel();
  }
}

/**
 * Worker side: compute and store (exactly one row per key); the caller then signals. A source
 * longer than the engine's shard budget is fanned out to shard jobs instead ("sharded": the
 * merging shard job stores and signals).
 */
export async function computeAndStore(db: Db, engine: MatchEngine, key: string, query: CanonicalQuery): Promise<"stored" | "existed" | "sharded"> {
  if (matchKey(query) !== key) throw new AppError("BAD_INPUT", "match job payload: key does not match the query");
  const exists = await db.matchResult.findUnique({ where: { key }, select: { key: true } });
  if (exists) return "existed";
  const prepared = await engine.prepare(db, query);
  const shardSteps = engine.shardStepsFor(prepared.src.cells);
  if (prepared.src.steps > shardSteps) {
    await startShardedMatch(db, key, query, prepared, shardSteps);
    return "sharded";
  }
  const { result, computeMs } = await engine.runPrepared(db, prepared);
  const r = await db.matchResult.createMany({
    data: [{ key, datasetId: query.datasetId, source: query.source, query, result, computeMs }],
    skipDuplicates: true, // ON CONFLICT DO NOTHING: a retried job never makes a second row
  });
  return r.count === 1 ? "stored" : "existed";
}
