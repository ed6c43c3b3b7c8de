import { createHash } from "node:crypto";
import { z } from "zod";
import { MATCH_DEFAULTS, MATCH_MODES, MAX_K, type MatchQuery } from "@statescope/core";
import { ZCellList, ZDatasetId, ZSourceName } from "@/server/services/datasets/schemas";
import { ZWindowsOutput } from "@/server/services/datasets/schemas-meta";

const d = MATCH_DEFAULTS;

/**
 * Core's `MatchQuery` with its bounds: the one schema of the query's fields. Every other copy
 * (the API input, job payloads, saved hypotheses' freeze options, the browser's query type) is
 * built from it or inferred; the type-level test in ./query-contract.test.ts keeps it equal to core's type.
 */
export const ZMatchQuery = z.object({
  cells: ZCellList.min(1, "select at least one cell"),
  threshold: z.number().finite("threshold must be a finite number").default(d.threshold),
  padLeft: z.number().int().min(0, "padding must be ≥ 0").max(10_000).default(d.padLeft),
  padRight: z.number().int().min(0, "padding must be ≥ 0").max(10_000).default(d.padRight),
  mode: z.enum(MATCH_MODES).default(d.mode),
  /** 0: any run of length ≥ 2; L ≥ 2: exactly L. */
  length: z.number().int().min(0).max(10_000_000).default(d.length),
  k: z.number().int().min(1).max(MAX_K, `K is at most ${MAX_K}`).default(d.k),
  before: z.number().int().min(0).max(200).default(d.before),
  after: z.number().int().min(0).max(200).default(d.after),
}) satisfies z.ZodType<MatchQuery, MatchQuery>;

/** A match query over one stored source: which source, then the query (this order is hashed into the result key). */
export const ZMatchInput = z.object({ datasetId: ZDatasetId, source: ZSourceName, ...ZMatchQuery.shape });
export type MatchInput = z.input<typeof ZMatchInput>;
export type MatchQueryInput = z.output<typeof ZMatchInput>;

export const ZMatchHit = z.object({
  pos: z.number().int(),
  length: z.number().int(),
  I: z.number().int(),
  U: z.number().int(),
  counts: z.array(z.number().int().nullable()),
});

export const ZMatchResult = z.object({
  results: z.array(ZMatchHit),
  histograms: z.object({ all: z.record(z.string(), z.number()), strict: z.record(z.string(), z.number()) }),
});
export type MatchResultOut = z.infer<typeof ZMatchResult>;

const ZMatchDone = z.object({ status: z.literal("done"), key: z.string(), cached: z.boolean(), computeMs: z.number(), result: ZMatchResult });
const ZMatchPending = z.object({ status: z.literal("pending"), key: z.string() });
export const ZMatchOutcome = z.discriminatedUnion("status", [ZMatchDone, ZMatchPending]);
export type MatchOutcome = z.infer<typeof ZMatchOutcome>;

/**
 * The result rows a caller wants read with a match: the Match view's row layout (core's
 * `resultRows`) and the tracks it draws as heatmaps.
 */
export const ZMatchRowsRequest = z.object({
  before: z.number().int().min(0).max(100),
  after: z.number().int().min(1).max(200),
  align: z.enum(["start", "end"]),
  tracks: z.array(z.string().min(1).max(300)).max(64),
});
export type MatchRowsRequest = z.infer<typeof ZMatchRowsRequest>;

/** `match.run`: a query, optionally with the result rows to read along (one request per click). */
export const ZMatchRunInput = ZMatchInput.extend({ rows: ZMatchRowsRequest.optional() });
export type MatchRunInput = z.input<typeof ZMatchRunInput>;

/** {@link ZMatchOutcome}, a done one with the rows' ranges and their windows when they were asked for and could be read. */
export const ZMatchRunOutcome = z.discriminatedUnion("status", [
  ZMatchDone.extend({ rows: z.object({ ranges: z.array(z.tuple([z.number().int(), z.number().int()])), windows: ZWindowsOutput }).optional() }),
  ZMatchPending,
]);
export type MatchRunOutcome = z.infer<typeof ZMatchRunOutcome>;

export const ZMatchKey = z.string().regex(/^[0-9a-f]{64}$/, "not a match result key");

/** The canonical form of a query: cells sorted, the threshold as float32 (what the engine compares). */
export function canonicalQuery(q: MatchQueryInput): MatchQueryInput {
  return { ...q, cells: [...q.cells].sort((a, b) => a - b), threshold: Math.fround(q.threshold) };
}
/** A query after {@link canonicalQuery}: what job payloads carry and the result store keeps. */
export type CanonicalQuery = MatchQueryInput;

/** The fields in hash order (the schema's), whatever order an object was built in. */
const KEY_FIELDS = Object.keys(ZMatchInput.shape);

/** Datasets are immutable once READY, so the dataset id is its version. */
export function matchKey(c: CanonicalQuery): string {
  return createHash("sha256").update(JSON.stringify(["match/v1", c], KEY_FIELDS)).digest("hex");
}
