/**
 * Worker liveness. graphile-worker 0.17 locks a job with its pool's id and releases the lock
 * of a pool that died (kill -9, lost host) only after 4 hours. Each worker process therefore
 * beats a `WorkerHeartbeat` row for its pool every `intervalMs` and, on the same timer, sweeps:
 * a pool holding a lock older than `deadAfterMs` without a heartbeat fresher than that is dead,
 * and `graphile_worker.force_unlock_workers` hands its jobs (and queues) back at once — the job
 * is retried (its attempt counted) within `deadAfterMs + intervalMs` of the kill instead of 4 h.
 *
 * Why the lock's age and not only the heartbeat's: a pool that never wrote a heartbeat (an older
 * worker, a test worker) is judged by how long it has held the job. `deadAfterMs` must stay well
 * above the longest synchronous stretch of a job (the event loop that beats is the one that
 * runs the job), or a busy live pool would lose its job to a retry while still running it.
 */
import { EventEmitter } from "node:events";
import os from "node:os";
import type { WorkerEvents } from "graphile-worker";
import type pg from "pg";

export interface HeartbeatOptions {
  /** How often this pool beats and sweeps. */
  intervalMs?: number;
  /** A pool silent for this long while holding a lock is dead. */
  deadAfterMs?: number;
  /** Told about each released pool (and about failed beats). */
  log?: (message: string) => void;
  /** Called for each released job that has no attempt left, so its record does not wait forever. */
  onAbandoned?: (job: AbandonedJob) => Promise<void>;
}

export const HEARTBEAT_DEFAULTS = { intervalMs: 5_000, deadAfterMs: 60_000 } as const;

export interface WorkerHeartbeat {
  /** Pass to graphile-worker's `run({ events })`: the heartbeat learns the pool's id from `pool:create`. */
  events: WorkerEvents;
  /** The pool's id once the runner made it. */
  poolId(): string | undefined;
  /** One sweep now: releases dead pools' locks (and reports their jobs that have no attempt left). */
  sweep(): Promise<Released>;
  /** Stops beating and removes this pool's row (a graceful stop leaves nothing to sweep). */
  stop(): Promise<void>;
}

// Timestamps are compared in UTC on the database's clock: the column is `timestamp(3)` (Prisma's
// DateTime), and every writer and reader goes through these statements.
const NOW_UTC = "(now() at time zone 'utc')";

const BEAT_SQL = `insert into "WorkerHeartbeat" ("poolId", "pid", "host", "startedAt", "beatAt")
  values ($1, $2, $3, ${NOW_UTC}, ${NOW_UTC})
  on conflict ("poolId") do update set "beatAt" = excluded."beatAt"`;

const DEAD_POOLS_SQL = `with holders as (
    select locked_by as id, min(locked_at) as since from graphile_worker._private_jobs where locked_by is not null group by locked_by
    union all
    select locked_by, min(locked_at) from graphile_worker._private_job_queues where locked_by is not null group by locked_by
  )
  select distinct h.id from holders h
  where h.since < now() - $1 * interval '1 millisecond'
    and not exists (select 1 from "WorkerHeartbeat" b where b."poolId" = h.id and b."beatAt" > ${NOW_UTC} - $1 * interval '1 millisecond')`;

/** A job whose worker died on its last attempt: graphile-worker will not run it again. */
export interface AbandonedJob {
  id: string;
  task: string;
  payload: unknown;
}

export interface Released {
  /** Pools found dead, whose locks were released. */
  pools: string[];
  /** Their jobs that had no attempt left (each family marks its record failed, see workers/tasks.ts). */
  abandoned: AbandonedJob[];
}

/** Finds pools that hold locks but stopped beating, releases their jobs, forgets them. */
export async function releaseDeadWorkers(pool: pg.Pool, deadAfterMs: number): Promise<Released> {
  const dead = (await pool.query<{ id: string }>(DEAD_POOLS_SQL, [deadAfterMs])).rows.map((r) => r.id);
  let abandoned: AbandonedJob[] = [];
  if (dead.length > 0) {
    const c = await pool.connect();
    try {
      await c.query("begin");
      // the job's log says why it stopped; a job with attempts left runs again at once
      const jobs = await c.query<{ id: string; task: string; payload: unknown; left: boolean }>(
        `update graphile_worker._private_jobs j
            set last_error = 'the worker running this job stopped (pool ' || j.locked_by || ' missed its heartbeat)'
           from graphile_worker._private_tasks t
          where t.id = j.task_id and j.locked_by = any($1::text[])
          returning j.id::text as id, t.identifier as task, j.payload, j.attempts < j.max_attempts as left`,
        [dead],
      );
      await c.query("select graphile_worker.force_unlock_workers($1::text[])", [dead]);
      await c.query("commit");
      abandoned = jobs.rows.filter((j) => !j.left).map(({ id, task, payload }) => ({ id, task, payload }));
    } catch (e) {
      await c.query("rollback").catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }
  // rows of pools gone for good (released now, or stopped holding anything) are housekeeping only
  await pool.query(`delete from "WorkerHeartbeat" where "beatAt" < ${NOW_UTC} - 10 * $1 * interval '1 millisecond' or "poolId" = any($2::text[])`, [
    deadAfterMs,
    dead,
  ]);
  return { pools: dead, abandoned };
}

/** Beats for the runner's pool and sweeps dead pools, on one unref'd timer. */
export function workerHeartbeat(pool: pg.Pool, opts: HeartbeatOptions = {}): WorkerHeartbeat {
  const intervalMs = opts.intervalMs ?? HEARTBEAT_DEFAULTS.intervalMs;
  const deadAfterMs = opts.deadAfterMs ?? HEARTBEAT_DEFAULTS.deadAfterMs;
  if (deadAfterMs < 3 * intervalMs) throw new RangeError(`heartbeat: deadAfterMs (${deadAfterMs}) must be at least 3 × intervalMs (${intervalMs})`);
  const log = opts.log ?? (() => undefined);
  const events = new EventEmitter() as WorkerEvents;
  let id: string | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  const sweep = async (): Promise<Released> => {
    const released = await releaseDeadWorkers(pool, deadAfterMs);
    if (released.pools.length > 0) log(`released the jobs of ${released.pools.length} dead worker pool(s): ${released.pools.join(", ")}`);
    for (const job of released.abandoned) {
      log(`job ${job.id} (${job.task}) lost its worker on its last attempt`);
      await opts.onAbandoned?.(job).catch((e: unknown) => log(`job ${job.id} (${job.task}): ${e instanceof Error ? e.message : String(e)}`));
    }
    return released;
  };
  const tick = (): void => {
    if (stopped || !id) return;
    running = (async () => {
      try {
        await pool.query(BEAT_SQL, [id, process.pid, os.hostname()]);
        await sweep();
      } catch (e) {
        // the database may be restarting: the next tick tries again
        log(`heartbeat failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    })();
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  events.on("pool:create", ({ workerPool }) => {
    id = workerPool.id;
    tick();
  });

  return {
    events,
    poolId: () => id,
    sweep,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      if (id) await pool.query(`delete from "WorkerHeartbeat" where "poolId" = $1`, [id]).catch(() => undefined);
    },
  };
}
