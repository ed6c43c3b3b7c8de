/**
 * Findings (issue 17): the snapshot document's schema (it `satisfies` core's FindingSnapshot, the
 * renderer's input), the publish request and the summaries the app lists. Every string and array
 * is bounded.
 */
import { z } from "zod";
import { MAX_LAYERS, SNAPSHOT_FORMAT, SNAPSHOT_MAX_ROWS, SNAPSHOT_MAX_STEPS, type FindingSnapshot } from "@statescope/core";
import { ZEvidence } from "@/server/services/analysis/schemas";
import { ZDatasetId, ZSourceName } from "@/server/services/datasets/schemas";
import { ZFindingId } from "./ids";

export const ZVisibility = z.enum(["PRIVATE", "WORKSPACE", "UNLISTED", "PUBLIC"]);
export type Visibility = z.infer<typeof ZVisibility>;

const ZCell = z.number().int().min(0);
const ZCells = z.array(ZCell).max(4096, "at most 4096 cells");
const ZStep = z.number().int().min(0);
const ZRange = z.tuple([ZStep, ZStep]);
const ZPad = z.tuple([z.number().int().min(0).max(20, "padding is at most 20 steps"), z.number().int().min(0).max(20, "padding is at most 20 steps")]);
const ZThreshold = z.number().finite("threshold must be a finite number");
const ZMode = z.enum(["fast", "precise"]);
const ZToken = z.string().max(2000);
const ZName = z.string().max(300);

export const ZFindingTitle = z.string().trim().min(1, "title is empty").max(300, "title is longer than 300 characters");
/** Abstract-length Markdown. */
export const ZFindingAbstract = z.string().max(20_000, "the text is longer than 20000 characters");

// ---------------------------------------------------------------------------
// The snapshot document (format 1; format 2 adds match.evidence)

const ZSnapshotTrack = z.object({
  name: ZName,
  kind: z.enum(["discrete", "scalar", "wordvec"]),
  width: z.number().int().min(1).max(64),
  labels: z.array(z.tuple([z.number().int(), z.string().max(300)])).max(100_000).nullable(),
  colors: z.array(z.tuple([z.number().int(), z.string().max(40)])).max(10_000).nullable(),
  range: z.tuple([z.number(), z.number()]).nullable(),
  values: z.array(z.number()).max(SNAPSHOT_MAX_STEPS * 64),
  weights: z.array(z.number()).max(SNAPSHOT_MAX_STEPS * 64).nullable(),
  words: z.array(z.tuple([z.number().int(), ZToken])).max(SNAPSHOT_MAX_STEPS * 64).nullable(),
});

const ZSnapshotRow = z.object({
  pos: ZStep,
  length: z.number().int().min(1),
  I: z.number().int().min(0),
  U: z.number().int().min(0),
  from: z.number().int(),
  tokens: z.array(ZToken.nullable()).max(400),
  counts: z.array(z.number().int().nullable()).max(400),
  tracks: z.array(z.array(z.number().nullable()).max(400)).max(32),
});

export const ZFindingSnapshot = z.object({
  format: z.number().int().min(1).max(SNAPSHOT_FORMAT, `this server reads snapshots up to format ${SNAPSHOT_FORMAT}`),
  title: ZFindingTitle,
  abstract: ZFindingAbstract,
  authors: z.array(z.object({ name: z.string().min(1).max(200), member: z.boolean() })).min(1).max(50),
  dataset: z.object({
    name: ZName,
    description: z.string().max(20_000),
    citation: z.string().max(5_000),
    contentHash: z.string().regex(/^[0-9a-f]{64}$/),
    steps: z.number().int().min(1),
    separator: z.string().max(16),
  }),
  window: z.object({ from: ZStep, to: ZStep, tokens: z.array(ZToken).max(SNAPSHOT_MAX_STEPS) }),
  brush: ZRange,
  pad: ZPad,
  layers: z
    .array(
      z.object({
        source: ZSourceName,
        type: z.string().max(100).nullable(),
        layer: z.number().int().nullable(),
        transform: z.enum(["tanh", "none"]),
        cells: z.number().int().min(1).max(1_000_000),
        min: z.number(),
        max: z.number(),
        threshold: ZThreshold,
        selected: ZCells,
        added: ZCells,
        excluded: ZCells,
      }),
    )
    .min(1)
    .max(MAX_LAYERS),
  tracks: z.array(ZSnapshotTrack).max(32),
  match: z
    .object({
      layer: z.number().int().min(0).max(MAX_LAYERS - 1),
      mode: ZMode,
      length: z.number().int().min(0),
      k: z.number().int().min(1).max(SNAPSHOT_MAX_ROWS),
      before: z.number().int().min(0).max(200),
      after: z.number().int().min(0).max(200),
      cells: ZCells,
      threshold: ZThreshold,
      padLeft: z.number().int().min(0),
      padRight: z.number().int().min(0),
      tracks: z.array(ZName).max(32),
      rows: z.array(ZSnapshotRow).max(SNAPSHOT_MAX_ROWS),
      histograms: z.object({ all: z.record(z.string(), z.number()), strict: z.record(z.string(), z.number()) }),
      evidence: z.array(ZEvidence).optional(),
    })
    .nullable(),
}) satisfies z.ZodType<FindingSnapshot>;

