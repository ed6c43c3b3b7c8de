/**
 * A job is defined once, beside the service that enqueues it: its name and its payload schema.
 * `enqueue` parses the payload before it is queued and the worker parses it again before the
 * handler runs (a job may have been queued by an older version), both with this schema.
 */
import { z } from "zod";

export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly payload: S;
}

export function defineJob<S extends z.ZodType>(name: string, payload: S): JobDefinition<S> {
  return { name, payload };
}

/** What a handler receives: the parsed payload. */
export type JobPayload<D extends JobDefinition> = z.output<D["payload"]>;

/**
 * The workspace a job was asked in (checked by the web before queueing): every job that reads a
 * dataset (match, analysis) looks its sources up within it, so no payload can reach another
 * workspace's data.
 */
export const ZJobWorkspace = z.string().min(1).max(64);
