import { z } from "zod";
import { MAX_STATE_WINDOW, ZDatasetId, ZMetaKind } from "./schemas";

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
