import { createHash } from "node:crypto";
import { z } from "zod";
import { DEFAULT_K, MAX_K } from "@statescope/core";
import { ZCellList, ZDatasetId, ZSourceName } from "@/server/services/datasets/schemas";

export const ZMatchInput = z.object({
  datasetId: ZDatasetId,
  source: ZSourceName,
  cells: ZCellList.min(1, "select at least one cell"),
  threshold: z.number().finite("threshold must be a finite number").default(0.3),
  padLeft: z.number().int().min(0, "padding must be ≥ 0").max(10_000).default(1),
  padRight: z.number().int().min(0, "padding must be ≥ 0").max(10_000).default(0),
  mode: z.enum(["fast", "precise"]).default("fast"),
  /** 0: any run of length ≥ 2; L ≥ 2: exactly L. */
  length: z.number().int().min(0).max(10_000_000).default(0),
  k: z.number().int().min(1).max(MAX_K, `K is at most ${MAX_K}`).default(DEFAULT_K),
  before: z.number().int().min(0).max(200).default(3),
  after: z.number().int().min(0).max(200).default(20),
});
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

export const ZMatchOutcome = z.discriminatedUnion("status", [
  z.object({ status: z.literal("done"), key: z.string(), cached: z.boolean(), computeMs: z.number(), result: ZMatchResult }),
  z.object({ status: z.literal("pending"), key: z.string() }),
]);
export type MatchOutcome = z.infer<typeof ZMatchOutcome>;

export const ZMatchKey = z.string().regex(/^[0-9a-f]{64}$/, "not a match result key");

/** The canonical form of a query: what is hashed into the result key. */
export function canonicalQuery(q: MatchQueryInput) {
  return {
    datasetId: q.datasetId,
    source: q.source,
    cells: [...q.cells].sort((a, b) => a - b),
    threshold: Math.fround(q.threshold),
    padLeft: q.padLeft,
    padRight: q.padRight,
    mode: q.mode,
    length: q.length,
    k: q.k,
    before: q.before,
    after: q.after,
  };
}
export type CanonicalQuery = ReturnType<typeof canonicalQuery>;

/** Datasets are immutable once READY, so the dataset id is its version. */
export function matchKey(c: CanonicalQuery): string {
  return createHash("sha256").update(JSON.stringify(["match/v1", c])).digest("hex");
}
