import { AppError } from "@statescope/core";

/** Element types the readers understand (always decoded to host numbers). */
export type NumericDtype =
  | "bool"
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "float16"
  | "float32"
  | "float64";

export const DTYPE_BYTES: Readonly<Record<NumericDtype, number>> = {
  bool: 1,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  uint8: 1,
  uint16: 2,
  uint32: 4,
  uint64: 8,
  float16: 2,
  float32: 4,
  float64: 8,
};

export function isFloatDtype(d: NumericDtype): boolean {
  return d === "float16" || d === "float32" || d === "float64";
}

export function isIntegerDtype(d: NumericDtype): boolean {
  return !isFloatDtype(d);
}

let HALF_TABLE: Float32Array | null = null;

/** IEEE 754 binary16 → binary32 for every 16-bit pattern (256 KB, built once). */
function halfTable(): Float32Array {
  if (HALF_TABLE) return HALF_TABLE;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    // value = s * 2^(e-15) * (1 + m/1024); subnormals s * 2^-14 * m/1024
    if (e === 0) t[h] = s * m * 2 ** -24;
    else if (e === 31) t[h] = m === 0 ? s * Infinity : NaN;
    else t[h] = s * 2 ** (e - 15) * (1 + m / 1024);
  }
  HALF_TABLE = t;
  return t;
}

/** binary16 bit pattern → number (exposed for tests). */
export function halfToFloat(h: number): number {
  return halfTable()[h & 0xffff]!;
}

/** float → binary16 bit pattern, round to nearest even (used by the NPY writer). */
export function floatToHalf(v: number): number {
  const f32 = new Float32Array([v]);
  const x = new Uint32Array(f32.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half >>> 10;
  return sign | half;
}

/**
 * Decodes `count` elements of `dtype` from `src` (at byte offset `offset`)
 * into `out` as float32. `littleEndian` describes `src`.
 */
export function decodeToFloat32(
  src: Uint8Array,
  offset: number,
  count: number,
  dtype: NumericDtype,
  littleEndian: boolean,
  out: Float32Array,
): void {
  const bytes = DTYPE_BYTES[dtype];
  if (offset + count * bytes > src.length) throw new RangeError("decode past end of buffer");
  if (out.length < count) throw new RangeError("output shorter than count");
  // fast path: aligned native little-endian float32 is a plain copy
  if (dtype === "float32" && littleEndian) {
    const abs = src.byteOffset + offset;
    out.set(abs % 4 === 0 ? new Float32Array(src.buffer, abs, count) : new Float32Array(copyAligned(src, offset, count * 4)));
    return;
  }
  if (dtype === "float64" && littleEndian) {
    const f = new Float64Array(copyAligned(src, offset, count * 8));
    for (let i = 0; i < count; i++) out[i] = f[i]!;
    return;
  }
  if (dtype === "float16") {
    const t = halfTable();
    if (littleEndian) for (let i = 0, p = offset; i < count; i++, p += 2) out[i] = t[src[p]! | (src[p + 1]! << 8)]!;
    else for (let i = 0, p = offset; i < count; i++, p += 2) out[i] = t[(src[p]! << 8) | src[p + 1]!]!;
    return;
  }
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const le = littleEndian;
  let p = offset;
  switch (dtype) {
    case "float32":
      for (let i = 0; i < count; i++, p += 4) out[i] = dv.getFloat32(p, le);
      return;
    case "float64":
      for (let i = 0; i < count; i++, p += 8) out[i] = dv.getFloat64(p, le);
      return;
    case "bool":
    case "uint8":
      for (let i = 0; i < count; i++) out[i] = src[p + i]!;
      return;
    case "int8":
      for (let i = 0; i < count; i++) out[i] = dv.getInt8(p + i);
      return;
    case "int16":
      for (let i = 0; i < count; i++, p += 2) out[i] = dv.getInt16(p, le);
      return;
    case "uint16":
      for (let i = 0; i < count; i++, p += 2) out[i] = dv.getUint16(p, le);
      return;
    case "int32":
      for (let i = 0; i < count; i++, p += 4) out[i] = dv.getInt32(p, le);
      return;
    case "uint32":
      for (let i = 0; i < count; i++, p += 4) out[i] = dv.getUint32(p, le);
      return;
    case "int64":
      for (let i = 0; i < count; i++, p += 8) out[i] = Number(dv.getBigInt64(p, le));
      return;
    case "uint64":
      for (let i = 0; i < count; i++, p += 8) out[i] = Number(dv.getBigUint64(p, le));
      return;
  }
}

/**
 * Decodes integers into int32. Float inputs must hold integral values and
 * every value must fit in int32; otherwise BAD_INPUT naming `label`.
 */
export function decodeToInt32(
  src: Uint8Array,
  offset: number,
  count: number,
  dtype: NumericDtype,
  littleEndian: boolean,
  out: Int32Array,
  label: string,
): void {
  const bytes = DTYPE_BYTES[dtype];
  if (offset + count * bytes > src.length) throw new RangeError("decode past end of buffer");
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const le = littleEndian;
  let p = offset;
  const bad = (i: number, v: number | bigint): never => {
    throw new AppError(
      "BAD_INPUT",
      `${label}: value ${String(v)} at element ${i} is not an integer in the int32 range`,
    );
  };
  switch (dtype) {
    case "bool":
    case "uint8":
      for (let i = 0; i < count; i++) out[i] = src[p + i]!;
      return;
    case "int8":
      for (let i = 0; i < count; i++) out[i] = dv.getInt8(p + i);
      return;
    case "int16":
      for (let i = 0; i < count; i++, p += 2) out[i] = dv.getInt16(p, le);
      return;
    case "uint16":
      for (let i = 0; i < count; i++, p += 2) out[i] = dv.getUint16(p, le);
      return;
    case "int32":
      for (let i = 0; i < count; i++, p += 4) out[i] = dv.getInt32(p, le);
      return;
    case "uint32":
      for (let i = 0; i < count; i++, p += 4) {
        const v = dv.getUint32(p, le);
        if (v > 0x7fffffff) bad(i, v);
        out[i] = v;
      }
      return;
    case "int64":
      for (let i = 0; i < count; i++, p += 8) {
        const v = dv.getBigInt64(p, le);
        if (v > 2147483647n || v < -2147483648n) bad(i, v);
        out[i] = Number(v);
      }
      return;
    case "uint64":
      for (let i = 0; i < count; i++, p += 8) {
        const v = dv.getBigUint64(p, le);
        if (v > 2147483647n) bad(i, v);
        out[i] = Number(v);
      }
      return;
    default: {
      const tmp = new Float32Array(count);
      if (dtype === "float64") {
        for (let i = 0; i < count; i++, p += 8) {
          const v = dv.getFloat64(p, le);
          if (!Number.isInteger(v) || v > 2147483647 || v < -2147483648) bad(i, v);
          out[i] = v;
        }
        return;
      }
      decodeToFloat32(src, offset, count, dtype, littleEndian, tmp);
      for (let i = 0; i < count; i++) {
        const v = tmp[i]!;
        if (!Number.isInteger(v) || v > 2147483647 || v < -2147483648) bad(i, v);
        out[i] = v;
      }
    }
  }
}

function copyAligned(src: Uint8Array, offset: number, length: number): ArrayBuffer {
  const ab = new ArrayBuffer(length);
  new Uint8Array(ab).set(src.subarray(offset, offset + length));
  return ab;
}
