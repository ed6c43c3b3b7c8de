/**
 * Jobs are defined once: the enqueuing side and the worker both parse the
 * payload with the same schema.
 */
import { z } from "zod";

export interface JobDefinition<S extends z.ZodType> {
  name: string;
  payload: S;
}

export function defineJob<S extends z.ZodType>(name: string, payload: S): JobDefinition<S> {
  return { name, payload };
}

/** Housekeeping: delete invite links that expired or were used over a week ago. */
export const PURGE_INVITES_JOB = defineJob("invites:purge", z.object({}).passthrough());
