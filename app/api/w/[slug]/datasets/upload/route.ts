/**
 * Upload of an LSTMVis project folder or NumPy folder as .zip / .tar.gz.
 * The body is the raw file (streamed to disk with the size limit enforced
 * while streaming); the import then runs as a worker job whose progress the
 * datasets list shows. Needs the EDITOR role in the workspace.
 */
import path from "node:path";
import { AppError } from "@statescope/core";
import { dataDir, env } from "@/server/env";
import { workspaceRoute } from "@/server/http/workspace-route";
import { startImportFromUpload } from "@/server/services/datasets/datasets";
import { declaredLength, receiveUpload } from "@/server/services/uploads";

export const POST = workspaceRoute("EDITOR", "upload", async ({ req, db, actor, access }) => {
  const url = new URL(req.url);
  const fileName = (req.headers.get("x-file-name") ?? url.searchParams.get("fileName") ?? "").trim();
  if (!fileName) throw new AppError("BAD_INPUT", "the upload has no file name (x-file-name header)");
  const declared = declaredLength(req.headers);
  const upload = await receiveUpload(req.body, {
    dir: path.join(dataDir(), "uploads"),
    maxBytes: env().UPLOAD_MAX_BYTES,
    fileName: path.basename(fileName),
    ...(declared !== undefined ? { declaredBytes: declared } : {}),
  });
  const name = (url.searchParams.get("name") ?? "").trim() || path.basename(fileName).replace(/\.(zip|tar\.gz|tgz|tar)$/i, "");
  const { datasetId } = await startImportFromUpload(db, { workspaceId: access.workspace.id, userId: actor.userId, filePath: upload.path, name: name.slice(0, 200) });
  return Response.json({ datasetId }, { status: 202 });
});
