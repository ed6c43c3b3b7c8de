/**
 * An in-process worker for integration tests: a graphile-worker runner on the test database with
 * the real task list. Tests compose the whole system, so this harness may import `workers/`;
 * nothing under `server/` or `packages/` may (lint rule).
 */
import { run, type Logger, type Runner, type TaskList, type WorkerEvents } from "graphile-worker";
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

export async function startTestWorker(t: TestDatabase, opts: TestWorkerOptions = {}): Promise<Runner> {
  const tasks = taskList(t.db, opts.engine, opts.analysis);
  return run({
    connectionString: t.url,
    concurrency: opts.concurrency ?? 1,
    noHandleSignals: true,
    pollInterval: opts.pollInterval ?? 200,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.events ? { events: opts.events } : {}),
    taskList: opts.wrap ? opts.wrap(tasks) : tasks,
  });
}