// ---------------------------------------------------------------------------
// Publishing

export const ZAuthorInput = z.union([
  z.object({ userId: z.string().min(1).max(64) }),
  z.object({ name: z.string().trim().min(1, "an author's name is empty").max(200, "an author's name is longer than 200 characters") }),
]);
export type AuthorInput = z.infer<typeof ZAuthorInput>;

export const ZFindingLayerInput = z.object({
  source: ZSourceName,
  threshold: ZThreshold.default(0.3),
  /** The final selection; omitted: the selection rule's cells at the threshold, with the edits below. */
  cells: ZCells.optional(),
  added: ZCells.default([]),
  excluded: ZCells.default([]),
});

/** The view to pin: layers, brush [start, end) (absolute, half-open), padding and the match settings. */
export const ZFindingViewInput = z.object({
  layers: z.array(ZFindingLayerInput).min(1, "give at least one layer").max(MAX_LAYERS, `at most ${MAX_LAYERS} layers`),
  brush: ZRange,
  pad: ZPad.default([1, 0]),
  /** Which layer the match query runs on; null: publish without match results. */
  match: z
    .object({
      layer: z.number().int().min(0).max(MAX_LAYERS - 1).default(0),
      mode: ZMode.default("fast"),
      /** 0: any length ≥ 2. */
      length: z.number().int().min(0).max(10_000_000).default(0),
      k: z.number().int().min(1).max(SNAPSHOT_MAX_ROWS).default(SNAPSHOT_MAX_ROWS),
    })
    .nullable()
    .default({ layer: 0, mode: "fast", length: 0, k: SNAPSHOT_MAX_ROWS }),
});
export type FindingViewInput = z.input<typeof ZFindingViewInput>;

export const ZPublishInput = z.object({
  datasetId: ZDatasetId,
  /** Publish a new version of this finding (same id, next /v<n>). */
  findingId: ZFindingId.optional(),
  /** The hypothesis it comes from; its saved view is used when `view` is omitted. */
  hypothesisId: z.string().min(1).max(64).optional(),
  view: ZFindingViewInput.optional(),
  title: ZFindingTitle,
  abstract: ZFindingAbstract.default(""),
  /** In order; omitted: the publisher alone. */
  authors: z.array(ZAuthorInput).max(50, "at most 50 authors").optional(),
  /** Omitted: unlisted for a new finding, unchanged for a new version. */
  visibility: ZVisibility.optional(),
});
export type PublishInput = z.input<typeof ZPublishInput>;

export const ZPublishOutput = z.object({ findingId: ZFindingId, version: z.number().int().min(1), url: z.string() });
export type PublishOutput = z.infer<typeof ZPublishOutput>;

// ---------------------------------------------------------------------------
// What members see in the app

export const ZFindingSummary = z.object({
  id: ZFindingId,
  title: z.string(),
  visibility: ZVisibility,
  latestVersion: z.number().int(),
  datasetId: z.string().nullable(),
  datasetName: z.string(),
  hypothesisId: z.string().nullable(),
  authors: z.array(z.string()),
  publishedAt: z.date(),
  withdrawnAt: z.date().nullable(),
  url: z.string(),
  canManage: z.boolean(),
});
export type FindingSummary = z.infer<typeof ZFindingSummary>;

export const ZFindingListInput = z.object({
  datasetId: ZDatasetId.optional(),
  hypothesisId: z.string().min(1).max(64).optional(),
  limit: z.number().int().min(1).max(500).default(200),
});

export const ZFindingRef = z.object({ id: ZFindingId });
export const ZSetVisibility = z.object({ id: ZFindingId, visibility: ZVisibility });

export const ZDatasetMetaInput = z.object({
  datasetId: ZDatasetId,
  description: z.string().max(20_000, "the description is longer than 20000 characters").optional(),
  citation: z.string().max(5_000, "the citation is longer than 5000 characters").optional(),
});
export const ZDatasetMeta = z.object({ description: z.string(), citation: z.string(), contentHash: z.string().nullable() });
