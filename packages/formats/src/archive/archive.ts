import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, open, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { once } from "node:events";
import { createGunzip, createInflateRaw, crc32 } from "node:zlib";
import { Readable } from "node:stream";
import { AppError } from "@statescope/core";

/** Limits applied while extracting an uploaded archive. */
export interface ExtractLimits {
  /** Entries (files + directories). */
  maxEntries: number;
  /** Total bytes written. */
  maxTotalBytes: number;
  /** Total bytes written may not exceed maxRatio x archive size (zip bombs)… */
  maxRatio: number;
  /** …unless they stay below this floor (small text files compress very well). */
  ratioFloorBytes: number;
}

export const DEFAULT_EXTRACT_LIMITS: Readonly<ExtractLimits> = {
  maxEntries: 10_000,
  maxTotalBytes: 32 * 1024 ** 3,
  maxRatio: 100,
  ratioFloorBytes: 64 * 1024 ** 2,
};

export type ArchiveKind = "zip" | "tar.gz" | "tar";

export interface ExtractResult {
  /** The folder holding the extracted files. */
  dir: string;
  kind: ArchiveKind;
  entries: number;
  bytes: number;
  /** Removes `dir` and everything in it. */
  cleanup(): Promise<void>;
}

export interface ExtractOptions {
  /** Extract here (must not exist or be empty); default: a new folder under the system temp dir. */
  dest?: string;
  limits?: Partial<ExtractLimits>;
  signal?: AbortSignal;
}

/** Recognises an archive from its first 512 bytes. */
export function detectArchiveKind(head: Uint8Array): ArchiveKind | null {
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5) && (head[3] === 4 || head[3] === 6)) return "zip";
  if (head[0] === 0x1f && head[1] === 0x8b) return "tar.gz";
  if (head.length >= 262 && Buffer.from(head.subarray(257, 262)).toString("latin1") === "ustar") return "tar";
  return null;
}

/**
 * Normalises an entry name to a safe relative path ("" for the root itself).
 * Absolute paths, drive letters, `..` components and NUL bytes are BAD_INPUT.
 */
export function safeEntryPath(name: string, label: string): string {
  const bad = (why: string): never => {
    throw new AppError("BAD_INPUT", `${label}: entry ${JSON.stringify(name.slice(0, 200))} ${why}`);
  };
  if (name.includes("\0")) bad("contains a NUL byte");
  if (name.startsWith("/") || /^[a-zA-Z]:/.test(name)) bad("has an absolute path");
  const parts: string[] = [];
  for (const p of name.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") bad("escapes the archive (path traversal with ..)");
    parts.push(p);
  }
  return parts.join("/");
}

class Extractor {
  entries = 0;
  bytes = 0;
  private readonly allowed: number;
  constructor(
    readonly dir: string,
    readonly label: string,
    readonly limits: ExtractLimits,
    archiveBytes: number,
    readonly signal?: AbortSignal,
  ) {
    this.allowed = Math.min(limits.maxTotalBytes, Math.max(limits.ratioFloorBytes, limits.maxRatio * archiveBytes));
  }

  countEntry(name: string): void {
    if (++this.entries > this.limits.maxEntries) {
      throw new AppError("TOO_LARGE", `${this.label}: more than ${this.limits.maxEntries} entries (at ${JSON.stringify(name)})`);
    }
  }

  /** Accounts for `n` more output bytes of entry `name`. */
  grow(n: number, name: string): void {
    this.bytes += n;
    if (this.bytes > this.allowed) {
      const why =
        this.bytes > this.limits.maxTotalBytes
          ? `expands to more than ${this.limits.maxTotalBytes} bytes`
          : `expands more than ${this.limits.maxRatio}x its size (a zip bomb?)`;
      throw new AppError("TOO_LARGE", `${this.label}: ${why}, at entry ${JSON.stringify(name)}`);
    }
  }

  async makeDir(rel: string): Promise<void> {
    if (rel === "") return;
    try {
      await mkdir(join(this.dir, rel), { recursive: true });
    } catch (e) {
      throw new AppError("BAD_INPUT", `${this.label}: cannot create directory ${JSON.stringify(rel)} (${(e as NodeJS.ErrnoException).code})`);
    }
  }

