/**
 * Upload of an LSTMVis project folder or NumPy folder as .zip / .tar.gz.
 * The body is the raw file (streamed to disk with the size limit enforced
 * while streaming); the import then runs as a worker job whose progress the
 * datasets list shows. Needs the EDITOR role in the workspace.
 */
import path from "node:path";
import { AppError } from "@statescope/core";
import { errorResponse } from "@/app/_lib/route-errors";
import { currentUserId } from "@/server/auth";
import { db } from "@/server/db/client";
import { dataDir, env } from "@/server/env";
import { requireRole } from "@/server/services/authz";
import { startImportFromUpload } from "@/server/services/datasets/datasets";
import { receiveUpload } from "@/server/services/uploads";


export async function POST(req: Request, { params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  try {
    const userId = await currentUserId();
    if (!userId) throw new AppError("UNAUTHENTICATED", "you are not signed in: sign in and try again");
    const access = await requireRole(db(), { userId }, slug, "EDITOR");
    const url = new URL(req.url);
    const fileName = (req.headers.get("x-file-name") ?? url.searchParams.get("fileName") ?? "").trim();
    if (!fileName) throw new AppError("BAD_INPUT", "the upload has no file name (x-file-name header)");
    const declared = Number(req.headers.get("content-length") ?? NaN);
    const upload = await receiveUpload(req.body, {
      dir: path.join(dataDir(), "uploads"),
      maxBytes: env().UPLOAD_MAX_BYTES,
      fileName: path.basename(fileName),
      ...(Number.isFinite(declared) ? { declaredBytes: declared } : {}),
    });
    const name = (url.searchParams.get("name") ?? "").trim() || path.basename(fileName).replace(/\.(zip|tar\.gz|tgz|tar)$/i, "");
    const { datasetId } = await startImportFromUpload(db(), { workspaceId: access.workspace.id, userId, filePath: upload.path, name: name.slice(0, 200) });
    return Response.json({ datasetId }, { status: 202 });
  } catch (e) {
    return errorResponse(e, "upload");
  }
}
