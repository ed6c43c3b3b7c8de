import { open as fsOpen, stat, type FileHandle } from "node:fs/promises";
import { resolve as resolvePath, basename } from "node:path";
import { AppError } from "@statescope/core";
import { DTYPE_BYTES, decodeToFloat32, decodeToInt32, type NumericDtype } from "../npy/dtype";
import { checkRowRange, rowSize, type NumericArray } from "../npy/numeric-array";
import { inspectObjectHeader, readSuperblock, type Superblock } from "./object-header";

type H5Lib = (typeof import("h5wasm/node"))["default"];
type H5Module = Awaited<H5Lib["ready"]>;
type H5File = InstanceType<H5Lib["File"]>;

/**
 * h5wasm is loaded on first use: importing it compiles its WebAssembly, which took 1–9 s
 * (machine load), and a process that never opens an HDF5 file (the web server, a worker
 * restarted by the launcher) should not wait for it.
 */
let libPromise: Promise<{ lib: H5Lib; mod: H5Module }> | null = null;
function h5lib(): Promise<{ lib: H5Lib; mod: H5Module }> {
  libPromise ??= import("h5wasm/node").then(async ({ default: lib }) => ({ lib, mod: await lib.ready }));
  return libPromise;
}

/** One entry of {@link Hdf5File.list}; links are reported, never followed. */
export interface Hdf5Entry {
  path: string;
  kind: "group" | "dataset" | "soft-link" | "external-link" | "other";
  /** Datasets only. */
  shape?: number[];
  /** Datasets only: a numeric dtype, or a description such as `string` / `compound`. */
  dtype?: string;
  /** Soft links: target path; external links: `file:path`. */
  target?: string;
}

const MAX_LIST_ENTRIES = 100_000;
const MAX_LINK_DEPTH = 16;

/**
 * An HDF5 file opened read-only through h5wasm. The file is read from disk
 * on demand (never loaded whole). Every dataset handed out has been checked
 * not to reach other files: no external link on its path, no external raw
 * data storage, no virtual layout.
 */
export class Hdf5File {
  private constructor(
    /** Names the file in messages, e.g. `states.h5`. */
    readonly label: string,
    readonly path: string,
    private file: H5File | null,
    private readonly mod: H5Module,
    private fh: FileHandle | null,
    private readonly sb: Superblock,
  ) {}

