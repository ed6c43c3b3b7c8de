/**
 * `statescope import --server`: the archive goes up through the resumable upload of the HTTP API
 * in chunks; when the connection breaks, the client asks the server how many bytes it holds and
 * sends only the rest (backing off between tries). Progress on stderr.
 */
import { open, stat } from "node:fs/promises";
import path from "node:path";
import { isAppError } from "@statescope/core";
import { ApiClient, NetworkError, sleep } from "./client";

export const UPLOAD_CHUNK_BYTES = 8 * 1024 * 1024;
const MAX_TRIES = 8;

interface UploadStatus {
  uploadId: string;
  totalBytes: number;
  received: number;
  datasetId: string | null;
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** Worth another try: no answer, a conflict over the offset, the server busy or failing. */
function retryable(e: unknown): boolean {
  return e instanceof NetworkError || (isAppError(e) && (e.code === "CONFLICT" || e.code === "TOO_MANY_REQUESTS" || e.code === "INTERNAL"));
}

/** Uploads `file`; resolves with the dataset id once the server queued its import. */
export async function uploadArchive(
  client: ApiClient,
  file: string,
  opts: { name?: string | undefined; note: (l: string) => void; signal?: AbortSignal; chunkBytes?: number },
): Promise<string> {
  const size = (await stat(file)).size;
  const chunk = opts.chunkBytes ?? UPLOAD_CHUNK_BYTES;
  let s = await client.json<UploadStatus>("POST", client.ws("/uploads"), { json: { fileName: path.basename(file), size, ...(opts.name ? { name: opts.name } : {}) } });
  const fh = await open(file, "r");
  let shown = -1;
  const progress = () => {
    const pct = Math.floor((100 * s.received) / size);
    if (pct === shown) return;
    shown = pct;
    opts.note(`uploading: ${pct}% (${mib(s.received)} of ${mib(size)})`);
  };
  try {
    let tries = 0;
    while (!s.datasetId) {
      progress();
      const n = Math.min(chunk, size - s.received);
      const buf = Buffer.alloc(n);
      await fh.read(buf, 0, n, s.received);
      try {
        s = await client.json<UploadStatus>("PATCH", client.ws(`/uploads/${s.uploadId}`), {
          body: buf,
          headers: { "upload-offset": String(s.received), "content-type": "application/offset+octet-stream" },
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        tries = 0;
      } catch (e) {
        if (!retryable(e) || ++tries >= MAX_TRIES || opts.signal?.aborted) throw e;
        const wait = Math.min(30_000, 500 * 2 ** (tries - 1));
        opts.note(`upload interrupted (${e instanceof Error ? e.message : String(e)}); resuming in ${(wait / 1000).toFixed(1)} s`);
        await sleep(wait, opts.signal);
        s = await resumePoint(client, s.uploadId, opts.signal);
        opts.note(`resuming at ${mib(s.received)} (the server holds those bytes)`);
      }
    }
    progress();
    return s.datasetId;
  } finally {
    await fh.close();
  }
}

/** The server's view of the upload, asked until it answers. */
async function resumePoint(client: ApiClient, uploadId: string, signal?: AbortSignal): Promise<UploadStatus> {
  for (let tries = 1; ; tries++) {
    try {
      return await client.json<UploadStatus>("GET", client.ws(`/uploads/${uploadId}`));
    } catch (e) {
      if (!retryable(e) || tries >= MAX_TRIES || signal?.aborted) throw e;
      await sleep(Math.min(30_000, 500 * 2 ** tries), signal);
    }
  }
}
