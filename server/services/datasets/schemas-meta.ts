import { z } from "zod";
import { MAX_STATE_WINDOW, ZCellList, ZDatasetId, ZMetaKind, ZSourceName } from "./schemas";

export { MAX_STATE_WINDOW };

export const ZMetaWindowInput = z
  .object({ datasetId: ZDatasetId, track: z.string().min(1).max(300), from: z.number().int().min(0), to: z.number().int().min(1) })
  .refine((v) => v.to > v.from && v.to - v.from <= MAX_STATE_WINDOW, { message: `need from < to and at most ${MAX_STATE_WINDOW} steps` });
export type MetaWindowInput = z.infer<typeof ZMetaWindowInput>;

export const ZMetaWindowOutput = z.object({
  track: z.string(),
  kind: ZMetaKind,
  from: z.number().int(),
  to: z.number().int(),
  width: z.number().int(),
  /** base64 LE: int32 ids (discrete, wordvec) or float32 (scalar), `width` per step. */
  data: z.string(),
  /** wordvec scores, base64 float32 LE, or null. */
  weights: z.string().nullable(),
  /**
   * wordvec tracks without a dictionary of their own hold token ids (e.g. the model's top-k
   * predictions): the words of the ids in this window, from the dataset's vocabulary. Else null.
   */
  words: z.array(z.object({ id: z.number().int(), word: z.string() })).max(MAX_STATE_WINDOW * 64).nullable(),
});
export type MetaWindowOutput = z.infer<typeof ZMetaWindowOutput>;

/** Step ranges per `dataset.windows` request: as many as a match query's results (K ≤ 500). */
export const MAX_WINDOW_RANGES = 500;
/** Steps per range: the Match view's context (before ≤ 200 + after ≤ 200). */
export const MAX_RANGE_STEPS = 400;
/** Values (steps × cells over all ranges) per request: 16 MiB of float32. */
export const MAX_WINDOW_VALUES = 4 * 1024 * 1024;

/**
 * Several step ranges of one source at once, each with its tokens, the selected cells' values
 * and the given tracks' rows: the Match view's result rows in one request.
 */
export const ZWindowsInput = z
  .object({
    datasetId: ZDatasetId,
    source: ZSourceName,
    /** Cell indices (0-based), in the order wanted. */
    cells: ZCellList.min(1, "select at least one cell"),
    /** Step ranges [from, to). */
    ranges: z
      .array(z.tuple([z.number().int().min(0), z.number().int().min(1)]))
      .min(1)
      .max(MAX_WINDOW_RANGES, `at most ${MAX_WINDOW_RANGES} ranges per request`)
      .refine((rs) => rs.every(([a, b]) => b > a && b - a <= MAX_RANGE_STEPS), { message: `every range needs from < to and at most ${MAX_RANGE_STEPS} steps` }),
    tracks: z.array(z.string().min(1).max(300)).max(64),
  })
  .refine((v) => v.ranges.reduce((n, [a, b]) => n + (b - a), 0) * v.cells.length <= MAX_WINDOW_VALUES, {
    message: `at most ${MAX_WINDOW_VALUES} values (steps of all ranges × cells) per request: ask for fewer ranges or cells`,
  });
export type WindowsInput = z.infer<typeof ZWindowsInput>;

export const ZWindowsOutput = z.object({
  /** Per range: its tokens. */
  tokens: z.array(z.array(z.string())),
  /** Per range: base64 float32 LE, row-major (to - from) × cells, as stored (no transform). */
  states: z.array(z.string()),
  /** Per requested track, per range. */
  tracks: z.array(z.array(ZMetaWindowOutput)),
});
export type WindowsOutput = z.infer<typeof ZWindowsOutput>;
