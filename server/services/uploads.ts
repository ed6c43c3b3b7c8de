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

export async function receiveUpload(
  body: ReadableStream<Uint8Array> | null,
  opts: { dir: string; maxBytes: number; fileName: string; declaredBytes?: number },
): Promise<ReceivedUpload> {
  if (!body) throw new AppError("BAD_INPUT", "the upload is empty: choose a .zip or .tar.gz file");
  const ext = archiveExtension(opts.fileName);
  if (opts.declaredBytes !== undefined && opts.declaredBytes > opts.maxBytes) {
    throw new AppError("TOO_LARGE", `"${opts.fileName}" is ${formatBytes(opts.declaredBytes)}; uploads are limited to ${formatBytes(opts.maxBytes)} (UPLOAD_MAX_BYTES)`);
  }
  fs.mkdirSync(opts.dir, { recursive: true });
  const file = path.join(opts.dir, `${Date.now()}-${randomBytes(6).toString("hex")}${ext}`);
  const out = fs.createWriteStream(file, { flags: "wx" });
  let bytes = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > opts.maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new AppError("TOO_LARGE", `"${opts.fileName}" is larger than the upload limit of ${formatBytes(opts.maxBytes)} (UPLOAD_MAX_BYTES)`);
      }
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
