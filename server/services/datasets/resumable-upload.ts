/**
 * Resumable uploads through the HTTP API: a client declares the file (name, size), then sends
 * its bytes in as many PATCH requests as it likes, each starting at the offset the server holds
 * (`Upload-Offset`). Whatever arrived before a connection broke is kept — the server counts the
 * bytes on disk, not the bytes a request promised — so a client asks for the offset and sends
 * only the rest. The last byte starts the import, exactly as the web upload's does
 * (`startImportFromUpload`); the same size limit and archive check apply (server/services/uploads.ts).
 */
import fs from "node:fs";
import { AppError } from "@statescope/core";
import type { Db } from "@/server/db/client";
import { archiveExtension, limitStream, streamToFile, uploadFilePath } from "../uploads";
import { startImportFromUpload } from "./datasets";

export interface UploadStatus {
  uploadId: string;
  fileName: string;
  totalBytes: number;
  received: number;
  /** Set once every byte arrived and the import was queued. */
  datasetId: string | null;
}

interface Row {
  id: string;
  fileName: string;
  name: string;
  totalBytes: bigint;
  received: bigint;
  path: string;
  datasetId: string | null;
}

const status = (r: Row): UploadStatus => ({ uploadId: r.id, fileName: r.fileName, totalBytes: Number(r.totalBytes), received: Number(r.received), datasetId: r.datasetId });

export async function createUpload(
  db: Db,
  input: { workspaceId: string; userId: string; tokenId: string; fileName: string; totalBytes: number; name?: string | undefined },
  opts: { dir: string; maxBytes: number },
): Promise<UploadStatus> {
  archiveExtension(input.fileName);
  if (input.totalBytes > opts.maxBytes) throw new AppError("TOO_LARGE", `"${input.fileName}" is ${input.totalBytes} bytes; uploads are limited to ${opts.maxBytes} bytes (UPLOAD_MAX_BYTES)`);
  fs.mkdirSync(opts.dir, { recursive: true });
  const file = uploadFilePath(opts.dir, input.fileName);
  await fs.promises.writeFile(file, new Uint8Array(0), { flag: "wx" });
  // empty: the import names the dataset (the project's own name, else the file's), as a local import does
  const name = (input.name ?? "").trim();
  const row = await db.apiUpload.create({
    data: { workspaceId: input.workspaceId, userId: input.userId, tokenId: input.tokenId, fileName: input.fileName, name: name.slice(0, 200), totalBytes: BigInt(input.totalBytes), path: file },
  });
  return status(row);
}

async function findUpload(db: Db, workspaceId: string, userId: string, uploadId: string): Promise<Row> {
  const row = await db.apiUpload.findFirst({ where: { id: uploadId, workspaceId, userId } });
  if (!row) throw new AppError("NOT_FOUND", `no upload ${uploadId} of yours in this workspace (uploads are kept until their import starts)`);
  return row;
}

export async function uploadStatus(db: Db, workspaceId: string, userId: string, uploadId: string): Promise<UploadStatus> {
  return status(await findUpload(db, workspaceId, userId, uploadId));
}

/** One append at a time per upload in this process (a second one at the same offset would interleave bytes). */
const busy = new Set<string>();

/**
 * Appends `body` at `offset` (which must be the bytes received so far: CONFLICT otherwise, naming
 * the right one). Returns the new status; the last byte queues the import.
 */
export async function appendUpload(
  db: Db,
  ref: { workspaceId: string; userId: string; uploadId: string },
  offset: number,
  body: ReadableStream<Uint8Array> | null,
  declaredBytes: number | undefined,
  signal?: AbortSignal,
): Promise<UploadStatus> {
  const row = await findUpload(db, ref.workspaceId, ref.userId, ref.uploadId);
  if (row.datasetId) throw new AppError("CONFLICT", `upload ${row.id} is complete (dataset ${row.datasetId})`);
  const received = Number(row.received);
  if (offset !== received) throw new AppError("CONFLICT", `upload ${row.id} has ${received} bytes; send the rest from Upload-Offset: ${received}`);
  if (!body) throw new AppError("BAD_INPUT", "the chunk is empty");
  if (busy.has(row.id)) throw new AppError("CONFLICT", `another request is appending to upload ${row.id}; wait for it, then ask for the offset`);
  busy.add(row.id);
  try {
    const room = Number(row.totalBytes) - received;
    const limited = limitStream(body, {
      maxBytes: room,
      declaredBytes,
      tooLarge: () => new AppError("TOO_LARGE", `upload ${row.id} declared ${row.totalBytes} bytes and has ${received}: this chunk is longer than the ${room} bytes left`),
    });
    let failure: unknown = null;
    try {
      await streamToFile(limited, row.path, "a", signal);
    } catch (e) {
      failure = e;
    }
    // the bytes on disk are what arrived, whether or not the request ended well
    let size = (await fs.promises.stat(row.path)).size;
    if (size > Number(row.totalBytes)) {
      await fs.promises.truncate(row.path, received);
      size = received;
    }
    const updated = await db.apiUpload.update({ where: { id: row.id }, data: { received: BigInt(size) } });
    if (failure) throw failure;
    if (size < Number(row.totalBytes)) return status(updated);
    const { datasetId } = await startImportFromUpload(db, { workspaceId: ref.workspaceId, userId: ref.userId, filePath: row.path, name: row.name || undefined });
    return status(await db.apiUpload.update({ where: { id: row.id }, data: { datasetId } }));
  } finally {
    busy.delete(row.id);
  }
}
