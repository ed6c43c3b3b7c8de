import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeH5 } from "../../../../tests/fixtures/formats/h5-fixtures";
import { Hdf5File } from "./h5";

const H5PY = join(__dirname, "../../../../tests/fixtures/formats/h5py");
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "h5-test-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("Hdf5File", () => {
  it("lists datasets and reads row slices of contiguous and chunked+gzip data", async () => {
    const p = join(dir, "a.h5");
    const big = Float32Array.from({ length: 1000 * 3 }, (_, i) => i);
    await writeH5(p, [
      { name: "s", data: big, shape: [1000, 3] },
      { name: "g/z", data: Float64Array.from(big), shape: [1000, 3], chunks: [64, 3], gzip: 6 },
      { name: "ids", data: BigInt64Array.from({ length: 1000 }, (_, i) => BigInt(i)), shape: [1000], chunks: [100], gzip: 1 },
    ], { soft: [["/g/z", "alias"]] });
    const f = await Hdf5File.open(p);
    expect(f.list()).toEqual([
      { path: "/alias", kind: "soft-link", target: "/g/z" },
      { path: "/g", kind: "group" },
      { path: "/g/z", kind: "dataset", shape: [1000, 3], dtype: "float64" },
      { path: "/ids", kind: "dataset", shape: [1000], dtype: "int64" },
      { path: "/s", kind: "dataset", shape: [1000, 3], dtype: "float32" },
    ]);
    const s = await f.dataset("s");
    expect(Array.from(await s.readFloat32(998, 1000))).toEqual([2994, 2995, 2996, 2997, 2998, 2999]);
    const z = await f.dataset("/g/z");
    expect(z.chunks).toEqual([64, 3]);
    expect(Array.from(await z.readFloat32(63, 65))).toEqual([189, 190, 191, 192, 193, 194]);
    expect(Array.from(await (await f.dataset("alias")).readFloat32(0, 1))).toEqual([0, 1, 2]);
    expect(Array.from(await (await f.dataset("ids")).readInt32(997, 1000))).toEqual([997, 998, 999]);
    await expect(s.readFloat32(999, 1001)).rejects.toThrow(/a.h5::s: row range \[999, 1001\) is outside 0..1000/);
    await expect(f.dataset("missing")).rejects.toThrow("a.h5: dataset missing not found");
    await expect(f.dataset("g")).rejects.toThrow("a.h5: g is not a dataset (it is a group)");
    await f.close();
  });

  it("rejects missing and non-HDF5 files", async () => {
    await expect(Hdf5File.open(join(dir, "nope.h5"), "nope.h5")).rejects.toThrow(/nope.h5: file not found/);
    await expect(Hdf5File.open(join(H5PY, "../make-h5py-fixtures.py"), "x.h5")).rejects.toThrow(/x.h5: not an HDF5 file/);
  });

  it("rejects external links on the path, without opening the target", async () => {
    const p = join(dir, "ext.h5");
    await writeH5(p, [{ name: "x", data: new Float32Array(4), shape: [2, 2] }], {
      external: [["/etc/secret.h5", "/data", "ext"]],
      soft: [["/ext/inner", "via_soft"]],
    });
    const f = await Hdf5File.open(p);
    expect(f.list()).toContainEqual({ path: "/ext", kind: "external-link", target: "/etc/secret.h5:/data" });
    await expect(f.dataset("ext")).rejects.toThrow(/ext.h5: dataset ext: \/ext is an external link to \/etc\/secret.h5:\/data; external links are not allowed/);
    await expect(f.dataset("ext/inner")).rejects.toThrow(/external link/);
    await expect(f.dataset("via_soft")).rejects.toThrow(/external link/);
    await f.close();
  });

  it.each(["earliest", "latest"])("rejects external raw-data storage (object header v%s)", async (v) => {
    const f = await Hdf5File.open(join(H5PY, `external-storage-${v}.h5`), "ext.h5");
    expect(Array.from(await (await f.dataset("word_ids")).readInt32(0, 3))).toEqual([1, 2, 3]);
    await expect(f.dataset("states1")).rejects.toThrow(
      "ext.h5: dataset states1 stores its raw data in external files; external storage is not allowed",
    );
    await f.close();
  });

  it.each(["earliest", "latest"])("rejects virtual datasets (%s)", async (v) => {
    const f = await Hdf5File.open(join(H5PY, `virtual-${v}.h5`), "vds.h5");
    await expect(f.dataset("states1")).rejects.toThrow("vds.h5: dataset states1 is a virtual dataset; virtual datasets are not allowed");
    await f.close();
  });

  it("reads float16 and big-endian datasets and rejects strings", async () => {
    const f = await Hdf5File.open(join(H5PY, "dtypes.h5"));
    expect(Array.from(await (await f.dataset("f16")).readFloat32(0, 2))).toEqual([1, -2.5, 0.5, 65504]);
    expect(Array.from(await (await f.dataset("be_f4")).readFloat32(0, 2))).toEqual([1, -2.5, 0.5, 3]);
    expect(Array.from(await (await f.dataset("be_i8")).readInt32(0, 3))).toEqual([1, 2, 3]);
    await expect(f.dataset("text")).rejects.toThrow("dtypes.h5: dataset text has a non-numeric type (string)");
    await f.close();
  });
});
