/**
 * The worker process: graphile-worker (LISTEN/NOTIFY pickup) running the
 * tasks in ./tasks. Started by `npm start` or alone with `npm run start:worker`.
 */
import { run } from "graphile-worker";
import { createDb, pgPool } from "@/server/db/client";
import { workerHeartbeat } from "@/server/jobs/heartbeat";
import { env } from "@/server/env";
import { abandonedJobHandler, CRONTAB, taskList } from "./tasks";

async function main() {
  const e = env();
  if (!e.DATABASE_URL) throw new Error("DATABASE_URL is not set (start the worker with `npm run start:worker`, which provides it)");
  const db = createDb(e.DATABASE_URL);
  // a killed worker's jobs are retried within WORKER_DEAD_AFTER_MS, not graphile-worker's 4 h
  const heartbeat = workerHeartbeat(pgPool(db), {
    intervalMs: e.WORKER_HEARTBEAT_MS,
    deadAfterMs: e.WORKER_DEAD_AFTER_MS,
    log: (m) => console.log(`worker: ${m}`),
    onAbandoned: abandonedJobHandler(db),
  });
  const runner = await run({
    connectionString: e.DATABASE_URL,
    concurrency: e.WORKER_CONCURRENCY,
    noHandleSignals: true,
    pollInterval: 2000,
    taskList: taskList(db),
    crontab: CRONTAB,
    events: heartbeat.events,
  });
  console.log(`worker ready (concurrency ${e.WORKER_CONCURRENCY})`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await runner.stop();
    await heartbeat.stop();
    await db.$disconnect();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  await runner.promise;
}

main().catch((e: unknown) => {
  console.error(`worker failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
