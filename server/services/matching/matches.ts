/**
 * The match use case: answer from the result store when this exact query ran
 * before; otherwise queue one job per distinct query (graphile-worker job key
 * = result key, so concurrent askers share it) and wait for its notification.
 */
import { AppError, planMatch, resultRows } from "@statescope/core";
import { pgPool, type Db } from "@/server/db/client";
import { findSource, type FoundSource } from "@/server/services/datasets/datasets";
import { ZWindowsInput } from "@/server/services/datasets/schemas-meta";
import type { Audience } from "@/server/services/authz";
import { readSourceWindows } from "@/server/services/datasets/windows";
import { enqueue } from "@/server/jobs/enqueue";
import { MATCH_INDEX_JOB, MATCH_RUN_JOB } from "@/server/jobs/match";
import type { MatchEngine, MatchRun, PreparedMatch } from "./engine";
import type { MatchNotifier } from "./notifier";
import { startShardedMatch } from "./sharded";
import {
  canonicalQuery,
  matchKey,
  ZMatchInput,
  ZMatchResult,
  ZMatchRunInput,
  type CanonicalQuery,
  type MatchInput,
  type MatchOutcome,
  type MatchQueryInput,
  type MatchResultOut,
  type MatchRunInput,
  type MatchRunOutcome,
} from "./schemas";
import { parseInput } from "../validate";
import { addSpan, timed } from "@/server/http/server-timing";
import { spend, type Spend } from "../rate-limits";

export interface MatchServing {
  notifier: MatchNotifier;
  waitMs: number;
  /** Sources of at most `maxValues` steps × cells are matched in this process by `engine` (no queue round trip). */
  inline?: { maxValues: number; engine: MatchEngine } | null;
  /** Rate limits spent before a query that is not in the store is queued or run inline (the asker's job budget). */
  spendPerJob?: readonly Spend[];
  /** Called by `runMatchWithRows` with the store of an inline result, which its answer does not wait for (tests await it). */
  afterAnswer?: (stored: Promise<void>) => void;
}

type Done = Extract<MatchOutcome, { status: "done" }>;

async function stored(db: Db, key: string): Promise<Done | null> {
  const row = (await pgPool(db).query<{ result: unknown; computeMs: number }>({ ...STORED_SQL, values: [key] })).rows[0];
  if (!row) return null;
  return { status: "done", key, cached: true, computeMs: row.computeMs, result: ZMatchResult.parse(row.result) };
}

const STORED_SQL = { name: "match-stored", text: `SELECT result, "computeMs" FROM "MatchResult" WHERE key = $1` };

/**
 * The query's source (in this workspace, its dataset READY) and the stored result of `key`, in one
 * prepared statement: the click path's lookups (before: two Prisma queries and a third for the
 * store, ~3 ms each under Prisma's query pipeline). Anything missing is looked up again by
 * `findSource`, which throws the error that names it.
 */
const LOOKUP_SQL = {
  name: "match-lookup",
  text: `SELECT d.status::text AS status, d.steps AS "datasetSteps", s.id, s.name, s.steps, s.cells, s."chunkRows", s.transform,
                r.result, r."computeMs"
           FROM "Dataset" d
           LEFT JOIN "DatasetSource" s ON s."datasetId" = d.id AND s.name = $3
           LEFT JOIN "MatchResult" r ON r.key = $4 AND r."datasetId" = d.id
          WHERE d.id = $1 AND d."workspaceId" = $2`,
};

interface LookupRow {
  status: string;
  datasetSteps: number;
  id: string | null;
  name: string;
  steps: number;
  cells: number;
  chunkRows: number;
  transform: string;
  result: unknown;
  computeMs: number | null;
}

async function lookup(db: Db, workspaceId: string, q: MatchQueryInput, key: string): Promise<{ src: FoundSource; hit: Done | null }> {
  const row = (await pgPool(db).query<LookupRow>({ ...LOOKUP_SQL, values: [q.datasetId, workspaceId, q.source, key] })).rows[0];
  if (!row || row.status !== "READY" || row.id === null) return { src: await findSource(db, workspaceId, q.datasetId, q.source), hit: null };
  const src: FoundSource = {
    id: row.id,
    name: row.name,
    steps: row.steps,
    cells: row.cells,
    chunkRows: row.chunkRows,
    transform: row.transform === "tanh" ? "tanh" : "none",
    datasetId: q.datasetId,
    datasetSteps: row.datasetSteps,
  };
  const hit: Done | null = row.result === null || row.computeMs === null ? null : { status: "done", key, cached: true, computeMs: row.computeMs, result: ZMatchResult.parse(row.result) };
  return { src, hit };
}

