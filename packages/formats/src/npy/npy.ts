import { open, type FileHandle, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { AppError } from "@statescope/core";
import { DTYPE_BYTES, decodeToFloat32, decodeToInt32, type NumericDtype } from "./dtype";
import { checkRowRange, rowSize, type NumericArray } from "./numeric-array";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const MAX_HEADER = 1 << 20;

/** The parsed header of an .npy file. */
export interface NpyHeader {
  /** 1, 2 or 3 (the format version's major number). */
  version: number;
  dtype: NumericDtype;
  littleEndian: boolean;
  shape: number[];
  /** Byte offset of the first element. */
  dataOffset: number;
  /** Bytes the data section must hold: product(shape) * item size. */
  dataBytes: number;
}

const DESCR: Record<string, NumericDtype> = {
  b1: "bool",
  i1: "int8",
  u1: "uint8",
  i2: "int16",
  u2: "uint16",
  i4: "int32",
  u4: "uint32",
  i8: "int64",
  u8: "uint64",
  f2: "float16",
  f4: "float32",
  f8: "float64",
};

/**
 * Parses the NPY preamble + header from the first bytes of a file (pass at
 * least the first 10 bytes; returns `needBytes` when more are required).
 */
export function parseNpyHeader(buf: Uint8Array, label: string): NpyHeader | { needBytes: number } {
  const bad = (why: string): never => {
    throw new AppError("BAD_INPUT", `${label}: not a valid .npy file (${why})`);
  };
  if (buf.length < 10) {
    if (buf.length < 6 || MAGIC.some((b, i) => buf[i] !== b)) bad("missing \\x93NUMPY magic or file too short");
    return { needBytes: 10 };
  }
  if (MAGIC.some((b, i) => buf[i] !== b)) bad("missing \\x93NUMPY magic");
  const major = buf[6]!;
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = buf[8]! | (buf[9]! << 8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) return { needBytes: 12 };
    headerLen = (buf[8]! | (buf[9]! << 8) | (buf[10]! << 16)) + buf[11]! * 0x1000000;
    start = 12;
  } else {
    return bad(`unsupported format version ${major}.${buf[7]}`);
  }
  if (headerLen > MAX_HEADER) bad(`header of ${headerLen} bytes is too large`);
  if (buf.length < start + headerLen) return { needBytes: start + headerLen };
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(buf.subarray(start, start + headerLen));
  const dict = parsePyDict(text, label);
  const descr = dict.get("descr");
  const fortran = dict.get("fortran_order");
  const shapeV = dict.get("shape");
  if (typeof descr !== "string") return bad(`'descr' must be a simple type string, got ${JSON.stringify(descr)}`);
  if (typeof fortran !== "boolean") return bad("'fortran_order' missing");
  if (!Array.isArray(shapeV)) return bad("'shape' missing");
  if (fortran) {
    throw new AppError(
      "BAD_INPUT",
      `${label}: fortran_order=True arrays are not supported; save it in C order (numpy.ascontiguousarray) and re-export`,
    );
  }
  const m = /^([<>|=]?)([a-z]\d+)$/.exec(descr);
  const dtype = m ? DESCR[m[2]!] : undefined;
  if (!m || !dtype) {
    throw new AppError(
      "BAD_INPUT",
      `${label}: unsupported dtype '${descr}' (supported: float16/32/64, int8..64, uint8..64, bool)`,
    );
  }
  const order = m[1]!;
  const littleEndian = order !== ">";
  let count = 1;
  for (const d of shapeV) {
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) bad(`invalid shape ${text}`);
    count *= d as number;
  }
  if (!Number.isSafeInteger(count * DTYPE_BYTES[dtype])) bad("shape too large");
  return {
    version: major,
    dtype,
    littleEndian,
    shape: shapeV as number[],
    dataOffset: start + headerLen,
    dataBytes: count * DTYPE_BYTES[dtype],
  };
}

type PyValue = string | number | boolean | null | PyValue[];

/** A tiny parser for the Python dict literal in NPY headers. */
function parsePyDict(text: string, label: string): Map<string, PyValue> {
  let i = 0;
  const bad = (): never => {
    throw new AppError("BAD_INPUT", `${label}: not a valid .npy file (malformed header ${JSON.stringify(text.slice(0, 200))})`);
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const value = (depth: number): PyValue => {
    if (depth > 4) bad();
    ws();
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) bad();
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    if (c === "(" || c === "[") {
      const close = c === "(" ? ")" : "]";
      i++;
      const out: PyValue[] = [];
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          return out;
        }
        out.push(value(depth + 1));
        ws();
        if (text[i] === ",") i++;
        else if (text[i] !== close) bad();
      }
    }
    const m = /^(True|False|None|-?\d+L?)/.exec(text.slice(i, i + 32));
    if (!m) return bad();
    i += m[0].length;
    if (m[0] === "True") return true;
    if (m[0] === "False") return false;
    if (m[0] === "None") return null;
    return Number(m[0].replace("L", ""));
  };
  ws();
  if (text[i] !== "{") bad();
  i++;
  const out = new Map<string, PyValue>();
  for (;;) {
    ws();
    if (text[i] === "}") break;
    const k = value(0);
    if (typeof k !== "string") bad();
    ws();
    if (text[i] !== ":") bad();
    i++;
    out.set(k as string, value(0));
    ws();
    if (text[i] === ",") i++;
    else if (text[i] !== "}") bad();
  }
  return out;
}

