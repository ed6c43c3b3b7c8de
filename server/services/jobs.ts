/**
 * Enqueueing graphile-worker jobs from services. The payload is parsed with
 * the job's own schema before it is queued, so a bad payload fails here and
 * not later in the worker.
 */
import { quickAddJob, type TaskSpec } from "graphile-worker";
import type { z } from "zod";
import { env } from "@/server/env";
import type { JobDefinition } from "@/workers/jobs";

export interface EnqueueOptions extends Pick<TaskSpec, "maxAttempts" | "jobKey" | "jobKeyMode" | "runAt" | "priority"> {
  /** Default: DATABASE_URL. */
  connectionString?: string;
}

export async function enqueueJob<S extends z.ZodType>(def: JobDefinition<S>, payload: z.input<S>, opts: EnqueueOptions = {}): Promise<string> {
  const { connectionString = env().DATABASE_URL, ...spec } = opts;
  if (!connectionString) throw new Error(`cannot enqueue ${def.name}: DATABASE_URL is not set`);
  const parsed = def.payload.parse(payload) as unknown;
  const job = await quickAddJob({ connectionString }, def.name, parsed as Record<string, unknown>, spec);
  return job.id;
}
