import { describe, expect, it } from "vitest";
import { AppError } from "../../../core/src/errors";
import { encodeSafetensors, parseSafetensorsHeader, readSafetensors } from "./safetensors";

/** A file from a raw header object and a data buffer of `dataBytes` bytes. */
function file(header: unknown, dataBytes: number | Uint8Array, headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const data = typeof dataBytes === "number" ? new Uint8Array(dataBytes) : dataBytes;
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  let err: unknown;
  try {
    readSafetensors(bytes);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe("BAD_INPUT");
  expect((err as AppError).message).toMatch(pattern);
}

describe("readSafetensors", () => {
  it("round-trips F32 tensors and metadata", () => {
    const a = { data: new Float32Array([1, -2.5, 3, 4, 5, 6]), shape: [2, 3] };
    const b = { data: new Float32Array([7]), shape: [] as number[] };
    const bytes = encodeSafetensors({ "lstm.weight_ih_l0": a, scalar: b }, { format: "pt" });
    expect((bytes.length - 8 - 6 * 4 - 4) % 8).toBe(0);
    const { tensors, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ format: "pt" });
    expect(tensors.get("lstm.weight_ih_l0")).toEqual(a);
    expect(tensors.get("scalar")).toEqual(b);
  });

  it("decodes F16, BF16 and F64 (hand-computed bit patterns)", () => {
    const data = new Uint8Array(6 + 6 + 16);
    const dv = new DataView(data.buffer);
    // F16: 1.0 = 0x3c00, -2.0 = 0xc000, smallest subnormal 0x0001 = 2^-24
    dv.setUint16(0, 0x3c00, true);
    dv.setUint16(2, 0xc000, true);
    dv.setUint16(4, 0x0001, true);
    // BF16: 1.0 = 0x3f80, -0.5 = 0xbf00, 3.140625 = 0x4049
    dv.setUint16(6, 0x3f80, true);
    dv.setUint16(8, 0xbf00, true);
    dv.setUint16(10, 0x4049, true);
    dv.setFloat64(12, 0.1, true);
    dv.setFloat64(20, -3, true);
    const bytes = file(
      {
        h: { dtype: "F16", shape: [3], data_offsets: [0, 6] },
        b: { dtype: "BF16", shape: [3], data_offsets: [6, 12] },
        d: { dtype: "F64", shape: [2], data_offsets: [12, 28] },
      },
      data,
    );
    const { tensors } = readSafetensors(bytes);
    expect(Array.from(tensors.get("h")!.data)).toEqual([1, -2, 2 ** -24]);
    expect(Array.from(tensors.get("b")!.data)).toEqual([1, -0.5, 3.140625]);
    expect(Array.from(tensors.get("d")!.data)).toEqual([Math.fround(0.1), -3]);
  });

  it("reads from an unaligned view and skips filtered tensors", () => {
    const bytes = encodeSafetensors({ a: { data: new Float32Array([1, 2]), shape: [2] }, b: { data: new Float32Array([3]), shape: [1] } });
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const { tensors } = readSafetensors(shifted.subarray(1), { filter: (n) => n === "a" });
    expect([...tensors.keys()]).toEqual(["a"]);
    expect(Array.from(tensors.get("a")!.data)).toEqual([1, 2]);
  });

  it("rejects a file shorter than the length prefix", () => {
    rejects(new Uint8Array(5), /5 bytes, shorter than the 8-byte header length/);
  });

  it("rejects a header length beyond the file (truncated)", () => {
    const bytes = encodeSafetensors({ a: { data: new Float32Array(4), shape: [4] } });
    rejects(bytes.subarray(0, 20), /header length \d+ goes beyond the end of the file \(20 bytes\)/);
  });

  it("rejects an absurd header length before allocating", () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, 2n ** 62n, true);
    rejects(bytes, /exceeds the 100000000-byte limit/);
  });

  it("rejects bad JSON and non-object headers", () => {
    rejects(file(null, 0, '{"a": {"dtype": "F32",'), /not valid UTF-8 JSON/);
    rejects(file([1, 2], 0), /must be a JSON object/);
  });

  it("rejects unknown dtypes, naming the tensor", () => {
    rejects(file({ "lstm.bias": { dtype: "F33", shape: [1], data_offsets: [0, 4] } }, 4), /tensor lstm\.bias: unknown dtype "F33"/);
  });

  it("rejects known non-float dtypes when decoding", () => {
    rejects(file({ steps: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, 8), /tensor steps: dtype I64 cannot be read as floats/);
  });

  it("rejects offsets beyond the data buffer", () => {
    rejects(file({ w: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, 12), /tensor w: data_offsets \[0, 16\] go beyond the data buffer \(12 bytes\)/);
  });

  it("rejects overlapping tensors, naming both", () => {
    rejects(
      file(
        {
          a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
          b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
        },
        12,
      ),
      /tensors a and b overlap/,
    );
  });

  it("rejects a shape that does not match the byte size", () => {
    rejects(file({ w: { dtype: "F16", shape: [2, 3], data_offsets: [0, 8] } }, 8), /tensor w: shape \[2, 3\] of F16 needs 12 bytes, data_offsets span 8/);
  });

  it("rejects malformed entries", () => {
    rejects(file({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 0] } }, 0), /tensor w: shape must be an array of non-negative integers/);
    rejects(file({ w: { dtype: "F32", shape: [1], data_offsets: [4] } }, 4), /tensor w: data_offsets must be \[begin, end\]/);
    rejects(file({ w: { dtype: "F32", shape: [0], data_offsets: [4, 0] } }, 4), /end before begin/);
    rejects(file({ __metadata__: { n: 1 } }, 0), /__metadata__\.n must be a string/);
  });

  it("parses the header alone with absolute offsets", () => {
    const h = parseSafetensorsHeader(file({ w: { dtype: "BF16", shape: [2], data_offsets: [0, 4] } }, 4, '{"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}  '));
    expect(h.entries).toEqual([{ name: "w", dtype: "BF16", shape: [2], byteOffset: h.dataOffset, byteLength: 4 }]);
  });
});