export async function runMatch(db: Db, workspaceId: string, raw: MatchInput, serving: MatchServing): Promise<MatchOutcome> {
  const input = parseInput(ZMatchInput, raw, "match query");
  const { outcome, storing } = await runOn(db, workspaceId, input, serving);
  await storing;
  return outcome;
}

/**
 * {@link runMatch} (without waiting for the store of a result it computed), and with `rows` the result rows' windows too (what `dataset.windows` answers
 * for the ranges core's `resultRows` lays out), so the Match view draws a click from one request
 * instead of a match and then a read. Rows the read refuses or fails on (an unknown track, more
 * values than one read allows) are left out: the view then reads them itself and shows why.
 */
export async function runMatchWithRows(
  db: Db,
  workspaceId: string,
  raw: MatchRunInput,
  serving: MatchServing,
  audience: Audience = "members",
): Promise<MatchRunOutcome> {
  const t0 = performance.now();
  const { rows, ...query } = parseInput(ZMatchRunInput, raw, "match query");
  addSpan("input", performance.now() - t0);
  // the store of a result computed here waits for the rows' read (below): its insert is no
  // competition for the database while the answer's last statement runs
  let rowsDone!: () => void;
  const afterRows = new Promise<void>((ok) => (rowsDone = ok));
  const { outcome: out, storing, spent, src } = await runOn(db, workspaceId, query, serving, afterRows);
  const readRows = async () => {
    if (!rows || out.status !== "done" || out.result.results.length === 0) return null;
    const ranges = resultRows(out.result.results, rows, src.datasetSteps).map((r) => r.range);
    const read = ZWindowsInput.safeParse({ datasetId: src.datasetId, source: src.name, cells: query.cells, ranges, tracks: rows.tracks });
    if (!read.success) return null;
    // a source the web process matched on is held decoded by its engine: the rows' states come from there
    const decoded = serving.inline?.engine.decodedSource(src.id) ?? null;
    const windows = await timed("rows", () => readSourceWindows(db, src, read.data, audience, decoded)).catch(() => null);
    return windows && { ranges, windows };
  };
  // The rows are read while the asker's budget is being spent (over the limit: refused, nothing
  // answered or stored). The answer does not wait for the store of a result computed here (a
  // cache of a deterministic computation: 5–15 ms of a click, more while the pool is busy). Until
  // it lands, the same query is computed again; if it fails, the next asker stores it.
  // `afterAnswer` sees it settle.
  // (the store's statement leaves after this turn's work on the answer: setImmediate)
  const [read] = await Promise.all([readRows().finally(() => setImmediate(rowsDone)), spent]);
  serving.afterAnswer?.(storing.then(() => undefined));
  storing.catch((e: unknown) => console.error(`[match] storing the result of ${out.status === "done" ? out.key : "?"} failed (the next asker computes it again):`, e instanceof Error ? e.message : e));
  return read && out.status === "done" ? { ...out, rows: read } : out;
}

/**
 * The outcome of a query, the spend of the asker's budget on a result computed in this process
 * (`spent`: rejects with the refusal when over the limit; await it before answering) and its store
 * (`storing`: after the spend and `storeAfter`; rejects with the refusal too). The caller may read the result's rows
 * meanwhile.
 */
