/**
 * The worker process: graphile-worker (LISTEN/NOTIFY pickup) running the
 * tasks in ./tasks. Started by `npm start` or alone with `npm run start:worker`.
 */
import { run } from "graphile-worker";
import { createDb } from "@/server/db/client";
import { env } from "@/server/env";
import { CRONTAB, taskList } from "./tasks";

async function main() {
  const e = env();
  if (!e.DATABASE_URL) throw new Error("DATABASE_URL is not set (start the worker with `npm run start:worker`, which provides it)");
  const db = createDb(e.DATABASE_URL);
  const runner = await run({
    connectionString: e.DATABASE_URL,
    concurrency: e.WORKER_CONCURRENCY,
    noHandleSignals: true,
    pollInterval: 2000,
    taskList: taskList(db),
    crontab: CRONTAB,
  });
  console.log(`worker ready (concurrency ${e.WORKER_CONCURRENCY})`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await runner.stop();
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