  /** Opens `path` read-only. BAD_INPUT if it is missing or not HDF5. */
  static async open(path: string, label = basename(path)): Promise<Hdf5File> {
    const abs = resolvePath(path);
    let st;
    try {
      st = await stat(abs);
    } catch (e) {
      throw new AppError("BAD_INPUT", `${label}: file not found (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    if (!st.isFile()) throw new AppError("BAD_INPUT", `${label}: not a regular file`);
    const fh = await fsOpen(abs, "r");
    try {
      const sb = await readSuperblock(fh, label);
      const { lib, mod } = await h5lib();
      let file: H5File;
      try {
        file = new lib.File(abs, "r");
      } catch (e) {
        throw new AppError("BAD_INPUT", `${label}: cannot open as HDF5 (${firstLine(e)})`);
      }
      if (typeof file.file_id !== "bigint" || file.file_id < 0n) {
        throw new AppError("BAD_INPUT", `${label}: cannot open as HDF5 (corrupt or unsupported file)`);
      }
      return new Hdf5File(label, abs, file, mod, fh, sb);
    } catch (e) {
      await fh.close();
      throw e instanceof AppError ? e : new AppError("BAD_INPUT", `${label}: cannot open as HDF5 (${firstLine(e)})`);
    }
  }

  /** Runs an h5wasm call, turning its exceptions into BAD_INPUT naming `what`. */
  private call<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof AppError) throw e;
      throw new AppError("BAD_INPUT", `${this.label}: ${what}: cannot read (${firstLine(e)})`);
    }
  }

  private typeOf(path: string): number {
    return this.call(path, () => this.mod.get_type(this.fid, path));
  }

  private get fid(): bigint {
    if (!this.file) throw new AppError("BAD_INPUT", `${this.label}: file is closed`);
    return this.file.file_id;
  }

  private children(group: string): string[] {
    try {
      const names = this.mod.get_names(this.fid, group === "" ? "/" : group, false) as unknown;
      return Array.isArray(names) ? names.map(String) : [];
    } catch (e) {
      throw new AppError("BAD_INPUT", `${this.label}: cannot list group ${group || "/"} (${firstLine(e)})`);
    }
  }

  /** Link kind of `path` (which must exist), without traversing its last link. */
  private linkKind(path: string): { kind: "external"; target: string } | { kind: "soft"; target: string } | { kind: "hard" } {
    const ext = this.call(path, () => this.mod.get_external_link(this.fid, path)) as { filename?: string; obj_path?: string } | null;
    if (ext && typeof ext.filename === "string") return { kind: "external", target: `${ext.filename}:${ext.obj_path ?? ""}` };
    const soft = this.call(path, () => this.mod.get_symbolic_link(this.fid, path)) as unknown;
    if (typeof soft === "string") return { kind: "soft", target: soft };
    return { kind: "hard" };
  }

  /**
   * Resolves `path` link by link from the root, following soft links inside
   * the file and refusing external links, so no other file is ever opened.
   * Returns the hard-link path, or null when a component does not exist.
   */
  private resolve(path: string, what: string, depth = 0): string | null {
    if (depth > MAX_LINK_DEPTH) throw new AppError("BAD_INPUT", `${this.label}: ${what}: too many nested soft links`);
    const parts = path.split("/").filter((p) => p !== "" && p !== ".");
    let cur = "";
    for (const part of parts) {
      if (!this.children(cur).includes(part)) return null;
      const next = `${cur}/${part}`;
      const link = this.linkKind(next);
      if (link.kind === "external") {
        throw new AppError(
          "BAD_INPUT",
          `${this.label}: ${what}: ${next} is an external link to ${link.target}; external links are not allowed (they can read other files on the server)`,
        );
      }
      if (link.kind === "soft") {
        const target = link.target.startsWith("/") ? link.target : `${cur}/${link.target}`;
        const r = this.resolve(target, what, depth + 1);
        if (r === null) return null;
        cur = r;
      } else {
        cur = next;
      }
    }
    return cur === "" ? "/" : cur;
  }

  /** Every group, dataset and link in the file (links are listed, not followed). */
  list(): Hdf5Entry[] {
    const out: Hdf5Entry[] = [];
    const walk = (group: string) => {
      for (const name of this.children(group)) {
        if (out.length >= MAX_LIST_ENTRIES) {
          throw new AppError("BAD_INPUT", `${this.label}: more than ${MAX_LIST_ENTRIES} objects`);
        }
        const path = `${group}/${name}`;
        const link = this.linkKind(path);
        if (link.kind === "external") out.push({ path, kind: "external-link", target: link.target });
        else if (link.kind === "soft") out.push({ path, kind: "soft-link", target: link.target });
        else {
          const t = this.typeOf(path);
          if (t === this.mod.H5G_GROUP) {
            out.push({ path, kind: "group" });
            walk(path);
          } else if (t === this.mod.H5G_DATASET) {
            const meta = this.metadata(path);
            const dt = dtypeOf(meta);
            out.push({ path, kind: "dataset", shape: meta.shape ?? [], dtype: dt.ok ? dt.dtype : dt.why });
          } else out.push({ path, kind: "other" });
        }
      }
    };
    walk("");
    return out;
  }

  private metadata(path: string) {
    try {
      return this.mod.get_dataset_metadata(this.fid, path);
    } catch (e) {
      throw new AppError("BAD_INPUT", `${this.label}: dataset ${path}: cannot read its metadata (${firstLine(e)})`);
    }
  }

  /** True when `path` names an existing dataset (links inside the file are followed; external links throw). */
  has(path: string): boolean {
    const p = this.resolve(path, path);
    return p !== null && this.typeOf(p) === this.mod.H5G_DATASET;
  }

  /**
   * Opens dataset `path` for reading. BAD_INPUT when it is missing, not a
   * dataset, not numeric, or stored outside this file (external link,
   * external raw data, virtual dataset).
   */
  async dataset(path: string): Promise<Hdf5Dataset> {
    const what = `dataset ${path}`;
    const hard = this.resolve(path, what);
    if (hard === null) throw new AppError("BAD_INPUT", `${this.label}: ${what} not found`);
    const t = this.typeOf(hard);
    if (t !== this.mod.H5G_DATASET) {
      throw new AppError("BAD_INPUT", `${this.label}: ${path} is not a dataset (it is a ${t === this.mod.H5G_GROUP ? "group" : "non-dataset object"})`);
    }
    // Inspect the object header before h5wasm opens the dataset: opening a
    // virtual or externally stored dataset may already touch other files.
    let ref: unknown;
    try {
      ref = this.mod.create_object_reference(this.fid, hard);
    } catch (e) {
      throw new AppError("BAD_INPUT", `${this.label}: ${what}: cannot locate its object header (${firstLine(e)})`);
    }
    const bytes = Array.isArray(ref) || ref instanceof Uint8Array ? Array.from(ref as ArrayLike<number>) : [];
    if (bytes.length < this.sb.sizeOfOffsets) throw new AppError("BAD_INPUT", `${this.label}: ${what}: cannot locate its object header`);
    let address = 0;
    for (let i = this.sb.sizeOfOffsets - 1; i >= 0; i--) address = address * 256 + bytes[i]!;
    if (!this.fh) throw new AppError("BAD_INPUT", `${this.label}: file is closed`);
    const storage = await inspectObjectHeader(this.fh, this.sb, address, `${this.label}: ${what}`);
    if (storage.externalFiles) {
      throw new AppError(
        "BAD_INPUT",
        `${this.label}: ${what} stores its raw data in external files; external storage is not allowed (it can read other files on the server)`,
      );
    }
    if (storage.layoutClass === 3) {
      throw new AppError(
        "BAD_INPUT",
        `${this.label}: ${what} is a virtual dataset; virtual datasets are not allowed (they can read other files on the server)`,
      );
    }
    if (storage.layoutClass === null) throw new AppError("BAD_INPUT", `${this.label}: ${what}: cannot verify its storage (no layout message)`);
    const meta = this.metadata(hard);
    if (meta.virtual_sources && meta.virtual_sources.length > 0) {
      throw new AppError("BAD_INPUT", `${this.label}: ${what} is a virtual dataset; virtual datasets are not allowed`);
    }
    const dt = dtypeOf(meta);
    if (!dt.ok) throw new AppError("BAD_INPUT", `${this.label}: ${what} has a non-numeric type (${dt.why})`);
    const shape = meta.shape ?? [];
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new AppError("BAD_INPUT", `${this.label}: ${what} has an invalid shape (${shape.join(", ")})`);
    }
    return new Hdf5Dataset(this, `${this.label}::${path}`, hard, shape, dt.dtype, meta.chunks ?? null);
  }

  /** @internal raw hyperslab read of rows [from, to) into wasm memory; `use` sees the bytes before they are freed. */
  readRows<T>(ds: Hdf5Dataset, from: number, to: number, use: (heap: Uint8Array, ptr: number, count: number) => T): T {
    const fid = this.fid;
    const shape = ds.shape;
    const per = shape.length === 0 ? 1 : rowSize(shape);
    const count = (to - from) * per;
    const nbytes = count * DTYPE_BYTES[ds.dtype];
    if (count === 0) return use(new Uint8Array(0), 0, 0);
    const ptr = this.mod._malloc(nbytes);
    if (!ptr) throw new AppError("TOO_LARGE", `${ds.label}: cannot allocate ${nbytes} bytes for rows [${from}, ${to}); read smaller slices`);
    try {
      let status: number;
      try {
        if (shape.length === 0) {
          status = this.mod.get_dataset_data(fid, ds.path, null, null, null, BigInt(ptr));
        } else {
          const cnt = shape.map((d, i) => BigInt(i === 0 ? to - from : d));
          const off = shape.map((_, i) => BigInt(i === 0 ? from : 0));
          const str = shape.map(() => 1n);
          status = this.mod.get_dataset_data(fid, ds.path, cnt, off, str, BigInt(ptr));
        }
      } catch (e) {
        throw new AppError("BAD_INPUT", `${ds.label}: reading rows [${from}, ${to}) failed (${firstLine(e)})`);
      }
      if (typeof status === "number" && status < 0) {
        throw new AppError("BAD_INPUT", `${ds.label}: reading rows [${from}, ${to}) failed (corrupt data or unsupported filter)`);
      }
      return use(this.mod.HEAPU8, ptr, count);
    } finally {
      this.mod._free(ptr);
    }
  }

  /** Closes the file; datasets opened from it can no longer be read. */
  async close(): Promise<void> {
    const f = this.file;
    this.file = null;
    try {
      f?.close();
    } catch {
      // closing a file whose open half-failed is not worth an error
    }
    const fh = this.fh;
    this.fh = null;
    await fh?.close();
  }
}

/** A numeric dataset of an {@link Hdf5File}, read by ranges of its first axis. */
export class Hdf5Dataset implements NumericArray {
  constructor(
    private readonly file: Hdf5File,
    /** `<file label>::<requested path>` */
    readonly label: string,
    /** The resolved (hard link) path inside the file. */
    readonly path: string,
    readonly shape: readonly number[],
    readonly dtype: NumericDtype,
    /** Chunk shape for chunked datasets, else null. */
    readonly chunks: readonly number[] | null,
  ) {}

  async readFloat32(from: number, to: number): Promise<Float32Array> {
    checkRowRange(this.label, this.shape, from, to);
    return this.file.readRows(this, from, to, (heap, ptr, count) => {
      const out = new Float32Array(count);
      if (count > 0) decodeToFloat32(heap, ptr, count, this.dtype, true, out);
      return out;
    });
  }

  async readInt32(from: number, to: number): Promise<Int32Array> {
    checkRowRange(this.label, this.shape, from, to);
    return this.file.readRows(this, from, to, (heap, ptr, count) => {
      const out = new Int32Array(count);
      if (count > 0) decodeToInt32(heap, ptr, count, this.dtype, true, out, this.label);
      return out;
    });
  }
}

function dtypeOf(meta: { type: number; size: number; signed: boolean }): { ok: true; dtype: NumericDtype } | { ok: false; why: string } {
  if (meta.type === 0) {
    const m: Record<number, NumericDtype> = meta.signed
      ? { 1: "int8", 2: "int16", 4: "int32", 8: "int64" }
      : { 1: "uint8", 2: "uint16", 4: "uint32", 8: "uint64" };
    const d = m[meta.size];
    return d ? { ok: true, dtype: d } : { ok: false, why: `${meta.size}-byte integer` };
  }
  if (meta.type === 1) {
    const d = ({ 2: "float16", 4: "float32", 8: "float64" } as Record<number, NumericDtype>)[meta.size];
    return d ? { ok: true, dtype: d } : { ok: false, why: `${meta.size}-byte float` };
  }
  const names: Record<number, string> = { 2: "time", 3: "string", 4: "bitfield", 5: "opaque", 6: "compound", 7: "reference", 8: "enum", 9: "vlen", 10: "array" };
  return { ok: false, why: names[meta.type] ?? `type class ${meta.type}` };
}

function firstLine(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  return (s.split("\n")[0] ?? "").slice(0, 200);
}

/** Convenience: opens a file and one dataset; close the returned file when done. */
export async function openHdf5(path: string, label?: string): Promise<Hdf5File> {
  return Hdf5File.open(path, label);
}
