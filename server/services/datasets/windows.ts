/**
 * Several step ranges of one source at once, for the Match view's result rows: each range's
 * tokens, the selected cells' values and the heatmap tracks' rows, in one request and one query
 * per table (instead of a request per row and kind).
 */
import { AppError } from "@statescope/core";
import { pgPool, type Db } from "@/server/db/client";
import type { Audience } from "@/server/services/authz";
import { readStateWindows, readTokenIdWindows, readVocabulary } from "@/server/storage/dataset-store";
import { findSource, tokenText, type FoundSource } from "./datasets";
import { readTrackWindows } from "./meta-window";
import type { WindowsInput, WindowsOutput } from "./schemas-meta";

const b64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");

export async function readWindows(db: Db, workspaceId: string, input: WindowsInput, audience: Audience = "members"): Promise<WindowsOutput> {
  return readSourceWindows(db, await findSource(db, workspaceId, input.datasetId, input.source), input, audience);
}

/** {@link readWindows} of a source already found (in the caller's workspace). */
export async function readSourceWindows(
  db: Db,
  src: FoundSource,
  input: Pick<WindowsInput, "cells" | "ranges" | "tracks">,
  audience: Audience = "members",
): Promise<WindowsOutput> {
  const where = `dataset ${src.datasetId}: source ${src.name}`;
  for (const c of input.cells) if (c >= src.cells) throw new AppError("BAD_INPUT", `${where} has ${src.cells} cells, the request selected cell ${c}`);
  for (const [from, to] of input.ranges) {
    if (to > src.steps) throw new AppError("BAD_INPUT", `${where} has ${src.steps} steps: [${from}, ${to}) is out of range`);
  }
  const pool = pgPool(db);
  const ds = { id: src.datasetId, steps: src.datasetSteps };
  const [ids, states, tracks] = await Promise.all([
    readTokenIdWindows(pool, ds.id, ds.steps, input.ranges),
    readStateWindows(pool, src, input.ranges, input.cells),
    Promise.all(input.tracks.map((name) => readTrackWindows(db, ds, name, input.ranges, audience))),
  ]);
  const vocab = await readVocabulary(pool, ds.id, ids.flatMap((w) => Array.from(w)));
  return { tokens: ids.map((w) => Array.from(w, (id) => tokenText(vocab, id))), states: states.map(b64), tracks };
}
