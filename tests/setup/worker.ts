/**
 * An in-process worker for integration tests: a graphile-worker runner on the test database with
 * the real task list. Tests compose the whole system, so this harness may import `workers/`;
 * nothing under `server/` or `packages/` may (lint rule).
 */
import { run, type Logger, type Runner, type TaskList, type WorkerEvents } from "graphile-worker";
import pg from "pg";
import type { AnalysisEngine } from "../../server/services/analysis/engine";
import type { MatchEngine } from "../../server/services/matching/engine";
import { taskList } from "../../workers/tasks";
import type { TestDatabase } from "./db";

export interface TestWorkerOptions {
  /** Default: the engine `taskList` makes from the environment. */
  engine?: MatchEngine;
  /** Default: the analysis engine `taskList` makes from the environment. */
  analysis?: AnalysisEngine;
  concurrency?: number;
  /** New jobs arrive by LISTEN/NOTIFY at once; polling only finds retries that came due. */
  pollInterval?: number;
  logger?: Logger;
  /** Replace or wrap tasks (e.g. a handler that dies on its first attempt). */
  wrap?: (tasks: TaskList) => TaskList;
  /** graphile-worker's event emitter, e.g. a `workerHeartbeat(...).events`. */
  events?: WorkerEvents;
}

/**
 * The runner's connections come from a pool of the harness's own, whose clients have an error
 * listener for their whole life, ended by the runner's `stop`. With graphile-worker's own pool, a
 * test's database dropped right after `stop` (`drop … with (force)`) could kill a connection the
 * pool was still closing: pg-pool takes its listener off a client before ending it, and the
 * server's "terminating connection" then arrived as an uncaught error in the test process (seen
 * once in CI, after workers/dataset-extract.int.test.ts).
 */
export async function startTestWorker(t: TestDatabase, opts: TestWorkerOptions = {}): Promise<Runner> {
  const tasks = taskList(t.db, opts.engine, opts.analysis);
  const pool = new pg.Pool({ connectionString: t.url, max: 10 });
  pool.on("error", () => undefined);
  pool.on("connect", (client) => client.on("error", () => undefined));
  let runner: Runner;
  try {
    runner = await run({
      pgPool: pool,
      concurrency: opts.concurrency ?? 1,
      noHandleSignals: true,
      pollInterval: opts.pollInterval ?? 200,
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.events ? { events: opts.events } : {}),
      taskList: opts.wrap ? opts.wrap(tasks) : tasks,
    });
  } catch (e) {
    await pool.end();
    throw e;
  }
  const stop = runner.stop.bind(runner);
  runner.stop = async () => {
    try {
      await stop();
    } finally {
      if (!pool.ending) await pool.end();
    }
  };
  return runner;
}
