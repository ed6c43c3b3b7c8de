/**
 * The analysis contracts (issue 16): each kind's input, canonical query (what is hashed into the
 * result key) and result, declared once and used by the router, the worker job and the CLI.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { MAX_K } from "@statescope/core";
import { ZDatasetId, ZSourceName } from "@/server/services/datasets/schemas";

export const ZTrackName = z.string().min(1).max(300);
/** A label as the UI names it (e.g. the c-code demo's `in_comment` track has `yes` and `no`). */
export const ZLabelName = z.string().max(300);
const ZCell = z.number().int().min(0).max(1_000_000);

// ---- inputs ----------------------------------------------------------------

export const ZCellSearchInput = z.object({
  datasetId: ZDatasetId,
  source: ZSourceName,
  track: ZTrackName,
  /** Required for a discrete track (the label against the rest); must be absent or null for a scalar one. */
  label: ZLabelName.nullish(),
});
export type CellSearchInput = z.input<typeof ZCellSearchInput>;

export const MAX_EVIDENCE_RANGES = MAX_K;
export const ZMatchedRange = z.object({ pos: z.number().int().min(0), length: z.number().int().min(1).max(100_000_000) });

export const ZEvidenceInput = z.object({
  datasetId: ZDatasetId,
  source: ZSourceName,
  track: ZTrackName,
  /** The returned results' ranges (the top K of a match query). */
  ranges: z.array(ZMatchedRange).max(MAX_EVIDENCE_RANGES, `at most ${MAX_EVIDENCE_RANGES} ranges (a match returns at most K = ${MAX_K})`),
});
export type EvidenceInput = z.input<typeof ZEvidenceInput>;

/** Longest brushed range (plus padding) the guidance reads whole. */
export const MAX_GUIDE_WINDOW = 2000;

export const ZGuideInput = z.object({
  datasetId: ZDatasetId,
  source: ZSourceName,
  cells: z.array(ZCell).min(1, "select at least one cell").max(256, "at most 256 selected cells"),
  /** The brushed range [start, end). */
  brush: z.tuple([z.number().int().min(0), z.number().int().min(1)]),
  pad: z.tuple([z.number().int().min(0).max(1000), z.number().int().min(0).max(1000)]).default([1, 0]),
});
export type GuideInput = z.input<typeof ZGuideInput>;

export const MAX_PAIRS = 200;
export const ZCompareInput = z.object({
  datasetId: ZDatasetId,
  sourceA: ZSourceName,
  sourceB: ZSourceName,
  top: z.number().int().min(1).max(MAX_PAIRS).default(50),
});
export type CompareInput = z.input<typeof ZCompareInput>;

export const ZPartnersInput = z.object({
  datasetId: ZDatasetId,
  source: ZSourceName,
  cell: ZCell,
  /** The other source (the same one: partners within the layer). */
  other: ZSourceName,
});
export type PartnersInput = z.input<typeof ZPartnersInput>;

// ---- canonical queries (hashed into the key; carried by the job) -------------

export const ZCellsQuery = z.object({
  datasetId: z.string(),
  source: z.string(),
  track: z.string(),
  label: z.string().nullable(),
  /** Fingerprint of the members' annotations when the track is theirs (they change), else null. */
  trackVersion: z.string().nullable(),
});
export const ZGuideQuery = z.object({
  datasetId: z.string(),
  source: z.string(),
  cells: z.array(z.number().int()),
  brush: z.tuple([z.number().int(), z.number().int()]),
  pad: z.tuple([z.number().int(), z.number().int()]),
});
export const ZCompareQuery = z.object({ datasetId: z.string(), sourceA: z.string(), sourceB: z.string(), top: z.number().int() });
export const ZPartnersQuery = z.object({ datasetId: z.string(), source: z.string(), cell: z.number().int(), other: z.string() });

export const ZAnalysisQuery = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("cells"), query: ZCellsQuery }),
  z.object({ kind: z.literal("guide"), query: ZGuideQuery }),
  z.object({ kind: z.literal("compare"), query: ZCompareQuery }),
  z.object({ kind: z.literal("partners"), query: ZPartnersQuery }),
]);
export type AnalysisQuery = z.infer<typeof ZAnalysisQuery>;
export type AnalysisKind = AnalysisQuery["kind"];

/** Datasets are immutable once READY (annotations are versioned in the query): the key never goes stale. */
export function analysisKey(q: AnalysisQuery): string {
  return createHash("sha256").update(JSON.stringify(["analysis/v1", q.kind, q.query])).digest("hex");
}
export const ZAnalysisKey = z.string().regex(/^[0-9a-f]{64}$/, "not an analysis result key");

// ---- results -----------------------------------------------------------------

const num = z.number().nullable();

