import { z } from "zod";

export const ZTransform = z.enum(["tanh", "none"]);
export const ZMetaKind = z.enum(["discrete", "scalar", "wordvec"]);
export const ZDatasetStatus = z.enum(["IMPORTING", "READY", "FAILED"]);
export const ZDatasetId = z.string().trim().min(1).max(64);
export const ZDatasetName = z.string().trim().min(1).max(200);
/** A source name exactly as printed by `import --json` (`states::states1`, a NumPy stem). */
export const ZSourceName = z.string().min(1).max(300);

/** Most cells one request may name. */
export const MAX_CELLS = 4096;
/**
 * Cell indices as every request names them: whole numbers ≥ 0, at most MAX_CELLS, each once (a
 * repeated cell only repeats its data in the answer: 3,000 copies of one cell made a 32 MB one).
 */
export const ZCellList = z
  .array(z.number().int("cells are integers").min(0, "cells are ≥ 0"))
  .max(MAX_CELLS, `at most ${MAX_CELLS} cells`)
  .superRefine((cells, ctx) => {
    const seen = new Set<number>();
    for (const c of cells) {
      if (seen.has(c)) {
        ctx.addIssue({ code: "custom", message: `cell ${c} is listed more than once: name each cell once` });
        return;
      }
      seen.add(c);
    }
  });

/** The `import --json` shape (and the job's result). */
export const ZImportResult = z.object({
  datasetId: z.string(),
  name: z.string(),
  steps: z.number().int(),
  vocabularySize: z.number().int(),
  sources: z.array(
    z.object({ name: z.string(), steps: z.number().int(), cells: z.number().int(), transform: ZTransform, min: z.number(), max: z.number() }),
  ),
  metaTracks: z.array(z.object({ name: z.string(), kind: ZMetaKind, labels: z.array(z.string()).optional() })),
  warnings: z.array(z.string()),
});
export type ImportResult = z.infer<typeof ZImportResult>;

/** What is kept in `Dataset.report`: the CLI JSON plus the details behind the warnings. */
export const ZImportReport = ZImportResult.extend({
  format: z.enum(["lstmvis", "numpy", "model"]),
  wordSequenceLength: z.number().int(),
  /** Set when the states were shorter than the word sequence. */
  truncation: z.object({ wordSequenceLength: z.number().int(), steps: z.number().int() }).nullable(),
  unknownIds: z.object({ count: z.number().int(), distinct: z.number().int(), examples: z.array(z.number().int()) }),
});
export type ImportReport = z.infer<typeof ZImportReport>;

export const ZHistogram = z.object({ edges: z.array(z.number()), counts: z.array(z.number()) });

export const ZSourceSummary = z.object({
  name: z.string(),
  type: z.string().nullable(),
  layer: z.number().int().nullable(),
  transform: ZTransform,
  unsigned: z.boolean(),
  steps: z.number().int(),
  cells: z.number().int(),
  min: z.number(),
  max: z.number(),
  mean: z.number(),
  std: z.number(),
  histogram: ZHistogram,
});
export type SourceSummary = z.infer<typeof ZSourceSummary>;

export const ZTrackSummary = z.object({
  name: z.string(),
  kind: ZMetaKind,
  width: z.number().int(),
  /** `color`: the label's own colour (the members' annotation categories), else the palette's. */
  labels: z.array(z.object({ id: z.number().int(), label: z.string(), color: z.string().optional() })).nullable(),
  /** The display range: the one the project declared, else a scalar track's smallest and largest value. */
  range: z.union([z.literal("dict"), z.tuple([z.number(), z.number()])]).nullable(),
  hasWeights: z.boolean(),
});
export type TrackSummary = z.infer<typeof ZTrackSummary>;

export const ZDatasetListItem = z.object({
  id: z.string(),
  name: z.string(),
  format: z.string(),
  status: ZDatasetStatus,
  steps: z.number().int(),
  vocabularySize: z.number().int(),
  phase: z.string(),
  percent: z.number(),
  error: z.string().nullable(),
  createdAt: z.date(),
  readyAt: z.date().nullable(),
});
export type DatasetListItem = z.infer<typeof ZDatasetListItem>;

export const ZDatasetDetail = ZDatasetListItem.extend({
  description: z.string(),
  regexSearch: z.boolean(),
  separator: z.string(),
  report: ZImportReport.nullable(),
  sources: z.array(ZSourceSummary),
  metaTracks: z.array(ZTrackSummary),
});
export type DatasetDetail = z.infer<typeof ZDatasetDetail>;

export const ZImportProgress = z.object({
  id: z.string(),
  status: ZDatasetStatus,
  phase: z.string(),
  percent: z.number(),
  error: z.string().nullable(),
  cancelRequested: z.boolean(),
});
export type ImportProgress = z.infer<typeof ZImportProgress>;

export const MAX_TOKEN_WINDOW = 5000;
export const MAX_STATE_WINDOW = 2000;
export const MAX_SEARCH_RESULTS = 500;

export const ZTokensInput = z
  .object({ datasetId: ZDatasetId, from: z.number().int().min(0), to: z.number().int().min(1) })
  .refine((v) => v.to > v.from && v.to - v.from <= MAX_TOKEN_WINDOW, { message: `need from < to and at most ${MAX_TOKEN_WINDOW} tokens` });
export const ZTokensOutput = z.object({ from: z.number().int(), to: z.number().int(), ids: z.array(z.number().int()), tokens: z.array(z.string()) });
export type TokensOutput = z.infer<typeof ZTokensOutput>;

export const ZSearchInput = z.object({
  datasetId: ZDatasetId,
  query: z.string().min(1).max(500),
  mode: z.enum(["phrase", "regex"]).default("phrase"),
  ignoreCase: z.boolean().default(false),
  /** Only matches starting at or after this step (for "next match"). */
  from: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(MAX_SEARCH_RESULTS).default(100),
});
export type SearchInput = z.infer<typeof ZSearchInput>;
export const ZSearchOutput = z.object({
  /** Matches found from `from` on, counted up to `countLimit`. */
  total: z.number().int(),
  countLimit: z.number().int(),
  /** Up to `limit` matches: steps [from, to) covered by the match. */
  matches: z.array(z.object({ from: z.number().int(), to: z.number().int() })),
});
export type SearchOutput = z.infer<typeof ZSearchOutput>;

export const ZStatesInput = z
  .object({
    datasetId: ZDatasetId,
    source: ZSourceName,
    from: z.number().int().min(0),
    to: z.number().int().min(1),
    /** Cell indices (0-based), in the order wanted; all cells when omitted. */
    cells: ZCellList.min(1, "select at least one cell").optional(),
  })
  .refine((v) => v.to > v.from && v.to - v.from <= MAX_STATE_WINDOW, { message: `need from < to and at most ${MAX_STATE_WINDOW} steps` });
export type StatesInput = z.infer<typeof ZStatesInput>;
export const ZStatesOutput = z.object({
  source: z.string(),
  from: z.number().int(),
  to: z.number().int(),
  /** The selected cells, or null for all `cellCount` cells. */
  cells: z.array(z.number().int()).nullable(),
  cellCount: z.number().int(),
  transform: ZTransform,
  /** Stored (raw) values: base64 of float32 little-endian, row-major (to - from) × width. */
  data: z.string(),
});
export type StatesOutput = z.infer<typeof ZStatesOutput>;