  /** Writes one file from `chunks`; fails if the name was already written. */
  async writeFile(rel: string, name: string, chunks: AsyncIterable<Buffer>): Promise<number> {
    if (rel === "") throw new AppError("BAD_INPUT", `${this.label}: entry ${JSON.stringify(name)} has no file name`);
    await this.makeDir(dirname(rel) === "." ? "" : dirname(rel));
    const path = join(this.dir, rel);
    const fh = await open(path, "wx").catch((e: NodeJS.ErrnoException) => {
      throw new AppError(
        "BAD_INPUT",
        `${this.label}: entry ${JSON.stringify(name)} ${e.code === "EEXIST" ? "appears twice" : `cannot be written (${e.code})`}`,
      );
    });
    const ws = fh.createWriteStream();
    let written = 0;
    try {
      for await (const chunk of chunks) {
        this.signal?.throwIfAborted();
        this.grow(chunk.length, name);
        written += chunk.length;
        if (!ws.write(chunk)) await once(ws, "drain");
      }
      ws.end();
      await once(ws, "finish");
    } finally {
      // the stream owns the handle and closes it
      if (!ws.closed) {
        const closed = once(ws, "close").catch(() => undefined);
        ws.destroy();
        await closed;
      }
    }
    return written;
  }
}

/**
 * Extracts a `.zip`, `.tar.gz`/`.tgz` or `.tar` archive with safety checks:
 * no path traversal or absolute names, no symlinks / hardlinks / devices,
 * at most `maxEntries` entries and a bounded expansion (total and ratio).
 * On any error the destination is removed and an AppError names the entry.
 */
