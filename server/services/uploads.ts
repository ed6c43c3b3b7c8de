/**
 * Receiving an uploaded archive: streamed to a file under the data dir, with
 * the size limit enforced while streaming (the upload is cut off and the
 * partial file removed as soon as it passes the limit).
 */
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import fs from "node:fs";
import path from "node:path";
import { AppError } from "@statescope/core";

const ACCEPTED = [".zip", ".tar.gz", ".tgz", ".tar"] as const;

export interface ReceivedUpload {
  path: string;
  bytes: number;
  fileName: string;
}

/** The archive kind from the file name, or a BAD_INPUT error that lists what is accepted. */
export function archiveExtension(fileName: string): (typeof ACCEPTED)[number] {
  const lower = fileName.toLowerCase();
  const ext = ACCEPTED.find((e) => lower.endsWith(e));
  if (!ext) {
    throw new AppError("BAD_INPUT", `"${fileName}" is not an accepted archive: upload a project folder as ${ACCEPTED.join(", ")}`);
  }
  return ext;
}

function formatBytes(n: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/**
 * `body` with a size limit enforced while it streams: past `maxBytes` the stream fails with
 * `tooLarge()` and reading stops, so nothing ever holds more than the limit. A declared
 * Content-Length over the limit fails at once, before a byte is read.
 *
 * The source is left alone rather than cancelled: cancelling a request's body destroys its
 * socket, and the answer saying why could not be sent. The answer closes the connection instead
 * (`CLOSE_CONNECTION`), which stops the sender.
 */
export function limitStream(
  body: ReadableStream<Uint8Array>,
  opts: { maxBytes: number; tooLarge: () => Error; declaredBytes?: number | undefined; onEnd?: () => void },
): ReadableStream<Uint8Array> {
  const { maxBytes, tooLarge, declaredBytes } = opts;
  if (declaredBytes !== undefined && declaredBytes > maxBytes) return new ReadableStream({ start: (c) => c.error(tooLarge()) });
  const reader = body.getReader();
  let total = 0;
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      const { done, value } = await reader.read();
      if (done) {
        opts.onEnd?.();
        return c.close();
      }
      total += value.byteLength;
      if (total > maxBytes) {
        reader.releaseLock();
        c.error(tooLarge());
      } else c.enqueue(value);
    },
    cancel() {
      reader.releaseLock();
    },
  });
}

/** Response headers for an answer given before the request's body was read to its end. */
export const CLOSE_CONNECTION = { connection: "close" } as const;

/** The Content-Length a request declares, when it declares a sane one. */
export function declaredLength(headers: Headers): number | undefined {
  const v = headers.get("content-length");
  return v !== null && /^\d{1,16}$/.test(v) ? Number(v) : undefined;
}

export async function receiveUpload(
  body: ReadableStream<Uint8Array> | null,
  opts: { dir: string; maxBytes: number; fileName: string; declaredBytes?: number },
): Promise<ReceivedUpload> {
  if (!body) throw new AppError("BAD_INPUT", "the upload is empty: choose a .zip or .tar.gz file");
  const ext = archiveExtension(opts.fileName);
  const limited = limitStream(body, {
    maxBytes: opts.maxBytes,
    declaredBytes: opts.declaredBytes,
    tooLarge: () =>
      new AppError(
        "TOO_LARGE",
        opts.declaredBytes !== undefined && opts.declaredBytes > opts.maxBytes
          ? `"${opts.fileName}" is ${formatBytes(opts.declaredBytes)}; uploads are limited to ${formatBytes(opts.maxBytes)} (UPLOAD_MAX_BYTES)`
          : `"${opts.fileName}" is larger than the upload limit of ${formatBytes(opts.maxBytes)} (UPLOAD_MAX_BYTES)`,
      ),
  });
  fs.mkdirSync(opts.dir, { recursive: true });
  const file = path.join(opts.dir, `${Date.now()}-${randomBytes(6).toString("hex")}${ext}`);
  try {
    const bytes = await streamToFile(limited, file, "wx");
    if (bytes === 0) throw new AppError("BAD_INPUT", `"${opts.fileName}" is empty`);
    return { path: file, bytes, fileName: opts.fileName };
  } catch (e) {
    await fs.promises.rm(file, { force: true });
    throw e;
  }
}

/** A fresh file name for an upload of `fileName` under `dir` (its archive extension kept). */
export function uploadFilePath(dir: string, fileName: string): string {
  return path.join(dir, `${Date.now()}-${randomBytes(6).toString("hex")}${archiveExtension(fileName)}`);
}

/**
 * Writes `stream` to `file` ("wx": a new file; "a": appended), honouring back-pressure; returns
 * the bytes written. On failure the file is closed (what was written stays) and the error thrown.
 */
export async function streamToFile(stream: ReadableStream<Uint8Array>, file: string, flags: "wx" | "a", signal?: AbortSignal): Promise<number> {
  const out = fs.createWriteStream(file, { flags });
  // A write still in flight when the upload is cut off fails once the stream is destroyed; the
  // error is expected then, and must not become an uncaught exception that takes the process down.
  let writeError: Error | null = null;
  out.on("error", (e) => (writeError ??= e));
  let bytes = 0;
  const reader = stream.getReader();
  // a client that goes away mid-body may leave the read pending forever: the request's signal ends it
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new AppError("BAD_INPUT", "the connection closed before the body ended"));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    for (;;) {
      const { done, value } = signal ? await Promise.race([reader.read(), aborted]) : await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (!out.write(value)) await once(out, "drain");
      if (writeError) throw writeError;
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    return bytes;
  } catch (e) {
    // an append keeps what was written (a resumable upload continues from it) unless the file itself
    // failed; a new file is dropped by the caller, so it is closed at once
    const keep = flags === "a" && !writeError;
    if (!out.closed) await new Promise<void>((r) => (keep ? out.end() : out.destroy()).once("close", () => r()));
    throw e;
  } finally {
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
}
