import { AppError } from "../../../core/src/errors";

/**
 * Safetensors reader/writer (https://github.com/huggingface/safetensors):
 * `u64 LE header length N | N bytes of UTF-8 JSON header | data buffer`.
 * Every header entry names a dtype, a shape and `data_offsets` [begin, end)
 * relative to the start of the data buffer. We validate the whole header
 * before decoding anything, so a malformed upload fails with one clear message.
 */

/** Every dtype the safetensors format defines; only the float ones can be decoded. */
const DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_BYTES;
/** The dtypes {@link decodeSafetensorsTensor} turns into a Float32Array. */
export const FLOAT_DTYPES: readonly SafetensorsDtype[] = ["F32", "F16", "BF16", "F64"];

/** A dense float tensor, row-major. */
export interface FloatTensor {
  data: Float32Array;
  shape: number[];
}

export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte offset of the tensor in the file. */
  byteOffset: number;
  byteLength: number;
}

export interface SafetensorsHeader {
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** Absolute offset of the data buffer (8 + header length). */
  dataOffset: number;
}

/** Header lengths above this are rejected before allocating anything (the reference implementation uses 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

function bad(message: string): AppError {
  return new AppError("BAD_INPUT", `safetensors: ${message}`);
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Parses and validates the header of a safetensors file. Throws
 * `AppError("BAD_INPUT")` naming the tensor for a truncated file, a header
 * length beyond the file, invalid JSON, unknown dtypes, a shape that does not
 * match its byte size, offsets beyond the data buffer, or overlapping tensors.
 */
export function parseSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  if (bytes.byteLength < 8) {
    throw bad(`file is ${bytes.byteLength} bytes, shorter than the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) throw bad(`header length ${n64} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const n = Number(n64);
  if (8 + n > bytes.byteLength) {
    throw bad(`header length ${n} goes beyond the end of the file (${bytes.byteLength} bytes): file truncated?`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw bad(`header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw bad("header must be a JSON object of tensor entries");
  }
  const dataOffset = 8 + n;
  const dataLength = bytes.byteLength - dataOffset;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw bad("__metadata__ must be an object");
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== "string") throw bad(`__metadata__.${k} must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw bad(`tensor ${name}: entry must be an object`);
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (typeof dtype !== "string" || !Object.hasOwn(DTYPE_BYTES, dtype)) {
      throw bad(`tensor ${name}: unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPE_BYTES).join(", ")})`);
    }
    if (!Array.isArray(shape) || !shape.every(isNonNegInt)) {
      throw bad(`tensor ${name}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegInt)) {
      throw bad(`tensor ${name}: data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) throw bad(`tensor ${name}: data_offsets [${begin}, ${end}] end before begin`);
    if (end > dataLength) {
      throw bad(`tensor ${name}: data_offsets [${begin}, ${end}] go beyond the data buffer (${dataLength} bytes): file truncated?`);
    }
    const itemSize = DTYPE_BYTES[dtype as SafetensorsDtype];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (count * itemSize !== end - begin) {
      throw bad(
        `tensor ${name}: shape [${(shape as number[]).join(", ")}] of ${dtype} needs ${count * itemSize} bytes, data_offsets span ${end - begin}`,
      );
    }
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape: [...(shape as number[])], byteOffset: dataOffset + begin, byteLength: end - begin });
  }
  const sorted = [...entries].sort((a, b) => a.byteOffset - b.byteOffset || a.byteLength - b.byteLength);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.byteOffset < prev.byteOffset + prev.byteLength) {
      throw bad(
        `tensors ${prev.name} and ${cur.name} overlap (data_offsets [${prev.byteOffset - dataOffset}, ${prev.byteOffset - dataOffset + prev.byteLength}] and [${cur.byteOffset - dataOffset}, ${cur.byteOffset - dataOffset + cur.byteLength}])`,
      );
    }
  }
  return { entries, metadata, dataOffset };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** IEEE half → float (exact: every half is representable as a float). */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24; // subnormal (and ±0)
  if (e === 0x1f) return m === 0 ? s * Infinity : NaN;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

let halfTable: Float32Array | null = null;
function getHalfTable(): Float32Array {
  if (halfTable === null) {
    halfTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) halfTable[i] = halfToFloat(i);
  }
  return halfTable;
}

/** Decodes one float tensor (F32/F16/BF16/F64) into a fresh Float32Array. */
export function decodeSafetensorsTensor(bytes: Uint8Array, entry: SafetensorsEntry): FloatTensor {
  const count = entry.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset + entry.byteOffset, entry.byteLength);
  const out = new Float32Array(count);
  switch (entry.dtype) {
    case "F32":
      if (LITTLE_ENDIAN) {
        // copy the bytes: the source may be unaligned
        new Uint8Array(out.buffer).set(bytes.subarray(entry.byteOffset, entry.byteOffset + entry.byteLength));
      } else {
        for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      }
      break;
    case "F64":
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case "F16": {
      const table = getHalfTable();
      for (let i = 0; i < count; i++) out[i] = table[view.getUint16(i * 2, true)]!;
      break;
    }
    case "BF16": {
      // bf16 is the top half of a float32; both views use host byte order
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      break;
    }
    default:
      throw bad(`tensor ${entry.name}: dtype ${entry.dtype} cannot be read as floats (supported: ${FLOAT_DTYPES.join(", ")})`);
  }
  return { data: out, shape: [...entry.shape] };
}

export interface ReadSafetensorsOptions {
  /** Decode only the tensors whose name passes; others are validated but skipped. */
  filter?: (name: string) => boolean;
}

export interface SafetensorsFile {
  tensors: Map<string, FloatTensor>;
  metadata: Record<string, string>;
}

/**
 * Reads a whole safetensors file into Float32 tensors (F32, F16, BF16 and F64
 * are converted). Throws `AppError("BAD_INPUT")` for malformed files and for
 * non-float tensors that pass the filter.
 */
export function readSafetensors(bytes: Uint8Array, options: ReadSafetensorsOptions = {}): SafetensorsFile {
  const header = parseSafetensorsHeader(bytes);
  const tensors = new Map<string, FloatTensor>();
  for (const entry of header.entries) {
    if (options.filter && !options.filter(entry.name)) continue;
    tensors.set(entry.name, decodeSafetensorsTensor(bytes, entry));
  }
  return { tensors, metadata: header.metadata };
}

/**
 * Writes float tensors as an F32 safetensors file (tensors in insertion order,
 * header padded with spaces to a multiple of 8 bytes like the reference writer).
 */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, FloatTensor> | Readonly<Record<string, FloatTensor>>,
  metadata?: Record<string, string>,
): Uint8Array {
  const list: [string, FloatTensor][] = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors as Record<string, FloatTensor>);
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of list) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new AppError("BAD_INPUT", `safetensors: tensor ${name}: shape [${t.shape.join(", ")}] has ${count} values, data has ${t.data.length}`);
    }
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const [, t] of list) {
    const dv = new DataView(out.buffer, pos, t.data.length * 4);
    for (let i = 0; i < t.data.length; i++) dv.setFloat32(i * 4, t.data[i]!, true);
    pos += t.data.length * 4;
  }
  return out;
}