export async function extractArchive(archivePath: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const limits: ExtractLimits = { ...DEFAULT_EXTRACT_LIMITS, ...opts.limits };
  const label = archivePath.split(/[\\/]/).pop() ?? "archive";
  let size: number;
  const head = Buffer.alloc(512);
  try {
    size = (await stat(archivePath)).size;
    const fh = await open(archivePath, "r");
    try {
      await fh.read(head, 0, 512, 0);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new AppError("BAD_INPUT", `${label}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const kind = detectArchiveKind(head.subarray(0, Math.min(512, size)));
  if (!kind) throw new AppError("BAD_INPUT", `${label}: not a .zip, .tar.gz or .tar archive`);
  let dir: string;
  if (opts.dest) {
    await mkdir(opts.dest, { recursive: true });
    if ((await readdir(opts.dest)).length > 0) throw new AppError("BAD_INPUT", `extraction folder ${opts.dest} is not empty`);
    dir = opts.dest;
  } else {
    dir = await mkdtemp(join(tmpdir(), "statescope-import-"));
  }
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const ex = new Extractor(dir, label, limits, size, opts.signal);
  try {
    if (kind === "zip") await extractZip(archivePath, size, ex);
    else await extractTar(archivePath, kind === "tar.gz", ex);
  } catch (e) {
    await cleanup();
    if (e instanceof AppError) throw e;
    if (opts.signal?.aborted) throw e;
    throw new AppError("BAD_INPUT", `${label}: corrupt ${kind} archive (${e instanceof Error ? e.message : String(e)})`);
  }
  return { dir, kind, entries: ex.entries, bytes: ex.bytes, cleanup };
}

// ---- zip ----

const MAX_CD_BYTES = 64 * 1024 * 1024;

async function readAt(path: string, pos: number, len: number): Promise<Buffer> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(len);
    const { bytesRead } = await fh.read(buf, 0, len, pos);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function u64(buf: Buffer, pos: number): number {
  const v = buf.readBigUInt64LE(pos);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError("64-bit value too large");
  return Number(v);
}

async function extractZip(path: string, size: number, ex: Extractor): Promise<void> {
  const bad = (why: string): never => {
    throw new AppError("BAD_INPUT", `${ex.label}: corrupt zip archive (${why})`);
  };
  const tailLen = Math.min(size, 22 + 65535);
  const tail = await readAt(path, size - tailLen, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) bad("no end of central directory record");
  let total = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (total === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || tail.readUInt32LE(loc) !== 0x07064b50) bad("missing zip64 locator");
    const z64 = await readAt(path, u64(tail, loc + 8), 56);
    if (z64.length < 56 || z64.readUInt32LE(0) !== 0x06064b50) bad("bad zip64 end record");
    total = u64(z64, 32);
    cdSize = u64(z64, 40);
    cdOffset = u64(z64, 48);
  }
  if (total > ex.limits.maxEntries) throw new AppError("TOO_LARGE", `${ex.label}: ${total} entries is more than the limit of ${ex.limits.maxEntries}`);
  if (cdSize > MAX_CD_BYTES || cdOffset + cdSize > size) bad("central directory outside the file");
  const cd = await readAt(path, cdOffset, cdSize);
  type Entry = { name: string; method: number; csize: number; usize: number; crc: number; offset: number; dir: boolean };
  const entries: Entry[] = [];
  let declared = 0;
  for (let p = 0, i = 0; i < total; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) bad(`bad central directory entry ${i}`);
    const madeBy = cd.readUInt16LE(p + 4);
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const crc = cd.readUInt32LE(p + 16);
    let csize = cd.readUInt32LE(p + 20);
    let usize = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const ext = cd.readUInt32LE(p + 38);
    let offset = cd.readUInt32LE(p + 42);
    if (p + 46 + nameLen + extraLen + commentLen > cd.length) bad(`central directory entry ${i} runs past its end`);
    const rawName = cd.subarray(p + 46, p + 46 + nameLen);
    const name = (flags & 0x800 ? rawName.toString("utf8") : rawName.toString("latin1")).replace(/\\/g, "/");
    const extra = cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
    for (let q = 0; q + 4 <= extra.length; ) {
      const id = extra.readUInt16LE(q);
      const len = extra.readUInt16LE(q + 2);
      if (id === 0x0001) {
        let r = q + 4;
        const take = () => {
          if (r + 8 > q + 4 + len || r + 8 > extra.length) bad(`bad zip64 field of ${JSON.stringify(name)}`);
          const v = u64(extra, r);
          r += 8;
          return v;
        };
        if (usize === 0xffffffff) usize = take();
        if (csize === 0xffffffff) csize = take();
        if (offset === 0xffffffff) offset = take();
      }
      q += 4 + len;
    }
    p += 46 + nameLen + extraLen + commentLen;
    ex.countEntry(name);
    const what = `entry ${JSON.stringify(name)}`;
    const unixType = (madeBy >> 8) === 3 ? (ext >>> 16) & 0o170000 : 0;
    if (unixType === 0o120000) throw new AppError("BAD_INPUT", `${ex.label}: ${what} is a symbolic link; links are not allowed`);
    if (unixType !== 0 && unixType !== 0o100000 && unixType !== 0o040000) {
      throw new AppError("BAD_INPUT", `${ex.label}: ${what} is not a regular file or directory`);
    }
    if (flags & 1) throw new AppError("BAD_INPUT", `${ex.label}: ${what} is encrypted`);
    const isDir = name.endsWith("/") || unixType === 0o040000 || (ext & 0x10) !== 0;
    if (!isDir && method !== 0 && method !== 8) {
      throw new AppError("BAD_INPUT", `${ex.label}: ${what} uses compression method ${method}; only stored and deflate are supported`);
    }
    declared += usize;
    entries.push({ name, method, csize, usize, crc, offset, dir: isDir });
  }
  // declared sizes first: a bomb is refused before anything is written
  const before = ex.bytes;
  ex.grow(declared, "(declared sizes)");
  ex.bytes = before;
  const seen = new Set<string>();
  for (const e of entries) {
    ex.signal?.throwIfAborted();
    const rel = safeEntryPath(e.name, ex.label);
    if (e.dir) {
      await ex.makeDir(rel);
      continue;
    }
    if (seen.has(rel)) throw new AppError("BAD_INPUT", `${ex.label}: entry ${JSON.stringify(e.name)} appears twice`);
    seen.add(rel);
    const lh = await readAt(path, e.offset, 30);
    if (lh.length < 30 || lh.readUInt32LE(0) !== 0x04034b50) bad(`bad local header of ${JSON.stringify(e.name)}`);
    const start = e.offset + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
    if (start + e.csize > size) bad(`data of ${JSON.stringify(e.name)} runs past the end of the file`);
    if (e.method === 0 && e.csize !== e.usize) bad(`stored entry ${JSON.stringify(e.name)} has mismatched sizes`);
    let crc = 0;
    let got = 0;
    const name = e.name;
    const usize = e.usize;
    const method = e.method;
    const csize = e.csize;
    // streams are created only once the entry is actually consumed, and torn
    // down when the consumer stops, so no zlib error is ever left unhandled
    const checked = async function* () {
      const raw: Readable = csize === 0 ? emptyStream() : createReadStream(path, { start, end: start + csize - 1 });
      const stream: Readable = method === 8 ? raw.pipe(createInflateRaw()) : raw;
      const ignore = () => undefined;
      raw.on("error", (err) => stream.destroy(err));
      raw.on("error", ignore);
      stream.on("error", ignore);
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          got += chunk.length;
          // never trust the declared size: stop as soon as the output passes it
          if (got > usize) throw new AppError("BAD_INPUT", `${ex.label}: entry ${JSON.stringify(name)} is larger than its declared size`);
          crc = crc32(chunk, crc);
          yield chunk;
        }
      } finally {
        stream.destroy();
        raw.destroy();
      }
    };
    await ex.writeFile(rel, e.name, checked());
    if (got !== e.usize) bad(`entry ${JSON.stringify(e.name)} holds ${got} bytes, ${e.usize} declared`);
    if (crc >>> 0 !== e.crc >>> 0) bad(`CRC mismatch in ${JSON.stringify(e.name)}`);
  }
}

function emptyStream(): Readable {
  return Readable.from([] as Buffer[]);
}

// ---- tar ----

/** Pulls exact byte counts out of a stream of chunks. */
class Pull {
  private chunks: Buffer[] = [];
  private have = 0;
  private done = false;
  constructor(private readonly it: AsyncIterator<Buffer>) {}

  private async fill(n: number): Promise<void> {
    while (this.have < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else {
        this.chunks.push(r.value);
        this.have += r.value.length;
      }
    }
  }

  /** Exactly n bytes, or null at a clean end of stream; throws on a partial read. */
  async read(n: number): Promise<Buffer | null> {
    await this.fill(n);
    if (this.have === 0) return null;
    if (this.have < n) throw new AppError("BAD_INPUT", "archive ended in the middle of an entry (truncated)");
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.have = rest.length;
    return out;
  }

  /** Yields exactly n bytes in pieces. */
  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.have === 0) await this.fill(1);
      if (this.have === 0) throw new AppError("BAD_INPUT", "archive ended in the middle of an entry (truncated)");
      const first = this.chunks.shift()!;
      if (first.length <= left) {
        this.have -= first.length;
        left -= first.length;
        yield first;
      } else {
        this.chunks.unshift(first.subarray(left));
        this.have -= left;
        yield first.subarray(0, left);
        left = 0;
      }
    }
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.take(n)) void _;
  }
}

function cstr(b: Buffer, start: number, len: number): string {
  const s = b.subarray(start, start + len);
  const z = s.indexOf(0);
  return (z < 0 ? s : s.subarray(0, z)).toString("utf8");
}

function tarNumber(b: Buffer, start: number, len: number, what: string): number {
  if (b[start]! & 0x80) {
    // GNU base-256: big-endian with the top bit as a flag
    let v = 0;
    for (let i = 1; i < len; i++) v = v * 256 + b[start + i]!;
    if (b[start] !== 0x80 || !Number.isSafeInteger(v)) throw new AppError("BAD_INPUT", `tar header: ${what} out of range`);
    return v;
  }
  const s = cstr(b, start, len).trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) throw new AppError("BAD_INPUT", `tar header: ${what} is not an octal number`);
  return parseInt(s, 8);
}

async function extractTar(path: string, gzip: boolean, ex: Extractor): Promise<void> {
  const file = createReadStream(path);
  const stream: Readable = gzip ? file.pipe(createGunzip()) : file;
  file.on("error", (e) => stream.destroy(e));
  // errors surface through the async iterator; these keep late ones from going unhandled
  file.on("error", () => undefined);
  stream.on("error", () => undefined);
  // account decompressed bytes (headers and padding included) against the limits
  let seenBytes = 0;
  const counted = async function* () {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      seenBytes += chunk.length;
      if (seenBytes > ex.limits.maxTotalBytes + 1024 * 1024 || seenBytes > Math.max(ex.limits.ratioFloorBytes, ex.limits.maxRatio * (await fileSize())) + 1024 * 1024) {
        throw new AppError("TOO_LARGE", `${ex.label}: expands more than allowed (a tar bomb?)`);
      }
      yield chunk;
    }
  };
  let sizeCache = -1;
  const fileSize = async () => (sizeCache >= 0 ? sizeCache : (sizeCache = (await stat(path)).size));
  const pull = new Pull(counted()[Symbol.asyncIterator]());
  let longName: string | null = null;
  let paxPath: string | null = null;
  let paxSize: number | null = null;
  const seen = new Set<string>();
  try {
    for (let index = 0; ; index++) {
      const h = await pull.read(512);
      if (h === null) break; // no end-of-archive blocks: tolerated
      if (h.every((x) => x === 0)) break;
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
      const stored = tarNumber(h, 148, 8, "checksum");
      if (stored !== sum) throw new AppError("BAD_INPUT", `${ex.label}: corrupt tar archive (bad header checksum at entry ${index})`);
      const type = String.fromCharCode(h[156]!);
      const magic = h.subarray(257, 263).toString("latin1");
      let name = cstr(h, 0, 100);
      if (magic === "ustar\0") {
        const prefix = cstr(h, 345, 155);
        if (prefix) name = `${prefix}/${name}`;
      }
      if (longName !== null) name = longName;
      if (paxPath !== null) name = paxPath;
      let size = tarNumber(h, 124, 12, "size");
      if (paxSize !== null) size = paxSize;
      const padded = Math.ceil(size / 512) * 512;
      if (type === "x" || type === "g" || type === "L" || type === "K") {
        if (size > 1024 * 1024) throw new AppError("BAD_INPUT", `${ex.label}: oversized extended header at entry ${index}`);
        const data = (await pull.read(padded)) ?? Buffer.alloc(0);
        const body = data.subarray(0, size);
        if (type === "L") longName = cstr(body, 0, body.length);
        else if (type === "x") {
          const rec = parsePax(body, ex.label);
          if (rec.path !== undefined) paxPath = rec.path;
          if (rec.size !== undefined) paxSize = rec.size;
        }
        continue;
      }
      longName = null;
      paxPath = null;
      paxSize = null;
      ex.countEntry(name);
      const what = `${ex.label}: entry ${JSON.stringify(name)}`;
      if (type === "1" || type === "2") throw new AppError("BAD_INPUT", `${what} is a ${type === "1" ? "hard" : "symbolic"} link; links are not allowed`);
      if (type === "5") {
        await ex.makeDir(safeEntryPath(name, ex.label));
        await pull.skip(padded);
        continue;
      }
      if (type !== "0" && type !== "\0" && type !== "7") throw new AppError("BAD_INPUT", `${what} has unsupported type ${JSON.stringify(type)} (only files and directories)`);
      const rel = safeEntryPath(name, ex.label);
      if (seen.has(rel)) throw new AppError("BAD_INPUT", `${what} appears twice`);
      seen.add(rel);
      await ex.writeFile(rel, name, pull.take(size));
      await pull.skip(padded - size);
    }
  } finally {
    stream.destroy();
    file.destroy();
  }
}

function parsePax(body: Buffer, label: string): { path?: string; size?: number } {
  const out: { path?: string; size?: number } = {};
  let p = 0;
  while (p < body.length) {
    const sp = body.indexOf(0x20, p);
    if (sp < 0) break;
    const len = Number(body.subarray(p, sp).toString("latin1"));
    if (!Number.isSafeInteger(len) || len <= 0 || p + len > body.length) throw new AppError("BAD_INPUT", `${label}: corrupt pax header`);
    const rec = body.subarray(sp + 1, p + len - 1).toString("utf8");
    const eq = rec.indexOf("=");
    const k = rec.slice(0, eq);
    const v = rec.slice(eq + 1);
    if (k === "path") out.path = v;
    if (k === "size") {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 0) throw new AppError("BAD_INPUT", `${label}: corrupt pax size`);
      out.size = n;
    }
    p += len;
  }
  return out;
}

/** Where the project lives inside an extracted archive. */
export interface ProjectRoot {
  root: string;
  format: "lstmvis" | "numpy";
}

/**
 * Finds the project folder inside `dir`: the shallowest folder holding
 * `lstm.yml`, else one holding `tokens.txt` or `ids.npy` + `vocab.json`.
 * Skips `__MACOSX` and hidden folders. BAD_INPUT when none or several tie.
 */
export async function locateProjectRoot(dir: string, maxDepth = 4): Promise<ProjectRoot> {
  let level = [dir];
  for (let depth = 0; depth <= maxDepth && level.length > 0; depth++) {
    const yml: string[] = [];
    const npy: string[] = [];
    const next: string[] = [];
    for (const d of level) {
      const ents = await readdir(d, { withFileTypes: true });
      const names = new Set(ents.filter((e) => e.isFile()).map((e) => e.name));
      if (names.has("lstm.yml")) yml.push(d);
      else if (names.has("tokens.txt") || (names.has("ids.npy") && names.has("vocab.json"))) npy.push(d);
      for (const e of ents) if (e.isDirectory() && e.name !== "__MACOSX" && !e.name.startsWith(".")) next.push(join(d, e.name));
    }
    const rel = (p: string) => JSON.stringify(p.slice(dir.length + 1) || ".");
    if (yml.length > 1) throw new AppError("BAD_INPUT", `the archive holds several projects (lstm.yml in ${yml.map(rel).join(", ")}); upload one`);
    if (yml.length === 1) return { root: yml[0]!, format: "lstmvis" };
    if (npy.length > 1) throw new AppError("BAD_INPUT", `the archive holds several NumPy folders (${npy.map(rel).join(", ")}); upload one`);
    if (npy.length === 1) return { root: npy[0]!, format: "numpy" };
    level = next;
  }
  throw new AppError("BAD_INPUT", "no project found: expected lstm.yml, or a NumPy folder (tokens.txt, or ids.npy + vocab.json)");
}
