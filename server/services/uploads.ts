/**
 * Receiving an uploaded archive: streamed to a file under the data dir, with
 * the size limit enforced while streaming (the upload is cut off and the
 * partial file removed as soon as it passes the limit).
 */
import { randomBytes } from "node:crypto";
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
 * `tooLarge()` (and the sender is cut off), so nothing ever holds more than the limit. A declared
 * Content-Length over the limit fails at once, before a byte is read.
 */
export function limitStream(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  tooLarge: () => Error,
  declaredBytes?: number,
): ReadableStream<Uint8Array> {
  if (declaredBytes !== undefined && declaredBytes > maxBytes) {
    void body.cancel().catch(() => undefined);
    return new ReadableStream({ start: (c) => c.error(tooLarge()) });
  }
  let total = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        total += chunk.byteLength;
        if (total > maxBytes) c.error(tooLarge());
        else c.enqueue(chunk);
      },
    }),
  );
}

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
  const limited = limitStream(
    body,
    opts.maxBytes,
    () =>
      new AppError(
        "TOO_LARGE",
        opts.declaredBytes !== undefined && opts.declaredBytes > opts.maxBytes
          ? `"${opts.fileName}" is ${formatBytes(opts.declaredBytes)}; uploads are limited to ${formatBytes(opts.maxBytes)} (UPLOAD_MAX_BYTES)`
          : `"${opts.fileName}" is larger than the upload limit of ${formatBytes(opts.maxBytes)} (UPLOAD_MAX_BYTES)`,
      ),
    opts.declaredBytes,
  );
  fs.mkdirSync(opts.dir, { recursive: true });
  const file = path.join(opts.dir, `${Date.now()}-${randomBytes(6).toString("hex")}${ext}`);
  const out = fs.createWriteStream(file, { flags: "wx" });
  let bytes = 0;
  const reader = limited.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (!out.write(value)) await new Promise<void>((r) => out.once("drain", () => r()));
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (bytes === 0) throw new AppError("BAD_INPUT", `"${opts.fileName}" is empty`);
    return { path: file, bytes, fileName: opts.fileName };
  } catch (e) {
    out.destroy();
    await fs.promises.rm(file, { force: true });
    throw e;
  }
}
