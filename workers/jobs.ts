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

/**
 * Import an uploaded project archive/folder into a pending dataset (issue 3).
 * Enqueued with maxAttempts 1: a bad upload never succeeds on a retry, and
 * the service already marked the dataset FAILED with the message.
 */
export const DATASET_IMPORT_JOB = defineJob(
  "dataset:import",
  z.object({
    datasetId: z.string().min(1).max(64),
    workspaceId: z.string().min(1).max(64),
    userId: z.string().min(1).max(64).nullable(),
    path: z.string().min(1).max(4096),
    name: z.string().min(1).max(200).optional(),
    /** Delete `path` when the import ends (uploads). */
    deleteAfter: z.boolean().default(false),
  }),
);

/** The canonical match query as job payloads carry it (server/services/matching/schemas canonicalQuery). */
const ZMatchJobQuery = z.object({
  datasetId: z.string().min(1).max(64),
  source: z.string().min(1).max(300),
  cells: z.array(z.number().int().min(0)).min(1).max(4096),
  threshold: z.number().finite(),
  padLeft: z.number().int().min(0),
  padRight: z.number().int().min(0),
  mode: z.enum(["fast", "precise"]),
  length: z.number().int().min(0),
  k: z.number().int().min(1).max(500),
  before: z.number().int().min(0),
  after: z.number().int().min(0),
});

/** One match query (issue 4): the payload carries the canonical query and its result key. */
export const MATCH_RUN_JOB = defineJob(
  "match:run",
  z.object({
    key: z.string().regex(/^[0-9a-f]{64}$/),
    query: ZMatchJobQuery,
  }),
);

/**
 * One time-range shard of a match query over a source larger than a worker's budget, in one
 * round ("levels" and "collect": fast mode's two rounds; "precise"). Enqueued by the fan-out and
 * by the merge of round 1, in the transaction that records them (server/services/matching/sharded.ts).
 */
export const MATCH_SHARD_JOB = defineJob(
  "match:shard",
  z.object({
    key: z.string().regex(/^[0-9a-f]{64}$/),
    runId: z.string().min(1).max(64),
    round: z.enum(["levels", "collect", "precise"]),
    shard: z.number().int().min(0),
    start: z.number().int().min(0),
    end: z.number().int().min(1),
    /** Fast mode's stop level n* (collect round), else 0. */
    minLevel: z.number().int().min(0),
    query: ZMatchJobQuery,
  }),
);

/**
 * Run a model over a text into a pending dataset (issue 6). The weights,
 * vocabulary and text are already stored with the dataset (DatasetModel);
 * the payload carries the settings. maxAttempts 1 like imports: the service
 * marks the dataset FAILED with the message.
 */
export const DATASET_EXTRACT_JOB = defineJob(
  "dataset:extract",
  z.object({
    datasetId: z.string().min(1).max(64),
    workspaceId: z.string().min(1).max(64),
    userId: z.string().min(1).max(64).nullable(),
    name: z.string().min(1).max(200),
    tokenizer: z.enum(["char", "word"]),
    arch: z.enum(["lstm", "gru"]).optional(),
    prefixes: z
      .object({ embedding: z.string().max(200).nullable().optional(), rnn: z.string().max(200).optional(), head: z.string().max(200).nullable().optional() })
      .optional(),
    unknown: z.union([z.enum(["auto", "error"]), z.object({ id: z.number().int().min(0) }), z.object({ token: z.string().min(1).max(200) })]).default("auto"),
    gates: z.boolean().default(false),
    /** Demo corpus whose annotation tracks are added ("parens": depth; "c-code": lexer tracks). */
    demo: z.enum(["parens", "c-code"]).optional(),
  }),
);
