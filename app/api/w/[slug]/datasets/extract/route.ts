/**
 * Run a model over a text (issue 6): the multipart form described in
 * server/services/extract/form.ts; the model runs as a worker job whose progress the datasets
 * list shows. EDITOR role.
 */
import { env } from "@/server/env";
import { workspaceRoute } from "@/server/http/workspace-route";
import { startExtractionFromForm } from "@/server/services/extract/form";

export const POST = workspaceRoute("EDITOR", "model upload", async ({ req, db, actor, access }) => {
  const out = await startExtractionFromForm(db, req, { workspaceId: access.workspace.id, userId: actor.userId, maxBytes: env().UPLOAD_MAX_BYTES });
  return Response.json(out, { status: 202 });
});
