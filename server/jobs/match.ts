/**
 * Match jobs, enqueued by server/services/matching (`matches.ts` queues a run, `sharded.ts` its
 * shards). The payload's query is the service's match query schema, in canonical form.
 */
import { z } from "zod";
import { ZMatchInput, ZMatchKey } from "@/server/services/matching/schemas";
import { ZDatasetId, ZSourceName } from "@/server/services/datasets/schemas";
import { defineJob, ZJobWorkspace, type JobPayload } from "./define";

/** One match query: the canonical query and its result key. */
export const MATCH_RUN_JOB = defineJob("match:run", z.object({ key: ZMatchKey, query: ZMatchInput, workspaceId: ZJobWorkspace }));

/**
 * One time-range shard of a match query over a source larger than a worker's budget, in one
 * round ("levels" and "collect": fast mode's two rounds; "precise"). Enqueued by the fan-out and
 * by the merge of round 1, in the transaction that records them.
 */
export const MATCH_SHARD_JOB = defineJob(
  "match:shard",
  z.object({
    key: ZMatchKey,
    runId: z.string().min(1).max(64),
    round: z.enum(["levels", "collect", "precise"]),
    shard: z.number().int().min(0),
    start: z.number().int().min(0),
    end: z.number().int().min(1),
    /** Fast mode's stop level n* (collect round), else 0. */
    minLevel: z.number().int().min(0),
    query: ZMatchInput,
    workspaceId: ZJobWorkspace,
  }),
);
export type ShardJobPayload = JobPayload<typeof MATCH_SHARD_JOB>;

/**
 * Persist the on/off bit index of a source at a threshold (float32), queued after a match query
 * that had to read the floats because none was persisted there (job key per source and
 * threshold: one queued build; the build itself runs under an advisory lock and skips an index
 * that exists, so it happens once).
 */
export const MATCH_INDEX_JOB = defineJob(
  "match:index",
  z.object({ datasetId: ZDatasetId, source: ZSourceName, threshold: z.number().finite(), workspaceId: ZJobWorkspace }),
);

/**
 * Write the cell-major copy of a dataset's sources (`StateColumnChunk`: what a fast match at a
 * threshold never asked before reads), queued when an import or extraction is READY (job key per
 * dataset). Each source's copy is written under an advisory lock and skipped when it exists, so a
 * repeated or concurrent job never writes it twice; `match:index` writes it too when missing.
 */
export const MATCH_COLUMNS_JOB = defineJob("match:columns", z.object({ datasetId: ZDatasetId, workspaceId: ZJobWorkspace }));
