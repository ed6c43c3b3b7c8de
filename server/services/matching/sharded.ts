/**
 * Match queries over sources longer than one worker's shard budget (`MatchEngine.shardStepsFor`):
 * the source's time range is split into shards scanned by `match:shard` jobs, which any number
 * of workers run in parallel, each loading only its rows (plus halo) from Postgres.
 *
 * Protocol (the distributed form of core's `matchSharded`, same results):
 * - fan-out (`match:run` job): one transaction inserts the `MatchShardRun` row and enqueues one
 *   job per shard through graphile_worker.add_job, so the jobs exist iff the run does.
 * - a shard job scans its range and, in one transaction holding the run row's lock
 *   (`FOR UPDATE`, which serialises the shards' completions), inserts its partial with
 *   ON CONFLICT DO NOTHING and counts the round's partials. The transaction that sees all of
 *   them merges: precise and fast round 2 write the `MatchResult` row (ON CONFLICT DO NOTHING),
 *   delete the run (its partials cascade) and NOTIFY `statescope_match` — delivered on commit,
 *   so waiters only wake once the row is visible; fast round 1 computes the stop level n*,
 *   stores it on the run and enqueues round 2 in the same transaction.
 * - retries: a job whose partial is already stored skips the scan and only re-checks
 *   completion; a job of another round or run finds no matching run row and does nothing. So a
 *   killed or duplicated shard job never yields a second result row or a second round.
 */
import { randomUUID } from "node:crypto";
import type pg from "pg";
import {
  AppError,
  FastCollectMerger,
  FastLevelsMerger,
  PreciseMerger,
  planMatch,
  planShardRanges,
  scanShard,
  shardIndexRange,
  shardPartialFromJson,
  shardPartialToJson,
  type MatchPlan,
  type ScanPhase,
  type ShardPartial,
} from "@statescope/core";
import { pgPool, type Db } from "@/server/db/client";
import { findSource } from "@/server/services/datasets/datasets";
import { enqueueAll } from "@/server/jobs/enqueue";
import { MATCH_SHARD_JOB, type ShardJobPayload } from "@/server/jobs/match";
import type { MatchEngine, PreparedMatch } from "./engine";
import { notifyMatch } from "./notifier";
import type { CanonicalQuery } from "./schemas";

type Round = ShardJobPayload["round"];

/** Attempts per shard job (graphile-worker retries with exponential back-off). */
export const SHARD_JOB_ATTEMPTS = 5;

/** At most this many shards per query: a tiny MATCH_SHARD_STEPS on a long source widens the shards instead of queueing millions of jobs. */
export const MAX_SHARDS = 4096;

async function inTransaction<T>(db: Db, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pgPool(db).connect();
  let broken: Error | undefined;
  try {
    await c.query("begin");
    const out = await fn(c);
    await c.query("commit");
    return out;
  } catch (e) {
    // a client whose rollback fails is not returned to the pool
    await c.query("rollback").catch((r: unknown) => (broken = r instanceof Error ? r : new Error(String(r))));
    throw e;
  } finally {
    c.release(broken);
  }
}

/** Enqueues shard jobs inside the caller's transaction, so they exist iff it commits. */
async function addShardJobs(c: pg.PoolClient, payloads: ShardJobPayload[]): Promise<void> {
  await enqueueAll(
    MATCH_SHARD_JOB,
    payloads.map((p) => ({ payload: p, jobKey: `match-shard:${p.key}:${p.runId}:${p.round}:${p.shard}` })),
    { tx: c, maxAttempts: SHARD_JOB_ATTEMPTS },
  );
}

/**
 * Starts a sharded run of `q` (the `match:run` job calls this when the source is longer than
 * `shardSteps`). "running" when a run of this key is already under way. A run whose shard jobs
 * are all gone or failed for good (no job of it can still run) is orphaned: it is replaced.
 */
