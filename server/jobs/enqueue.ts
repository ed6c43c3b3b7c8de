/**
 * The one way to queue a job. The payload is parsed with the job's schema first (a bad payload
 * fails here, not later in the worker), then inserted with graphile-worker's SQL function
 * `graphile_worker.add_job`, which works in any transaction:
 * - `{ tx }`: inside the caller's open transaction (a node-postgres client after `begin`, or a
 *   Prisma interactive-transaction client): the job exists iff that transaction commits.
 * - `{ db }`: autocommit, on a connection of the database client's own pool. No pool is made
 *   per job or per queue (`quickAddJob` built and tore down a pool for every job, which
 *   dominated the queueing cost of a match query).
 * graphile-worker's schema is installed by the worker when it starts, and by the first `{ db }`
 * enqueue of a process (so a web process or the seeder can queue before any worker ran); a
 * `{ tx }` enqueue needs it to exist already, as it cannot migrate inside someone's transaction.
 */
import { runMigrations, type TaskSpec } from "graphile-worker";
import type pg from "pg";
import type { Prisma } from "@/prisma/generated/client";
import { pgPool, type Db } from "@/server/db/client";
import type { JobDefinition } from "./define";
import type { z } from "zod";

export type JobSpec = Pick<TaskSpec, "queueName" | "runAt" | "maxAttempts" | "priority" | "jobKeyMode">;

/** Where the job is inserted: the caller's transaction, or a database's pool. */
export type JobTarget = { tx: pg.ClientBase | Prisma.TransactionClient; db?: never } | { db: Db; tx?: never };

/**
 * `awaitDisk: false` (with `{ db }` only): the insert commits without waiting for its WAL flush —
 * for a job someone is waiting on right now (a match query), which a database crash would fail
 * anyway: its asker gets an error and asks again. Everything else keeps the durable default.
 */
export type CommitSpec = { awaitDisk?: boolean };

export type EnqueueOptions = JobTarget & JobSpec & CommitSpec & { jobKey?: string };

/** Queues one job; `jobKey` replaces (or, with `jobKeyMode`, keeps) a queued job of the same key. */
export async function enqueue<S extends z.ZodType>(def: JobDefinition<S>, payload: z.input<S>, opts: EnqueueOptions): Promise<void> {
  const { jobKey, ...rest } = opts;
  await enqueueAll(def, [{ payload, ...(jobKey !== undefined ? { jobKey } : {}) }], rest);
}

/** Queues several jobs of one definition in one statement (e.g. the shards of a match run). */
export async function enqueueAll<S extends z.ZodType>(
  def: JobDefinition<S>,
  jobs: readonly { payload: z.input<S>; jobKey?: string }[],
  opts: JobTarget & JobSpec & CommitSpec,
): Promise<void> {
  if (jobs.length === 0) return;
  const payloads = jobs.map((j) => JSON.stringify(def.payload.parse(j.payload)));
  const async = opts.db && opts.awaitDisk === false;
  const sql = `${async ? "with async as (select set_config('synchronous_commit', 'off', true)) " : ""}select graphile_worker.add_job($1::text, payload => x.p, queue_name => $2::text, run_at => $3::timestamptz,
                 max_attempts => $4::int, job_key => x.k, priority => $5::int, job_key_mode => $6::text)
               from unnest($7::json[], $8::text[]) as x(p, k)${async ? ", async" : ""}`;
  const params = [
    def.name,
    opts.queueName ?? null,
    opts.runAt?.toISOString() ?? null,
    opts.maxAttempts ?? null,
    opts.priority ?? null,
    opts.jobKeyMode ?? null,
    payloads,
    jobs.map((j) => j.jobKey ?? null),
  ];
  if (opts.db) {
    const pool = pgPool(opts.db);
    await workerSchema(pool);
    await pool.query(sql, params);
  } else if ("$executeRawUnsafe" in opts.tx) {
    await opts.tx.$executeRawUnsafe(sql, ...params);
  } else {
    await opts.tx.query(sql, params);
  }
}

const migrated = new WeakMap<pg.Pool, Promise<void>>();

/** Installs (or upgrades) graphile-worker's schema once per pool, like WorkerUtils did when it was made. */
function workerSchema(pool: pg.Pool): Promise<void> {
  let done = migrated.get(pool);
  if (!done) {
    done = runMigrations({ pgPool: pool });
    // a failed attempt is not kept: the next enqueue tries again
    done.catch(() => migrated.delete(pool));
    migrated.set(pool, done);
  }
  return done;
}