async function runOn(
  db: Db,
  workspaceId: string,
  input: MatchQueryInput,
  serving: MatchServing,
  storeAfter: Promise<void> = Promise.resolve(),
): Promise<{ outcome: MatchOutcome; spent: Promise<void>; storing: Promise<unknown>; src: FoundSource }> {
  const q = canonicalQuery(input);
  const key = matchKey(q);
  const { src, hit: found } = await timed("lookup", () => lookup(db, workspaceId, q, key));
  const done = (outcome: MatchOutcome) => ({ outcome, spent: Promise.resolve(), storing: Promise.resolve(), src });
  // Validate against the source's shape here, so bad queries never reach the queue.
  const plan = planMatch(q, src.steps, src.cells);
  if (found) return done(found);
  if (serving.inline && src.steps * src.cells <= serving.inline.maxValues) {
    // Small source: computing takes well under the queue's round trip, so answer here. The
    // asker's budget is spent while it computes (and the caller reads the rows); over the limit
    // nothing is stored or answered.
    const spent = serving.spendPerJob ? timed("spend", () => spend(db, serving.spendPerJob!)) : Promise.resolve();
    spent.catch(() => undefined); // rejects to the caller, who awaits it; never unhandled meanwhile
    const run = await timed("compute", () => serving.inline!.engine.runPrepared(db, { src, plan }));
    // of which: the index at this threshold (built, or found in the cache) and the match itself
    addSpan("index", run.indexMs);
    addSpan("match", run.computeMs);
    const { result, computeMs } = run;
    const storing = Promise.all([spent, storeAfter]).then(() => timed("store", () => storeResult(db, key, q, result, computeMs).then(() => requestIndex(db, workspaceId, { src, plan }, run))));
    storing.catch(() => undefined); // (the same)
    return { outcome: { status: "done", key, cached: false, computeMs, result }, spent, storing, src };
  }
  // spent while the subscription is set up (a result stored meanwhile by another asker's job costs a point)
  const spent = serving.spendPerJob ? spend(db, serving.spendPerJob) : Promise.resolve();
  spent.catch(() => undefined); // awaited below unless the store answers first
  const sub = await timed("queue", () => serving.notifier.subscribe(key));
  try {
    const hit = await timed("queue", () => stored(db, key));
    if (hit) return done(hit);
    await timed("queue", () => spent);
    // The job key collapses concurrent askers onto one queued job. (If the job is already
    // running, graphile-worker queues a second one, which finds the stored row and only signals.)
    // (its asker is waiting: the insert does not wait for the disk, see EnqueueOptions.awaitDisk)
    await timed("queue", () => enqueue(MATCH_RUN_JOB, { key, query: q, workspaceId }, { db, jobKey: `match:${key}`, jobKeyMode: "preserve_run_at", maxAttempts: 3, awaitDisk: false }));
    // Server-Timing: "queue" subscribing and queueing, "worker" until the job's signal (of it "match"), "result" reading what it stored
    const notified = await timed("worker", () => sub.wait(serving.waitMs));
    // usually the result is there: one read (jobFailure only when it is not, then read again,
    // as a job that completes between the two reads has stored its result by then)
    const ready = notified ? await timed("result", () => stored(db, key)) : null;
    // of "worker": the job's match itself (its index loaded or found before), as it stored it (the
    // inline path's "match" span; its "compute" also covers the index)
    if (ready?.status === "done") addSpan("match", ready.computeMs);
    if (ready) return done({ ...ready, cached: false });
    const failure = await jobFailure(db, key);
    const now = await stored(db, key);
    if (now) return done({ ...now, cached: false });
    if (notified) throw new AppError("INTERNAL", "the match job finished without a result");
    if (failure) throw failed(failure);
    return done({ status: "pending", key });
  } finally {
    sub.cancel();
  }
}

/** Long-poll for a result that was "pending". */
export async function matchResult(db: Db, workspaceId: string, key: string, serving: MatchServing, onlyDataset?: string): Promise<MatchOutcome> {
  const sub = await serving.notifier.subscribe(key);
  try {
    const hit = await db.matchResult.findUnique({ where: { key }, select: { datasetId: true } });
    if (hit) {
      // a classroom participant's access reaches one dataset only (WorkspaceAccess.onlyDataset)
      const ds = onlyDataset && hit.datasetId !== onlyDataset ? null : await db.dataset.findFirst({ where: { id: hit.datasetId, workspaceId }, select: { id: true } });
      if (!ds) throw new AppError("NOT_FOUND", "no such match result in this workspace");
      return (await stored(db, key))!;
    }
    await sub.wait(serving.waitMs);
    const failure = await jobFailure(db, key);
    const row = await db.matchResult.findUnique({ where: { key }, select: { datasetId: true } });
    if (!row && failure) throw failed(failure);
    if (!row) return { status: "pending", key };
    const ds = onlyDataset && row.datasetId !== onlyDataset ? null : await db.dataset.findFirst({ where: { id: row.datasetId, workspaceId }, select: { id: true } });
    if (!ds) throw new AppError("NOT_FOUND", "no such match result in this workspace");
    return { ...(await stored(db, key))!, cached: false };
  } finally {
    sub.cancel();
  }
}

