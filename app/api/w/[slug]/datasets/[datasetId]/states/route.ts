/**
 * A window of one source's states as raw bytes: GET ?source=…&from=…&to=… answers the float32
 * little-endian values of steps [from, to), all cells, row-major, with the shape in headers
 * (`x-statescope-cells`, `x-statescope-from`, `x-statescope-to`). VIEWER role, or a classroom
 * participant's session credential for this dataset (access.ts CLASSROOM_DATA).
 *
 * The same read as tRPC `dataset.states`, which carries base64 in JSON: this one exists for the
 * explorer's windows, because a plain URL can be preloaded from the page's <head> (the explore
 * page does, so the first window arrives while the scripts load), and because 650 cells × 256
 * steps are 665 KB of bytes the browser hands over as an ArrayBuffer, against 887 KB of base64
 * to parse and decode on the page's main thread. Errors are JSON, as from the upload routes.
 */
import { AppError } from "@statescope/core";
import { workspaceRoute } from "@/server/http/workspace-route";
import { readStates } from "@/server/services/datasets/datasets";
import { ZStatesInput } from "@/server/services/datasets/schemas";

function intParam(q: URLSearchParams, name: string): number {
  const v = q.get(name);
  if (v === null || !/^\d{1,15}$/.test(v)) throw new AppError("BAD_INPUT", `"${name}" must be a whole number ≥ 0 (got ${v === null ? "nothing" : JSON.stringify(v.slice(0, 40))})`);
  return Number(v);
}

export const GET = workspaceRoute<{ slug: string; datasetId: string }>("VIEWER", "states read", async ({ req, params, db, access }) => {
  const q = new URL(req.url).searchParams;
  const parsed = ZStatesInput.safeParse({ datasetId: params.datasetId, source: q.get("source") ?? "", from: intParam(q, "from"), to: intParam(q, "to") });
  if (!parsed.success) throw new AppError("BAD_INPUT", parsed.error.issues.map((i) => `${i.path.join(".") || "window"}: ${i.message}`).join("; "));
  const w = await readStates(db, access.workspace.id, parsed.data);
  return new Response(new Uint8Array(w.values.buffer as ArrayBuffer, w.values.byteOffset, w.values.byteLength), {
    headers: {
      "content-type": "application/octet-stream",
      // a stored source never changes; private: it is one member's read
      "cache-control": "private, max-age=3600",
      "x-statescope-cells": String(w.cellCount),
      "x-statescope-from": String(w.from),
      "x-statescope-to": String(w.to),
    },
  });
}, { classroomData: true });
