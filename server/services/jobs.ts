/**
 * Enqueueing graphile-worker jobs from services. The payload is parsed with
 * the job's own schema before it is queued, so a bad payload fails here and
 * not later in the worker. One long-lived WorkerUtils (and its pool) per
 * connection string: `quickAddJob` would build and tear down a pool for every
 * job, which dominated the queueing cost of a match query.
 */
import { makeWorkerUtils, type TaskSpec, type WorkerUtils } from "graphile-worker";
import type { z } from "zod";
import { env } from "@/server/env";
import type { JobDefinition } from "@/workers/jobs";

export interface EnqueueOptions extends Pick<TaskSpec, "maxAttempts" | "jobKey" | "jobKeyMode" | "runAt" | "priority"> {
  /** Default: DATABASE_URL. */
  connectionString?: string;
}

const holder = globalThis as unknown as { __statescopeWorkerUtils?: Map<string, Promise<WorkerUtils>> };

function utilsFor(connectionString: string): Promise<WorkerUtils> {
  const map = (holder.__statescopeWorkerUtils ??= new Map());
  let u = map.get(connectionString);
  if (!u) {
    u = makeWorkerUtils({ connectionString });
    // a failed start is not cached: the next call tries again
    u.catch(() => map.delete(connectionString));
    map.set(connectionString, u);
  }
  return u;
}

export async function enqueueJob<S extends z.ZodType>(def: JobDefinition<S>, payload: z.input<S>, opts: EnqueueOptions = {}): Promise<string> {
  const { connectionString = env().DATABASE_URL, ...spec } = opts;
  if (!connectionString) throw new Error(`cannot enqueue ${def.name}: DATABASE_URL is not set`);
  const parsed = def.payload.parse(payload) as unknown;
  const utils = await utilsFor(connectionString);
  const job = await utils.addJob(def.name, parsed as Record<string, unknown>, spec);
  return job.id;
}

/** Release the pools (tests and CLI exits). */
export async function closeJobQueues(): Promise<void> {
  const map = holder.__statescopeWorkerUtils;
  if (!map) return;
  holder.__statescopeWorkerUtils = undefined;
  await Promise.all([...map.values()].map((p) => p.then((u) => u.release()).catch(() => undefined)));
}
