/**
 * Several step ranges of one source at once, for the Match view's result rows: each range's
 * tokens, the selected cells' values and the heatmap tracks' rows, in one request and one
 * statement (readRowWindows; the members' annotations track beside it).
 */
import { AppError } from "@statescope/core";
import { pgPool, type Db } from "@/server/db/client";
import type { Audience } from "@/server/services/authz";
import { readRowWindows } from "@/server/storage/dataset-store";
import { readAnnotationTrack } from "@/server/services/records/annotations";
import { findSource, tokenText, type FoundSource } from "./datasets";
import { encodeTrackWindows } from "./meta-window";
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
  /** The source's floats when the caller holds them (readRowWindows then reads no state chunk). */
  decoded?: Float32Array | null,
): Promise<WindowsOutput> {
  const where = `dataset ${src.datasetId}: source ${src.name}`;
  for (const c of input.cells) if (c >= src.cells) throw new AppError("BAD_INPUT", `${where} has ${src.cells} cells, the request selected cell ${c}`);
  for (const [from, to] of input.ranges) {
    if (to > src.steps) throw new AppError("BAD_INPUT", `${where} has ${src.steps} steps: [${from}, ${to}) is out of range`);
  }
  const ds = { id: src.datasetId, steps: src.datasetSteps };
  // the members' annotations track (not stored in chunks) is read on its own, meanwhile (null: not it)
  const [read, annotations] = await Promise.all([
    readRowWindows(pgPool(db), ds, src, input.ranges, input.cells, input.tracks, decoded),
    audience === "members" ? Promise.all(input.tracks.map((name) => readAnnotationTrack(db, ds, name, input.ranges))) : [],
  ]);
  const tracks = input.tracks.map((name, i) => {
    const own = annotations[i];
    if (own) return own;
    const found = read.tracks.get(name);
    if (!found) throw new AppError("BAD_INPUT", `dataset ${ds.id} has no meta track ${JSON.stringify(name)}`);
    const { layout, rows } = found;
    return encodeTrackWindows(name, layout.width, rows, layout.kind === "wordvec" && !layout.labels ? read.vocab : null, input.ranges);
  });
  return { tokens: read.tokens.map((w) => Array.from(w, (id) => tokenText(read.vocab, id))), states: read.states.map(b64), tracks };
}
