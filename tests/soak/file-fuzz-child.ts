/**
 * The parser side of the hostile-file fuzz (tests/soak/file-fuzz.ts), in its own process so an
 * abort inside h5wasm (or any crash) is seen as a crash of this process, not of the test runner.
 * Reads case numbers on stdin, one per line; builds each case from the seed; runs the whole
 * import read path (archive → project root → open → every source, token and meta row); prints
 * `CASE <i> ok|rejected|error <message>` per case.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { AppError, mulberry32 } from "@statescope/core";
import { extractArchive, locateProjectRoot, openDataset } from "@statescope/formats";
import { makeTar, makeZip } from "../fixtures/formats/archives";
import { mutate } from "../fixtures/formats/mutate";
import { makeLstmVisProject } from "../fixtures/formats/projects";

const seed = Number(process.argv[2] ?? 0);
const PROJECT_FILES = ["lstm.yml", "words.dict", "pos.dict", "train.h5", "states.h5", "states_layer2.h5", "pos.h5"];

async function main(): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), "file-fuzz-"));
  try {
    await makeLstmVisProject(join(base, "p"));
    const files = new Map<string, Buffer>();
    for (const f of PROJECT_FILES) files.set(f, await readFile(join(base, "p", f)));

    /** Case i: a project archive with one of its HDF5 files mutated, or the archive's own bytes mutated. */
    const build = (i: number): { name: string; bytes: Buffer } => {
      const rnd = mulberry32(seed * 1_000_003 + i);
      const h5s = PROJECT_FILES.filter((f) => f.endsWith(".h5"));
      const entries = PROJECT_FILES.map((f) => ({ name: `p/${f}`, data: files.get(f)! }));
      const kind = i % 4;
      if (kind < 3) {
        // mutate an HDF5 file inside a well-formed archive: the HDF5 reader gets the hostile bytes
        const victim = h5s[Math.floor(rnd() * h5s.length)]!;
        const e = entries.find((x) => x.name === `p/${victim}`)!;
        e.data = mutate(e.data, rnd);
        if (kind === 2 && rnd() < 0.5) e.data = mutate(e.data, rnd);
        return kind === 1 ? { name: "case.tar.gz", bytes: makeTar(entries) } : { name: "case.zip", bytes: makeZip(entries) };
      }
      // mutate the archive itself (headers, sizes, compressed streams)
      return rnd() < 0.5 ? { name: "case.zip", bytes: mutate(makeZip(entries), rnd) } : { name: "case.tar.gz", bytes: mutate(makeTar(entries), rnd) };
    };

    const run = async (i: number): Promise<void> => {
      const dir = join(base, `c${i}`);
      const c = build(i);
      const file = join(base, `${i}-${c.name}`);
      await writeFile(file, c.bytes);
      try {
        const extracted = await extractArchive(file, { dest: dir });
        try {
          const root = (await locateProjectRoot(extracted.dir)).root;
          const r = await openDataset(root);
          try {
            const { steps } = r.plan;
            await r.readTokenIds(0, steps);
            for (const s of r.plan.sources) await r.readSourceRows(s.name, 0, steps);
            for (const m of r.plan.metaTracks) await r.readMetaRows(m.name, 0, steps);
          } finally {
            await r.close();
          }
        } finally {
          await extracted.cleanup();
        }
        process.stdout.write(`CASE ${i} ok\n`);
      } catch (e) {
        if (e instanceof AppError) process.stdout.write(`CASE ${i} rejected\n`);
        else process.stdout.write(`CASE ${i} error ${JSON.stringify(e instanceof Error ? `${e.name}: ${e.message}` : String(e))}\n`);
      } finally {
        await rm(file, { force: true });
        await rm(dir, { recursive: true, force: true });
      }
    };

    process.stdout.write("READY\n");
    for await (const line of createInterface({ input: process.stdin })) {
      if (line.trim() === "") continue;
      await run(Number(line));
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

void main();
