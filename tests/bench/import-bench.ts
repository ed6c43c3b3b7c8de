/**
 * `npm run bench:import`: generates an LSTMVis folder with one 1M × 650
 * float32 source (2.6 GB of HDF5, written in slices), imports it through the
 * import service into the embedded PostgreSQL of .test-data/bench and reports
 * wall time and peak RSS (target ≤ 1.5 GB).
 *
 * BENCH_STEPS / BENCH_CELLS override the size; BENCH_KEEP=1 keeps the folder.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import h5wasm from "h5wasm/node";
import { createDb } from "@/server/db/client";
import { ensureDatabase } from "@/server/db/embedded";
import { ensurePrismaClient, migrate } from "@/server/cli/runtime";
import { importDataset } from "@/server/services/datasets/import";
import { runBench } from "./run";

const STEPS = Number(process.env.BENCH_STEPS ?? 1_000_000);
const CELLS = Number(process.env.BENCH_CELLS ?? 650);
const ROOT = resolve(".test-data/bench");
const DIR = join(ROOT, `project-${STEPS}x${CELLS}`);
const log = (l: string) => process.stderr.write(`[bench] ${l}\n`);
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

async function generate(): Promise<void> {
  if (existsSync(join(DIR, "lstm.yml"))) {
    log(`reusing ${DIR}`);
    return;
  }
  await mkdir(DIR, { recursive: true });
  await h5wasm.ready;
  const t0 = performance.now();
  const SLICE = 16_384;
  const f = new h5wasm.File(join(DIR, "states.h5"), "w");
  try {
    const first = Math.min(SLICE, STEPS);
    const ds = f.create_dataset({ name: "states1", data: new Float32Array(first * CELLS), shape: [first, CELLS], maxshape: [STEPS, CELLS], chunks: [1024, CELLS] });
    ds.resize([STEPS, CELLS]);
    const buf = new Float32Array(SLICE * CELLS);
    for (let from = 0; from < STEPS; from += SLICE) {
      const to = Math.min(STEPS, from + SLICE);
      const rows = buf.subarray(0, (to - from) * CELLS);
      // cheap deterministic values in [-1, 1)
      for (let t = from, i = 0; t < to; t++) for (let c = 0; c < CELLS; c++, i++) rows[i] = (((t * 31 + c * 17) % 2000) - 1000) / 1000;
      ds.write_slice([[from, to], [0, CELLS]], rows);
    }
  } finally {
    f.close();
  }
  const ids = new Int32Array(STEPS);
  for (let t = 0; t < STEPS; t++) ids[t] = (t % 1000) + 1;
  const w = new h5wasm.File(join(DIR, "train.h5"), "w");
  try {
    w.create_dataset({ name: "word_ids", data: ids, shape: [STEPS] });
  } finally {
    w.close();
  }
  await writeFile(join(DIR, "words.dict"), Array.from({ length: 1000 }, (_, i) => `w${i + 1} ${i + 1}`).join("\n") + "\n");
  await writeFile(
    join(DIR, "lstm.yml"),
    `name: bench\nfiles:\n  states: states.h5\n  train: train.h5\n  words: words.dict\nword_sequence: {file: train, path: word_ids, dict_file: words}\nstates:\n  file: states\n  types:\n    - {type: state, layer: 1, path: states1}\n`,
  );
  log(`generated ${DIR} (${STEPS} × ${CELLS} float32) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function main() {
  if (process.argv[2] === "generate") return generate();
  // Generate in a child process: h5wasm's writer heap would otherwise count in this process's peak RSS.
  const gen = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, "generate"], { stdio: "inherit" });
  if (gen.status !== 0) throw new Error(`generating the project failed (exit ${gen.status})`);
  await ensurePrismaClient(log);
  const handle = await ensureDatabase({ dataDir: join(ROOT, "db"), preferredPort: 54600, log });
  try {
    await migrate(handle.url, log);
    const db = createDb(handle.url);
    try {
      const ws = await db.workspace.upsert({ where: { slug: "bench" }, create: { slug: "bench", name: "bench" }, update: {}, select: { id: true } });
      // start from an empty table so repeated runs do not grow the cluster
      await db.dataset.deleteMany({ where: { workspaceId: ws.id } });
      const rssBefore = process.resourceUsage().maxRSS;
      let shown = -1;
      const t0 = performance.now();
      const out = await importDataset(db, { workspaceId: ws.id, userId: null, path: DIR }, {
        onProgress: (phase, percent) => {
          const p = Math.floor(percent / 10) * 10;
          if (p !== shown) {
            shown = p;
            log(`${phase} ${p}% (${((performance.now() - t0) / 1000).toFixed(0)} s, rss ${mb(process.memoryUsage().rss / 1024)})`);
          }
        },
      });
      const seconds = (performance.now() - t0) / 1000;
      const peak = process.resourceUsage().maxRSS;
      const gb = (STEPS * CELLS * 4) / 1024 ** 3;
      const result = {
        steps: out.steps,
        cells: out.sources[0]?.cells,
        sourceGB: Number(gb.toFixed(2)),
        importSeconds: Number(seconds.toFixed(1)),
        throughputMBps: Number(((gb * 1024) / seconds).toFixed(1)),
        peakRssMB: Math.round(peak / 1024),
        peakRssBeforeImportMB: Math.round(rssBefore / 1024),
        targetMB: 1536,
        withinTarget: peak / 1024 <= 1536,
      };
      process.stdout.write(JSON.stringify(result, null, 2) + "\n");
      await db.dataset.deleteMany({ where: { workspaceId: ws.id } });
    } finally {
      await db.$disconnect();
    }
  } finally {
    await handle.stop();
    if (process.env.BENCH_KEEP !== "1") await rm(DIR, { recursive: true, force: true });
  }
}

runBench(main);
