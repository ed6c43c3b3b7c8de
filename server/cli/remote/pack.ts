/**
 * Packs a project folder into a .tar.gz for `statescope import --server` (the HTTP API takes
 * archives, as the web upload does): regular files only, under the folder's own name, streamed
 * (a multi-GB states.h5 never sits in memory). The server unpacks it with the same hostile-input
 * checks as any upload.
 */
import { createReadStream } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { AppError } from "@statescope/core";
import { tarHeader } from "@statescope/formats";

async function* files(root: string, rel = ""): AsyncGenerator<{ rel: string; abs: string; size: number }> {
  const entries = await readdir(path.join(root, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    const abs = path.join(root, r);
    if (e.isDirectory()) yield* files(root, r);
    else if (e.isFile()) yield { rel: r, abs, size: (await lstat(abs)).size };
  }
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

async function* tar(dir: string): AsyncGenerator<Buffer> {
  const top = path.basename(path.resolve(dir));
  let count = 0;
  for await (const f of files(dir)) {
    count++;
    const name = `${top}/${f.rel}`;
    if (f.size > 8 ** 11 - 1) throw new AppError("TOO_LARGE", `${f.abs} is larger than a tar entry can hold (8 GiB)`);
    if (Buffer.byteLength(name) > 100) {
      const ln = Buffer.from(name + "\0");
      yield tarHeader("././@LongLink", ln.length, "L");
      yield ln;
      yield pad(ln.length);
    }
    yield tarHeader(name, f.size, "0");
    let sent = 0;
    for await (const chunk of createReadStream(f.abs)) {
      sent += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    if (sent !== f.size) throw new AppError("CONFLICT", `${f.abs} changed while it was packed`);
    yield pad(f.size);
  }
  if (count === 0) throw new AppError("BAD_INPUT", `${dir} has no files to import`);
  yield Buffer.alloc(1024);
}

/** Writes `dir` as a gzipped tar to `out`. */
export async function packFolder(dir: string, out: string): Promise<void> {
  await pipeline(Readable.from(tar(dir)), createGzip({ level: 1 }), createWriteStream(out));
}
