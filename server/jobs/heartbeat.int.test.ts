import { spawn } from "node:child_process";
import { run, runMigrations, type Runner } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { pgPool } from "../db/client";
import { releaseDeadWorkers, workerHeartbeat } from "./heartbeat";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
  const pool = pgPool(t.db);
  await pool.query("create table hb_runs (job text not null, pool text not null, at timestamptz not null default now())");
});
afterAll(async () => {
  await t?.drop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, ms: number, f: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A real worker process (graphile-worker, no heartbeat) whose task hangs once it holds the job. */
function victimWorker(url: string): Promise<{ pid: number; poolId: string }> {
  const script = `
    const { run } = require("graphile-worker");
    run({ connectionString: process.env.URL, concurrency: 1, noHandleSignals: true, pollInterval: 100,
      taskList: { "test:work": async (_p, h) => { console.log("HOLDING " + h.job.locked_by); await new Promise(() => {}); } } });`;
  const child = spawn(process.execPath, ["-e", script], { env: { ...process.env, URL: url }, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /HOLDING (\S+)/.exec(out);
      if (m) resolve({ pid: child.pid!, poolId: m[1]! });
    });
    child.once("exit", (code) => reject(new Error(`victim worker exited (${code}) before taking the job`)));
  });
}

async function runs(job: string): Promise<string[]> {
  return (await pgPool(t.db).query<{ pool: string }>("select pool from hb_runs where job = $1 order by at", [job])).rows.map((r) => r.pool);
}

function recordingWorker(hb: ReturnType<typeof workerHeartbeat>, holdMs = 0): Promise<Runner> {
  return run({
    connectionString: t.url,
    concurrency: 1,
    noHandleSignals: true,
    pollInterval: 100,
    events: hb.events,
    taskList: {
      "test:work": async (payload, h) => {
        await pgPool(t.db).query("insert into hb_runs (job, pool) values ($1, $2)", [(payload as { job: string }).job, h.job.locked_by]);
        if (holdMs) await sleep(holdMs);
      },
    },
  });
}

describe("worker heartbeat", () => {
  it("a job held by a worker killed with kill -9 is retried within the dead-after window (graphile-worker alone waits 4 h)", { timeout: 60_000 }, async () => {
    const pool = pgPool(t.db);
    await runMigrations({ pgPool: pool });
    await pool.query("select graphile_worker.add_job('test:work', '{\"job\":\"killed\"}'::json, max_attempts := 3)");
    const victimP = victimWorker(t.url);
    const victim = await victimP;
    process.kill(victim.pid, "SIGKILL");
    const locked = await pool.query<{ locked_by: string; attempts: number }>("select locked_by, attempts from graphile_worker.jobs where task_identifier = 'test:work'");
    expect(locked.rows).toEqual([{ locked_by: victim.poolId, attempts: 1 }]);

    const hb = workerHeartbeat(pool, { intervalMs: 200, deadAfterMs: 1_500 });
    const killedAt = Date.now();
    const runner = await recordingWorker(hb);
    try {
      await until("the killed job to run again", 20_000, async () => ((await runs("killed")).length > 0 ? true : undefined));
      const waited = Date.now() - killedAt;
      expect(waited).toBeLessThan(1_500 + 5_000);
      expect(await runs("killed")).toEqual([hb.poolId()]);
      await until("the job to complete", 10_000, async () =>
        (await pool.query("select 1 from graphile_worker.jobs where task_identifier = 'test:work'")).rowCount === 0 ? true : undefined,
      );
    } finally {
      await runner.stop();
      await hb.stop();
    }
    // a graceful stop leaves no heartbeat behind
    expect((await pool.query(`select 1 from "WorkerHeartbeat"`)).rowCount).toBe(0);
  });

  it("a live worker's long job is never taken from it: it beats while the job runs longer than the dead-after window", { timeout: 60_000 }, async () => {
    const pool = pgPool(t.db);
    const hb = workerHeartbeat(pool, { intervalMs: 150, deadAfterMs: 600 });
    const runner = await recordingWorker(hb, 2_500);
    try {
      await pool.query("select graphile_worker.add_job('test:work', '{\"job\":\"long\"}'::json, max_attempts := 3)");
      await until("the long job to start", 10_000, async () => ((await runs("long")).length > 0 ? true : undefined));
      // another process sweeping all along (as every worker does) must not see this pool as dead
      const released: string[] = [];
      const end = Date.now() + 2_000;
      while (Date.now() < end) {
        released.push(...(await releaseDeadWorkers(pool, 600)).pools);
        await sleep(100);
      }
      expect(released).toEqual([]);
      await until("the long job to complete", 10_000, async () =>
        (await pool.query("select 1 from graphile_worker.jobs where task_identifier = 'test:work'")).rowCount === 0 ? true : undefined,
      );
      expect(await runs("long")).toEqual([hb.poolId()]);
    } finally {
      await runner.stop();
      await hb.stop();
    }
  });

  it("refuses a dead-after window under three beats", () => {
    expect(() => workerHeartbeat(pgPool(t.db), { intervalMs: 1_000, deadAfterMs: 2_000 })).toThrow(/at least 3 × intervalMs/);
  });
});