/** An .npy file opened for row-range reads; nothing but the header is loaded. */
export class NpyFile implements NumericArray {
  private constructor(
    readonly label: string,
    readonly header: NpyHeader,
    private fh: FileHandle | null,
  ) {}

  get shape(): readonly number[] {
    return this.header.shape;
  }

  get dtype(): NumericDtype {
    return this.header.dtype;
  }

  /** Opens `path`; `label` names it in messages (default: the file name). Rejects truncated files. */
  static async open(path: string, label = basename(path)): Promise<NpyFile> {
    let fh: FileHandle;
    try {
      fh = await open(path, "r");
    } catch (e) {
      throw new AppError("BAD_INPUT", `${label}: cannot open (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    try {
      const size = (await fh.stat()).size;
      let want = 12;
      let header: NpyHeader | undefined;
      for (let attempt = 0; attempt < 3 && !header; attempt++) {
        const n = Math.min(want, size);
        const buf = Buffer.alloc(n);
        await fh.read(buf, 0, n, 0);
        const r = parseNpyHeader(buf, label);
        if ("needBytes" in r) {
          if (r.needBytes > size) throw new AppError("BAD_INPUT", `${label}: truncated .npy header`);
          want = r.needBytes;
        } else header = r;
      }
      if (!header) throw new AppError("BAD_INPUT", `${label}: truncated .npy header`);
      if (size < header.dataOffset + header.dataBytes) {
        throw new AppError(
          "BAD_INPUT",
          `${label}: truncated: shape (${header.shape.join(", ")}) of ${header.dtype} needs ${header.dataBytes} data bytes, the file holds ${Math.max(0, size - header.dataOffset)}`,
        );
      }
      return new NpyFile(label, header, fh);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  private async readBytes(from: number, to: number): Promise<{ buf: Buffer; count: number }> {
    if (!this.fh) throw new AppError("BAD_INPUT", `${this.label}: file is closed`);
    checkRowRange(this.label, this.shape, from, to);
    const per = this.shape.length === 0 ? 1 : rowSize(this.shape);
    const count = (to - from) * per;
    const item = DTYPE_BYTES[this.dtype];
    const buf = Buffer.allocUnsafe(count * item);
    let done = 0;
    const pos = this.header.dataOffset + from * per * item;
    while (done < buf.length) {
      const { bytesRead } = await this.fh.read(buf, done, buf.length - done, pos + done);
      if (bytesRead === 0) throw new AppError("BAD_INPUT", `${this.label}: file ended early (truncated while reading)`);
      done += bytesRead;
    }
    return { buf, count };
  }

  async readFloat32(from: number, to: number): Promise<Float32Array> {
    const { buf, count } = await this.readBytes(from, to);
    const out = new Float32Array(count);
    decodeToFloat32(buf, 0, count, this.dtype, this.header.littleEndian, out);
    return out;
  }

  async readInt32(from: number, to: number): Promise<Int32Array> {
    const { buf, count } = await this.readBytes(from, to);
    const out = new Int32Array(count);
    decodeToInt32(buf, 0, count, this.dtype, this.header.littleEndian, out, this.label);
    return out;
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    await fh?.close();
  }
}

type WritableArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

export interface EncodeNpyOptions {
  /** Store a Uint16Array as float16 bit patterns (`<f2`) instead of `<u2`. */
  float16?: boolean;
  /** Header format version (default 1). */
  version?: 1 | 2 | 3;
  /** Write fortran_order: True (only for testing the reader's rejection). */
  fortranOrder?: boolean;
  /** Override the descr string (e.g. `>f4`, for tests; bytes are written as given). */
  descr?: string;
}

/** Encodes a C-order .npy file (little-endian). */
export function encodeNpy(data: WritableArray, shape: readonly number[], opts: EncodeNpyOptions = {}): Buffer {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`shape (${shape.join(",")}) holds ${count} values, data has ${data.length}`);
  const descr =
    opts.descr ??
    (data instanceof Float32Array
      ? "<f4"
      : data instanceof Float64Array
        ? "<f8"
        : data instanceof Int8Array
          ? "|i1"
          : data instanceof Uint8Array
            ? "|u1"
            : data instanceof Int16Array
              ? "<i2"
              : data instanceof Uint16Array
                ? opts.float16
                  ? "<f2"
                  : "<u2"
                : data instanceof Int32Array
                  ? "<i4"
                  : data instanceof Uint32Array
                    ? "<u4"
                    : data instanceof BigInt64Array
                      ? "<i8"
                      : "<u8");
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const dict = `{'descr': '${descr}', 'fortran_order': ${opts.fortranOrder ? "True" : "False"}, 'shape': ${shapeStr}, }`;
  const version = opts.version ?? 1;
  const pre = version === 1 ? 10 : 12;
  const enc = Buffer.from(dict, version === 3 ? "utf8" : "latin1");
  const total = Math.ceil((pre + enc.length + 1) / 64) * 64;
  const headerLen = total - pre;
  const head = Buffer.alloc(total, 0x20);
  Buffer.from(MAGIC).copy(head, 0);
  head[6] = version;
  head[7] = 0;
  if (version === 1) head.writeUInt16LE(headerLen, 8);
  else head.writeUInt32LE(headerLen, 8);
  enc.copy(head, pre);
  head[total - 1] = 0x0a;
  return Buffer.concat([head, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

/** Writes an .npy file (see {@link encodeNpy}). */
export async function writeNpy(path: string, data: WritableArray, shape: readonly number[], opts: EncodeNpyOptions = {}): Promise<void> {
  await writeFile(path, encodeNpy(data, shape, opts));
}