export async function startShardedMatch(
  db: Db,
  workspaceId: string,
  key: string,
  q: CanonicalQuery,
  { src }: PreparedMatch,
  shardSteps: number,
): Promise<"started" | "running"> {
  const ranges = planShardRanges(src.steps, Math.max(shardSteps, Math.ceil(src.steps / MAX_SHARDS)));
  const round: Round = q.mode === "fast" ? "levels" : "precise";
  const runId = randomUUID();
  return inTransaction(db, async (c) => {
    const existing = await c.query<{ runId: string }>(`select "runId" from "MatchShardRun" where "key" = $1 for update`, [key]);
    if (existing.rows[0]) {
      // locked_at: running now (or held by a worker that died, until graphile-worker's lock timeout)
      const live = await c.query(`select 1 from graphile_worker.jobs where "key" like $1 and (attempts < max_attempts or locked_at is not null) limit 1`, [
        `match-shard:${key}:${existing.rows[0].runId}:%`,
      ]);
      if (live.rowCount !== 0) return "running";
      await c.query(`delete from "MatchShardRun" where "key" = $1`, [key]);
    }
    const r = await c.query(
      `insert into "MatchShardRun" ("key", "runId", "datasetId", "query", "shards", "round") values ($1, $2, $3, $4::jsonb, $5, $6) on conflict do nothing`,
      [key, runId, q.datasetId, JSON.stringify(q), ranges.length, round],
    );
    if (r.rowCount === 0) return "running";
    await addShardJobs(
      c,
      ranges.map((range, shard) => ({ key, runId, round, shard, start: range.start, end: range.end, minLevel: 0, query: q, workspaceId })),
    );
    return "started";
  });
}

function phaseOf(p: ShardJobPayload): ScanPhase {
  if (p.round === "levels") return { kind: "levels" };
  if (p.round === "collect") return { kind: "collect", minLevel: p.minLevel };
  return { kind: "precise" };
}

interface RunRow {
  runId: string;
  round: Round;
  shards: number;
  minLevel: number;
  levelsMs: number;
}

export type ShardOutcome = "stale" | "stored" | "next-round" | "merged";

/** One `match:shard` job: scan the shard (unless a previous attempt stored it), store, and merge if it completes the round. */
export async function runMatchShard(db: Db, engine: MatchEngine, p: ShardJobPayload): Promise<ShardOutcome> {
  const pool = pgPool(db);
  const live = await pool.query(`select 1 from "MatchShardRun" where "key" = $1 and "runId" = $2 and "round" = $3`, [p.key, p.runId, p.round]);
  if (live.rowCount === 0) return "stale";
  const src = await findSource(db, p.workspaceId, p.query.datasetId, p.query.source);
  const plan = planMatch(p.query, src.steps, src.cells);
  if (p.end > src.steps || p.start >= p.end) throw new AppError("BAD_INPUT", `shard [${p.start}, ${p.end}) lies outside source ${src.name}'s ${src.steps} steps`);

  const stored = await pool.query(`select 1 from "MatchShardPartial" where "key" = $1 and "round" = $2 and "shard" = $3`, [p.key, p.round, p.shard]);
  let partial: string | null = null;
  let computeMs = 0;
  if (stored.rowCount === 0) {
    const { from, to } = shardIndexRange(p, plan);
    const index = await engine.rangeIndex(db, src, plan.threshold, from, to);
    const t0 = performance.now();
    const part = scanShard(index, plan, p, phaseOf(p));
    computeMs = performance.now() - t0;
    partial = JSON.stringify(shardPartialToJson(part));
  }

  return inTransaction(db, async (c) => {
    const r = await c.query<RunRow>(`select "runId", "round", "shards", "minLevel", "levelsMs" from "MatchShardRun" where "key" = $1 for update`, [p.key]);
    const run = r.rows[0];
    if (!run || run.runId !== p.runId || run.round !== p.round) return "stale";
    if (partial !== null) {
      await c.query(`insert into "MatchShardPartial" ("key", "round", "shard", "partial", "computeMs") values ($1, $2, $3, $4::jsonb, $5) on conflict do nothing`, [
        p.key,
        p.round,
        p.shard,
        partial,
        computeMs,
      ]);
    }
    const n = await c.query<{ n: number }>(`select count(*)::int as n from "MatchShardPartial" where "key" = $1 and "round" = $2`, [p.key, p.round]);
    if (n.rows[0]!.n < run.shards) return "stored";
    return completeRound(c, p, run, plan);
  });
}

