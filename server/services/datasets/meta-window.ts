/**
 * Meta track rows by step range, for the explorer: the tracks under the tokens and the
 * Match view's heatmaps. Kept apart from datasets.ts so the two can evolve independently.
 */
import { AppError } from "@statescope/core";
import { pgPool, type Db } from "@/server/db/client";
import { readMetaWindow, readVocabulary } from "@/server/storage/dataset-store";
import { MAX_STATE_WINDOW, type MetaWindowInput, type MetaWindowOutput } from "./schemas-meta";
import { readAnnotationTrack } from "@/server/services/records/annotations";

const b64 = (a: Float32Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");

export async function readMetaEncoded(db: Db, workspaceId: string, input: MetaWindowInput): Promise<MetaWindowOutput> {
  const ds = await db.dataset.findUnique({ where: { id: input.datasetId }, select: { id: true, workspaceId: true, status: true, steps: true } });
  if (!ds || ds.workspaceId !== workspaceId) throw new AppError("NOT_FOUND", `dataset ${input.datasetId} does not exist`);
  if (ds.status !== "READY") throw new AppError("CONFLICT", `dataset ${ds.id} is not ready: it has no data to read`);
  // Issue 7: the members' "annotations" track is read from the Annotation rows, not MetaChunks.
  const annotations = await readAnnotationTrack(db, ds, input);
  if (annotations) return annotations;
  const track = await db.metaTrack.findUnique({
    where: { datasetId_name: { datasetId: ds.id, name: input.track } },
    select: { id: true, kind: true, width: true, chunkRows: true, hasWeights: true, labels: true },
  });
  if (!track) throw new AppError("BAD_INPUT", `dataset ${ds.id} has no meta track ${JSON.stringify(input.track)}`);
  const from = input.from;
  const to = Math.min(input.to, ds.steps);
  if (from >= to) throw new AppError("BAD_INPUT", `dataset ${ds.id} has ${ds.steps} steps: [${input.from}, ${input.to}) is out of range`);
  if (to - from > MAX_STATE_WINDOW) throw new AppError("TOO_LARGE", `at most ${MAX_STATE_WINDOW} steps per request, asked for ${to - from}`);
  const kind = track.kind === "scalar" || track.kind === "wordvec" ? track.kind : "discrete";
  const rows = await readMetaWindow(pgPool(db), { ...track, kind }, ds.steps, from, to);
  if (rows.kind === "wordvec") {
    const vocab = track.labels === null ? await readVocabulary(pgPool(db), ds.id, rows.ids) : null;
    const words = vocab ? Array.from(vocab, ([id, word]) => ({ id, word })) : null;
    return { track: input.track, kind, from, to, width: rows.width, data: b64(rows.ids), weights: rows.weights ? b64(rows.weights) : null, words };
  }
  return { track: input.track, kind, from, to, width: track.width, data: b64(rows.values), weights: null, words: null };
}
