import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeNumpyFolder } from "../../../../tests/fixtures/formats/projects";
import { writeNpy } from "../npy/npy";
import { openDataset } from "../lstmvis/open-dataset";
import { openNumpyFolder } from "./numpy-folder";

let base: string;
let n = 0;
const fresh = () => join(base, `n${n++}`);
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "numpy-test-"));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe("NumPy folder", () => {
  it("plans sources from file stems with sources.json transforms and streams rows", async () => {
    const fx = await makeNumpyFolder(fresh());
    // g.npy has only 2 rows: truncates
    const r = await openDataset(fx.dir, { name: "np" });
    const { plan } = r;
    expect(plan).toMatchObject({ format: "numpy", name: "np", steps: 2, wordSequenceLength: 12 });
    expect(plan.sources.map((s) => [s.name, s.transform, s.rows, s.cells, s.dtype])).toEqual([
      ["c", "tanh", 12, 2, "float64"],
      ["g", "none", 2, 2, "float16"],
      ["h", "none", 12, 5, "float32"],
    ]);
    expect(plan.warnings).toContain("source g has 2 rows, fewer than the 12 tokens: the dataset is truncated to 2 steps");
    expect(Array.from(await r.readSourceRows("g", 0, 2))).toEqual([1, -2, 0.5, 0]);
    expect(Array.from(await r.readSourceRows("h", 1, 2))).toEqual(Array.from(fx.h.subarray(5, 10)));
    expect(Array.from(await r.readTokenIds(0, 2)).map((id) => r.tokenText(id))).toEqual(["the", "cat"]);
    expect(plan.metaTracks.map((t) => [t.name, t.kind])).toEqual([
      ["score", "scalar"],
      ["tag", "discrete"],
    ]);
    expect(plan.metaTracks[1]!.labels).toEqual([{ id: 0, label: "even" }, { id: 1, label: "odd" }]);
    expect(await r.readMetaRows("tag", 0, 2)).toEqual({ kind: "discrete", values: Int32Array.from([0, 1]) });
    await r.close();
  });

  it("reads ids.npy + vocab.json", async () => {
    const dir = fresh();
    await makeNumpyFolder(dir, { useIds: true });
    await rm(join(dir, "g.npy"));
    const r = await openNumpyFolder(dir);
    expect(r.plan.steps).toBe(12);
    expect(r.tokenText((await r.readTokenIds(4, 5))[0]!)).toBe("mat");
    await r.close();
  });

  it("rejects bad sources and settings with the file named", async () => {
    const dir = fresh();
    await makeNumpyFolder(dir);
    await writeNpy(join(dir, "bad.npy"), new Int32Array(12), [12]);
    await expect(openNumpyFolder(dir)).rejects.toThrow("bad.npy: states must be 2-D float (steps x cells), got int32 with shape (12)");
    await rm(join(dir, "bad.npy"));
    await writeFile(join(dir, "sources.json"), JSON.stringify({ zz: { transform: "tanh" } }));
    await expect(openNumpyFolder(dir)).rejects.toThrow('sources.json: "zz" is not a source (no zz.npy)');
    await writeFile(join(dir, "sources.json"), "{oops");
    await expect(openNumpyFolder(dir)).rejects.toThrow(/sources.json: invalid JSON/);
    await writeFile(join(dir, "sources.json"), "{}");
    await writeNpy(join(dir, "long.npy"), new Float32Array(13), [13, 1]);
    await expect(openNumpyFolder(dir)).rejects.toThrow("long.npy: has 13 rows, more than the 12 tokens");
  });
});