/** Reads the round's partials in time order and checks that they own [0, T) without gaps. */
async function roundPartials(c: pg.PoolClient, key: string, round: Round, run: RunRow, plan: MatchPlan): Promise<{ parts: ShardPartial[]; slowestMs: number }> {
  const r = await c.query<{ shard: number; partial: unknown; computeMs: number }>(
    `select "shard", "partial", "computeMs" from "MatchShardPartial" where "key" = $1 and "round" = $2 order by "shard"`,
    [key, round],
  );
  const parts: ShardPartial[] = [];
  let at = 0;
  let slowestMs = 0;
  for (const row of r.rows) {
    const part = shardPartialFromJson(row.partial, plan);
    if (row.shard !== parts.length || part.start !== at) throw new AppError("INTERNAL", `match ${key.slice(0, 12)}: shard ${row.shard} starts at ${part.start}, expected shard ${parts.length} at ${at}`);
    at = part.end;
    parts.push(part);
    slowestMs = Math.max(slowestMs, row.computeMs);
  }
  if (parts.length !== run.shards || at !== plan.totalSteps) {
    throw new AppError("INTERNAL", `match ${key.slice(0, 12)}: ${parts.length} of ${run.shards} shards cover [0, ${at}) of ${plan.totalSteps} steps`);
  }
  return { parts, slowestMs };
}

async function completeRound(c: pg.PoolClient, p: ShardJobPayload, run: RunRow, plan: MatchPlan): Promise<ShardOutcome> {
  const { parts, slowestMs } = await roundPartials(c, p.key, p.round, run, plan);
  const t0 = performance.now();
  if (p.round === "levels") {
    const levels = new FastLevelsMerger(plan);
    for (const part of parts) levels.add(part);
    const minLevel = levels.finish();
    const levelsMs = slowestMs + (performance.now() - t0);
    await c.query(`update "MatchShardRun" set "round" = 'collect', "minLevel" = $2, "levelsMs" = $3 where "key" = $1`, [p.key, minLevel, levelsMs]);
    await c.query(`delete from "MatchShardPartial" where "key" = $1 and "round" = 'levels'`, [p.key]);
    await addShardJobs(
      c,
      parts.map((part, shard) => ({ key: p.key, runId: p.runId, round: "collect", shard, start: part.start, end: part.end, minLevel, query: p.query, workspaceId: p.workspaceId })),
    );
    return "next-round";
  }
  const merger = p.round === "precise" ? new PreciseMerger(plan) : new FastCollectMerger(plan, run.minLevel);
  for (const part of parts) merger.add(part);
  const result = merger.finish();
  // the critical path: slowest shard per round plus the merges
  const computeMs = run.levelsMs + slowestMs + (performance.now() - t0);
  await c.query(
    `insert into "MatchResult" ("key", "datasetId", "source", "query", "result", "computeMs") values ($1, $2, $3, $4::jsonb, $5::jsonb, $6) on conflict do nothing`,
    [p.key, p.query.datasetId, p.query.source, JSON.stringify(p.query), JSON.stringify(result), computeMs],
  );
  await c.query(`delete from "MatchShardRun" where "key" = $1`, [p.key]); // partials cascade
  await notifyMatch(c, p.key); // delivered at commit
  return "merged";
}

/**
 * Gives up a sharded run (a shard cannot succeed, or ran out of attempts): deletes the run and
 * its partials, so the next request for this query starts afresh, and signals the waiters.
 */
export async function abandonShardedMatch(db: Db, p: Pick<ShardJobPayload, "key" | "runId">, message: string): Promise<void> {
  await inTransaction(db, async (c) => {
    const r = await c.query(`delete from "MatchShardRun" where "key" = $1 and "runId" = $2`, [p.key, p.runId]);
    if (r.rowCount !== 0) await notifyMatch(c, p.key, message);
  });
}
