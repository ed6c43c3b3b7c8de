import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "@statescope/core";
import { makeTar, makeZip } from "../../../../tests/fixtures/formats/archives";
import { mutate } from "../../../../tests/fixtures/formats/mutate";
import { DEFAULT_YML, makeLstmVisProject, WORDS_DICT } from "../../../../tests/fixtures/formats/projects";
import { extractArchive } from "../archive/archive";
import { parseDict } from "../dict/dict";
import { Hdf5File } from "../hdf5/h5";
import { encodeNpy, NpyFile } from "../npy/npy";
import { scanSource } from "./dataset-reader";
import { openLstmVisProject, parseLstmYml } from "./project";
import { mulberry32 as prng } from "@statescope/core";

/** Runs `fn`; it must succeed or throw AppError — anything else fails with the case id. */
async function expectCleanOutcome(id: string, fn: () => Promise<unknown> | unknown): Promise<"ok" | "rejected"> {
  try {
    await fn();
    return "ok";
  } catch (e) {
    if (!(e instanceof AppError)) throw new Error(`${id}: threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    return "rejected";
  }
}

/**
 * Counts the outcomes of a series of cases. A series that never reaches the readers' error paths
 * (no case rejected) fuzzes nothing: each series asserts that some of its cases were rejected.
 */
function series() {
  const n = { ok: 0, rejected: 0 };
  return {
    n,
    async case(id: string, fn: () => Promise<unknown> | unknown): Promise<void> {
      n[await expectCleanOutcome(id, fn)]++;
    },
  };
}

/** Set FUZZ_SEED to explore other cases; the default keeps CI deterministic. */
const SEED = Number(process.env.FUZZ_SEED ?? 0) * 100;

let base: string;
let project: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "fuzz-"));
  project = join(base, "proj");
  await makeLstmVisProject(project);
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

// hundreds of real opens and scans: seconds on a quiet machine, more on a shared one
describe("fuzz: mutated and truncated inputs end in success or AppError", { timeout: 60_000 }, () => {
  it("lstm.yml (parse: 120 cases, full open: 15 cases)", async () => {
    const rnd = prng(SEED + 1);
    const src = Buffer.from(DEFAULT_YML);
    const parse = series();
    for (let i = 0; i < 120; i++) {
      const m = mutate(src, rnd);
      await parse.case(`yml#${i}`, () => parseLstmYml(m.toString("utf8")));
    }
    const open = series();
    for (let i = 0; i < 15; i++) {
      const m = mutate(src, rnd);
      await writeFile(join(project, "lstm.yml"), m);
      await open.case(`yml-open#${i}`, async () => (await openLstmVisProject(project)).close());
    }
    await writeFile(join(project, "lstm.yml"), DEFAULT_YML);
    expect(parse.n.rejected).toBeGreaterThan(0);
    expect(open.n.rejected).toBeGreaterThan(0);
  });

  it("dictionaries (100 cases)", async () => {
    const rnd = prng(SEED + 2);
    const src = Buffer.from(WORDS_DICT + "<nl> 9\n 10\n");
    const dicts = series();
    for (let i = 0; i < 100; i++) {
      const m = mutate(src, rnd);
      await dicts.case(`dict#${i}`, () => parseDict(m.toString("utf8"), "words.dict"));
    }
    expect(dicts.n.rejected).toBeGreaterThan(0);
  });

  it("npy files (80 cases)", async () => {
    const rnd = prng(SEED + 3);
    const variants = [
      encodeNpy(Float32Array.from({ length: 60 }, (_, i) => i), [20, 3]),
      encodeNpy(new BigInt64Array(10).fill(3n), [10], { version: 2 }),
      encodeNpy(new Uint16Array(12).fill(0x3c00), [4, 3], { float16: true, version: 3 }),
    ];
    const p = join(base, "f.npy");
    const npys = series();
    for (let i = 0; i < 80; i++) {
      await writeFile(p, mutate(variants[i % variants.length]!, rnd));
      await npys.case(`npy#${i}`, async () => {
        const f = await NpyFile.open(p);
        try {
          const rows = f.shape.length === 0 ? 1 : f.shape[0]!;
          await f.readFloat32(0, Math.min(rows, 64));
          await f.readInt32(0, Math.min(rows, 64));
        } finally {
          await f.close();
        }
      });
    }
    expect(npys.n.rejected).toBeGreaterThan(0);
  });

  it("hdf5 files inside a project (60 cases)", async () => {
    const rnd = prng(SEED + 4);
    const dir = join(base, "h5proj");
    await makeLstmVisProject(dir);
    const states = await readFile(join(dir, "states.h5"));
    const layer2 = await readFile(join(dir, "states_layer2.h5")); // chunked + gzip
    const h5s = series();
    let scanned = 0;
    for (let i = 0; i < 60; i++) {
      const target = i % 2 ? "states.h5" : "states_layer2.h5";
      await writeFile(join(dir, target), mutate(i % 2 ? states : layer2, rnd));
      await h5s.case(`h5#${i}`, async () => {
        const r = await openLstmVisProject(dir);
        try {
          expect(r.plan.sources.length).toBeGreaterThan(0);
          for (const s of r.plan.sources) await scanSource(r, s.name, { chunkRows: 8 });
          scanned++;
        } finally {
          await r.close();
        }
      });
      await writeFile(join(dir, "states.h5"), states);
      await writeFile(join(dir, "states_layer2.h5"), layer2);
    }
    // both paths ran on mutated files: rejections, and mutations the reader survives (every source scanned)
    expect(h5s.n.rejected).toBeGreaterThan(0);
    expect(h5s.n.ok).toBeGreaterThan(0);
    expect(scanned).toBe(h5s.n.ok);
    // the restored files read as before
    const f = await Hdf5File.open(join(dir, "states.h5"));
    expect((await (await f.dataset("states1")).readFloat32(0, 1)).length).toBe(4);
    await f.close();
  });

  it("zip and tar.gz archives (50 cases each)", async () => {
    const rnd = prng(SEED + 5);
    const entries = [
      { name: "p/lstm.yml", data: DEFAULT_YML },
      { name: "p/words.dict", data: WORDS_DICT.repeat(20) },
      { name: "p/sub/", data: "" },
      { name: "p/sub/x.txt", data: "x".repeat(3000) },
    ];
    const zip = makeZip(entries);
    const tgz = makeTar(entries.filter((e) => !e.name.endsWith("/")));
    const p = join(base, "a.bin");
    const archives = series();
    for (let i = 0; i < 100; i++) {
      await writeFile(p, mutate(i % 2 ? zip : tgz, rnd));
      await archives.case(`archive#${i}`, async () => {
        const res = await extractArchive(p, { limits: { maxEntries: 50 } });
        await res.cleanup();
      });
    }
    expect(archives.n.rejected).toBeGreaterThan(0);
  });

  it("copies of the project are left intact by failed opens", async () => {
    // a copy of the project, with one file broken at a time: the open fails and changes no file
    const copy = join(base, "copy");
    await cp(project, copy, { recursive: true });
    const snapshot = async () => {
      const files = (await readdir(copy)).sort();
      return Object.fromEntries(await Promise.all(files.map(async (f) => [f, (await readFile(join(copy, f))).toString("base64")] as const)));
    };
    const intact = await snapshot();
    expect(Object.keys(intact)).toEqual(expect.arrayContaining(["lstm.yml", "states.h5", "words.dict"]));
    for (const [file, broken] of [
      ["lstm.yml", "files: [unclosed"],
      ["states.h5", "not an HDF5 file"],
      ["words.dict", "\u0000\u0001 x y z\n"],
    ] as const) {
      await writeFile(join(copy, file), broken);
      const outcome = await expectCleanOutcome(`broken ${file}`, async () => {
        const r = await openLstmVisProject(copy);
        try {
          for (const s of r.plan.sources) await scanSource(r, s.name, { chunkRows: 8 });
        } finally {
          await r.close();
        }
      });
      expect(outcome, file).toBe("rejected");
      expect(await snapshot()).toEqual({ ...intact, [file]: Buffer.from(broken).toString("base64") });
      await writeFile(join(copy, file), Buffer.from(intact[file]!, "base64"));
    }
    expect(await snapshot()).toEqual(intact);
    const r = await openLstmVisProject(copy);
    expect(r.plan.steps).toBe(20);
    await r.close();
  });
});