const failed = (reason: string) => new AppError("INTERNAL", `the match job failed: ${reason}; run the query again`);

/**
 * Why no result will come for `key` any more, or null while its job may still produce one. A
 * waiter that missed the job's signal (it failed between two long-polls, or its worker was killed
 * on its last attempt) learns it here instead of polling "pending" forever. Call before reading
 * the result: a job that completes in between has stored its result by then.
 */
async function jobFailure(db: Db, key: string): Promise<string | null> {
  const pool = pgPool(db);
  const job = (
    await pool.query<{ gaveUp: boolean; lastError: string | null }>(
      `select attempts >= max_attempts and locked_at is null as "gaveUp", last_error as "lastError" from graphile_worker.jobs where key = $1`,
      [`match:${key}`],
    )
  ).rows[0];
  if (job) return job.gaveUp ? (job.lastError ?? "it failed on every attempt") : null;
  // no job: it ended — with a result, with a hopeless query (signalled), or handing over to its shards
  const sharded = await pool.query(`select 1 from "MatchShardRun" where "key" = $1`, [key]);
  return sharded.rowCount === 0 ? "it ended without a result" : null;
}

/**
 * Worker side: compute and store (exactly one row per key); the caller then signals. A source
 * longer than the engine's shard budget is fanned out to shard jobs instead ("sharded": the
 * merging shard job stores and signals).
 */
export async function computeAndStore(db: Db, engine: MatchEngine, workspaceId: string, key: string, query: CanonicalQuery): Promise<"stored" | "existed" | "sharded"> {
  if (matchKey(query) !== key) throw new AppError("BAD_INPUT", "match job payload: key does not match the query");
  const exists = await db.matchResult.findUnique({ where: { key }, select: { key: true } });
  if (exists) return "existed";
  const prepared = await engine.prepare(db, workspaceId, query);
  const shardSteps = engine.shardStepsFor(prepared.src.cells);
  if (prepared.src.steps > shardSteps) {
    await startShardedMatch(db, workspaceId, key, query, prepared, shardSteps);
    return "sharded";
  }
  const run = await engine.runPrepared(db, prepared);
  const stored = await storeResult(db, key, query, run.result, run.computeMs);
  await requestIndex(db, workspaceId, prepared, run);
  return stored ? "stored" : "existed";
}

/**
 * After a query answered from the floats (no index persisted at its threshold), queues the job
 * that persists one, so later queries at this threshold read ~1/32 of the bytes. Job key per
 * (source, float32 threshold): askers meanwhile share the queued job.
 */
async function requestIndex(db: Db, workspaceId: string, { src, plan }: PreparedMatch, run: MatchRun): Promise<void> {
  if (!run.indexFromFloats) return;
  const threshold = Math.fround(plan.threshold);
  await enqueue(MATCH_INDEX_JOB, { datasetId: src.datasetId, source: src.name, threshold, workspaceId }, { db, jobKey: `match-index:${src.id}:${threshold}`, jobKeyMode: "preserve_run_at", maxAttempts: 3 });
}

/**
 * Stores a computed result under its key, exactly once (ON CONFLICT DO NOTHING: a retried or
 * concurrent run never makes a second row). The store is a cache of a deterministic computation,
 * so its commit does not wait for the disk (one fsync per new query, ~5–20 ms on this kind of
 * disk): a row lost to a database crash is computed again by the next asker.
 */
async function storeResult(db: Db, key: string, query: CanonicalQuery, result: MatchResultOut, computeMs: number): Promise<boolean> {
  const r = await pgPool(db).query({ ...STORE_SQL, values: [key, query.datasetId, query.source, JSON.stringify(query), JSON.stringify(result), computeMs] });
  return r.rowCount === 1;
}

const STORE_SQL = {
  name: "match-store",
  text: `WITH async AS (SELECT set_config('synchronous_commit', 'off', true))
         INSERT INTO "MatchResult" (key, "datasetId", source, query, result, "computeMs")
         SELECT $1, $2, $3, $4::jsonb, $5::jsonb, $6::float8 FROM async
         ON CONFLICT (key) DO NOTHING`,
};
