import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { floatToHalf, halfToFloat } from "./dtype";
import { encodeNpy, NpyFile, parseNpyHeader, writeNpy } from "./npy";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "npy-test-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("npy", () => {
  it("round-trips float32 and reads row slices at offsets", async () => {
    const data = Float32Array.from({ length: 30 }, (_, i) => i * 0.5);
    const p = join(dir, "a.npy");
    await writeNpy(p, data, [10, 3]);
    const f = await NpyFile.open(p);
    expect(f.shape).toEqual([10, 3]);
    expect(f.dtype).toBe("float32");
    expect(Array.from(await f.readFloat32(2, 4))).toEqual([3, 3.5, 4, 4.5, 5, 5.5]);
    expect((await f.readFloat32(10, 10)).length).toBe(0);
    await expect(f.readFloat32(9, 11)).rejects.toThrow(/a.npy: row range \[9, 11\) is outside 0..10/);
    await f.close();
  });

  it.each([1, 2, 3] as const)("parses header version %i", (version) => {
    const buf = encodeNpy(new Float64Array([1, 2]), [2], { version });
    const h = parseNpyHeader(buf, "x.npy");
    expect(h).toMatchObject({ version, dtype: "float64", shape: [2], dataBytes: 16 });
    if ("dataOffset" in h) expect(h.dataOffset % 64).toBe(0);
  });

  it("converts float64, int64, float16 and big-endian to float32", async () => {
    const p64 = join(dir, "f8.npy");
    await writeNpy(p64, new Float64Array([1.5, -2.25]), [2, 1]);
    expect(Array.from(await (await NpyFile.open(p64)).readFloat32(0, 2))).toEqual([1.5, -2.25]);
    const pi = join(dir, "i8.npy");
    await writeNpy(pi, new BigInt64Array([7n, -3n]), [2]);
    const fi = await NpyFile.open(pi);
    expect(Array.from(await fi.readInt32(0, 2))).toEqual([7, -3]);
    const ph = join(dir, "f2.npy");
    await writeNpy(ph, Uint16Array.from([1, -2, 0.5, 65504, 1e-7].map(floatToHalf)), [5], { float16: true });
    const fh = await NpyFile.open(ph);
    expect(fh.dtype).toBe("float16");
    const got = await fh.readFloat32(0, 5);
    expect(Array.from(got.subarray(0, 4))).toEqual([1, -2, 0.5, 65504]);
    expect(got[4]).toBe(2 * 2 ** -24); // nearest subnormal half to 1e-7
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(Number.isNaN(halfToFloat(0x7e00))).toBe(true);
    const be = Buffer.from(new Float32Array([0, 0]).buffer);
    be.writeFloatBE(3.25, 0);
    be.writeFloatBE(-1, 4);
    const pb = join(dir, "be.npy");
    const head = encodeNpy(new Float32Array(2), [2], { descr: ">f4" });
    await writeFile(pb, Buffer.concat([head.subarray(0, head.length - 8), be]));
    expect(Array.from(await (await NpyFile.open(pb)).readFloat32(0, 2))).toEqual([3.25, -1]);
  });

  it("rejects fortran order, unsupported dtypes and truncated files", async () => {
    const pf = join(dir, "fortran.npy");
    await writeNpy(pf, new Float32Array(4), [2, 2], { fortranOrder: true });
    await expect(NpyFile.open(pf)).rejects.toThrow(/fortran.npy: fortran_order=True arrays are not supported/);
    const pc = join(dir, "c.npy");
    await writeNpy(pc, new Float32Array(4), [2, 2], { descr: "<c8" });
    await expect(NpyFile.open(pc)).rejects.toThrow(/c.npy: unsupported dtype '<c8'/);
    const pt = join(dir, "t.npy");
    const full = encodeNpy(new Float32Array(100), [10, 10]);
    await writeFile(pt, full.subarray(0, full.length - 5));
    await expect(NpyFile.open(pt)).rejects.toThrow(/t.npy: truncated: shape \(10, 10\) of float32 needs 400 data bytes, the file holds 395/);
    await writeFile(pt, full.subarray(0, 30));
    await expect(NpyFile.open(pt)).rejects.toThrow(/t.npy: truncated .npy header/);
    await writeFile(pt, "hello world, not numpy");
    await expect(NpyFile.open(pt)).rejects.toThrow(/t.npy: not a valid .npy file/);
  });

  it("rejects float values that are not integral when reading ids", async () => {
    const p = join(dir, "fid.npy");
    await writeNpy(p, new Float32Array([1, 2.5]), [2]);
    await expect((await NpyFile.open(p)).readInt32(0, 2)).rejects.toThrow(/fid.npy: value 2.5 at element 1 is not an integer/);
  });
});