/** One cell's association (null: undefined, e.g. a constant cell's correlation). */
export const ZCellScore = z.object({
  cell: z.number().int(),
  auc: num.optional(),
  pointBiserial: num.optional(),
  r: num.optional(),
  rho: num.optional(),
});
export type CellScore = z.infer<typeof ZCellScore>;

/** Small distributions of a top cell's values: per label (discrete) or with the track's mean per bin (scalar). */
export const ZCellHistogram = z.object({
  cell: z.number().int(),
  edges: z.array(z.number()),
  /** discrete: one row per label (the track's labels in order); scalar: one row, all defined steps. */
  counts: z.array(z.array(z.number().int())),
  /** scalar: the track's mean over each bin's steps (null for an empty bin). */
  trackMean: z.array(num).optional(),
});

export const ZCellSearchResult = z.object({
  track: z.string(),
  label: z.string().nullable(),
  kind: z.enum(["discrete", "scalar"]),
  /** Steps where the track is missing (NaN / no label): left out of every statistic. */
  excluded: z.number().int(),
  /** Steps used. */
  steps: z.number().int(),
  /** discrete: steps carrying the label, and the rest. */
  positives: z.number().int().optional(),
  negatives: z.number().int().optional(),
  /** Every cell, strongest first: |AUC − 0.5| for a label, |r| for a scalar; ties by cell. */
  cells: z.array(ZCellScore),
  /** The labels, in the track's order, that `histograms` rows refer to (discrete). */
  labels: z.array(z.string()).optional(),
  histograms: z.array(ZCellHistogram),
});
export type CellSearchResult = z.infer<typeof ZCellSearchResult>;

export const ZLabelEvidenceOut = z.object({
  label: z.string(),
  matched: z.number().int(),
  total: z.number().int(),
  share: num,
  base: num,
  lift: num,
});
export const ZEvidence = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("discrete"),
    track: z.string(),
    matchedSteps: z.number().int(),
    matchedDefined: z.number().int(),
    definedSteps: z.number().int(),
    labels: z.array(ZLabelEvidenceOut),
  }),
  z.object({
    kind: z.literal("scalar"),
    track: z.string(),
    matchedSteps: z.number().int(),
    matchedDefined: z.number().int(),
    definedSteps: z.number().int(),
    mean: num,
    baseMean: num,
    histogram: z.object({ edges: z.array(z.number()), matched: z.array(z.number().int()), overall: z.array(z.number().int()) }),
  }),
]);
export type Evidence = z.infer<typeof ZEvidence>;

export const ZGuideResult = z.object({
  grid: z.object({ first: z.number().int(), mant: z.union([z.literal(1), z.literal(2), z.literal(5)]), exp: z.number().int(), count: z.number().int() }),
  /** Per grid threshold: candidate ranges (runs of length ≥ 2 with every selected cell on). */
  candidates: z.array(z.number().int()),
  /** Per grid threshold: cells of the source the selection rule picks for the brush. */
  picked: z.array(z.number().int()),
  /** Per grid threshold: the separation margin (see packages/core guidance `separation`). */
  margin: z.array(z.number()),
  suggested: z.number(),
  /** Each selected cell's distribution over the source and inside the brush, on `edges`. */
  edges: z.array(z.number()),
  cells: z.array(z.object({ cell: z.number().int(), overall: z.array(z.number().int()), range: z.array(z.number().int()) })),
});
export type GuideResult = z.infer<typeof ZGuideResult>;

export const ZCompareResult = z.object({
  sourceA: z.string(),
  sourceB: z.string(),
  pairs: z.array(z.object({ a: z.number().int(), b: z.number().int(), r: z.number(), sampleR: z.number() })),
  sampleSteps: z.number().int(),
  exactPairs: z.number().int(),
  margin: z.number(),
  maxError: z.number(),
  meanError: z.number(),
  maxZ: z.number(),
  truncated: z.boolean(),
});
export type CompareResult = z.infer<typeof ZCompareResult>;

export const ZPartnersResult = z.object({
  source: z.string(),
  cell: z.number().int(),
  other: z.string(),
  /** Every cell of the other source, strongest |r| first. */
  partners: z.array(z.object({ cell: z.number().int(), r: num })),
});
export type PartnersResult = z.infer<typeof ZPartnersResult>;

const base = { key: z.string(), phase: z.string(), percent: z.number(), error: z.string().nullable() };
const status = z.enum(["running", "done", "failed"]);
export const ZAnalysisStatus = z.discriminatedUnion("kind", [
  z.object({ ...base, kind: z.literal("cells"), status, result: ZCellSearchResult.nullable() }),
  z.object({ ...base, kind: z.literal("guide"), status, result: ZGuideResult.nullable() }),
  z.object({ ...base, kind: z.literal("compare"), status, result: ZCompareResult.nullable() }),
  z.object({ ...base, kind: z.literal("partners"), status, result: ZPartnersResult.nullable() }),
]);
export type AnalysisStatus = z.infer<typeof ZAnalysisStatus>;
