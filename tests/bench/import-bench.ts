/**
 * `npm run bench:import`: generates an LSTMVis folder with one 1M × 650
 * float32 source (2.6 GB of HDF5, written in slices), imports it through the
 * import service into the embedded PostgreSQL of .test-data/bench and reports
 * wall time and peak RSS (issue 15's targets: ≤ 30 s, ≤ 1 GB), how long the import
 * still ran after its last progress report before "finishing" (the storage backlog a progress
 * bar would sit on at 99 %), the bytes
 * PostgreSQL wrote (tables and WAL, including the default-threshold bit
 * index), and the import's speed as a ratio of this disk's sequential write
 * speed (measured first with dd conv=fdatasync, 1 GiB). Windows of the imported
 * source are read back and compared with the generator: the bench FAILS when
 * one differs.
 *
 * BENCH_STEPS / BENCH_CELLS override the size; BENCH_KEEP=1 keeps the folder;
 * BENCH_PG_PORT the database port.
 */
import { spawnSync } from "node:child_process";
import os from "node:os";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import h5wasm from "h5wasm/node";
import { createDb } from "@/server/db/client";
import { ensureDatabase } from "@/server/db/embedded";
import { ensurePrismaClient, migrate } from "@/server/cli/runtime";
import { importDataset } from "@/server/services/datasets/import";
import { findSource } from "@/server/services/datasets/datasets";
import { pgPool } from "@/server/db/client";
import { readStateWindow } from "@/server/storage/dataset-store";
import { runBench } from "./run";

const STEPS = Number(process.env.BENCH_STEPS ?? 1_000_000);
const CELLS = Number(process.env.BENCH_CELLS ?? 650);
const ROOT = resolve(".test-data/bench");
const DIR = join(ROOT, `project-${STEPS}x${CELLS}`);
const log = (l: string) => process.stderr.write(`[bench] ${l}\n`);
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
/** The generator's value at (t, c): cheap, deterministic, in [-1, 1). */
const value = (t: number, c: number) => Math.fround((((t * 31 + c * 17) % 2000) - 1000) / 1000);

/** Sequential write speed of the disk under ROOT (MB/s): 1 GiB through dd with conv=fdatasync. */
function diskWriteMBps(): number {
  const file = join(ROOT, "dd-speed.tmp");
  const r = spawnSync("dd", ["if=/dev/zero", `of=${file}`, "bs=64M", "count=16", "conv=fdatasync"], { encoding: "utf8" });
  spawnSync("rm", ["-f", file]);
  const m = /copied, ([\d.]+) s/.exec(r.stderr ?? "");
  if (!m) throw new Error(`dd failed: ${r.stderr}`);
  return 1024 / Number(m[1]);
}

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
      for (let t = from, i = 0; t < to; t++) for (let c = 0; c < CELLS; c++, i++) rows[i] = value(t, c);
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
  await mkdir(ROOT, { recursive: true });
  const diskMBps = diskWriteMBps();
  log(`disk: ${diskMBps.toFixed(0)} MB/s sequential write (dd, 1 GiB, conv=fdatasync)`);
  const handle = await ensureDatabase({ dataDir: join(ROOT, "db"), preferredPort: Number(process.env.BENCH_PG_PORT ?? 54600), log });
  try {
    await migrate(handle.url, log);
    const db = createDb(handle.url);
    try {
      const ws = await db.workspace.upsert({ where: { slug: "bench" }, create: { slug: "bench", name: "bench" }, update: {}, select: { id: true } });
      // start from an empty table so repeated runs do not grow the cluster
      await db.dataset.deleteMany({ where: { workspaceId: ws.id } });
      await pgPool(db).query("checkpoint");
      const size = async () => (await pgPool(db).query<{ b: string; lsn: string }>("select pg_database_size(current_database())::text as b, pg_current_wal_lsn()::text as lsn")).rows[0]!;
      const checkpoints = async () => Number((await pgPool(db).query<{ n: string }>("select (num_timed + num_requested)::text as n from pg_stat_checkpointer")).rows[0]!.n);
      const checkpointsBefore = await checkpoints();
      // start with no writeback pending from earlier runs (the generator, a previous import)
      spawnSync("sync");
      const before = await size();
      const rssBefore = process.resourceUsage().maxRSS;
      let shown = -1;
      let shownPhase = "";
      // when the last slice was handed to the database (progress counts what was queued): the time
      // after it is the storage backlog a progress bar at 99 % would sit on
      let lastQueuedAt = 0;
      const t0 = performance.now();
      const out = await importDataset(db, { workspaceId: ws.id, userId: null, path: DIR }, {
        onProgress: (phase, percent) => {
          if (phase !== "finishing") lastQueuedAt = performance.now();
          const p = Math.floor(percent / 10) * 10;
          if (p !== shown || phase !== shownPhase) {
            shown = p;
            shownPhase = phase;
            log(`${phase} ${p}% (${((performance.now() - t0) / 1000).toFixed(0)} s, rss ${mb(process.memoryUsage().rss / 1024)})`);
          }
        },
      });
      const seconds = (performance.now() - t0) / 1000;
      const peak = process.resourceUsage().maxRSS;
      const after = await size();
      const wal = Number((await pgPool(db).query<{ d: string }>("select pg_wal_lsn_diff($1, $2)::text as d", [after.lsn, before.lsn])).rows[0]!.d);
      const tableBytes = Number(after.b) - Number(before.b);
      const checkpointsDuring = (await checkpoints()) - checkpointsBefore;
      // read windows back and compare with the generator
      const src = await findSource(db, null, out.datasetId, out.sources[0]!.name);
      let wrong = 0;
      for (const from of [0, Math.floor(STEPS / 3), STEPS - 300]) {
        const w = await readStateWindow(pgPool(db), src, from, from + 300);
        for (let i = 0; i < w.length; i++) if (w[i] !== value(from + Math.floor(i / CELLS), i % CELLS)) wrong++;
      }
      const gb = (STEPS * CELLS * 4) / 1024 ** 3;
      const floor = (tableBytes + wal) / (diskMBps * 2 ** 20);
      const result = {
        steps: out.steps,
        cells: out.sources[0]?.cells,
        sourceGB: Number(gb.toFixed(2)),
        importSeconds: Number(seconds.toFixed(1)),
        secondsAfterLastProgress: Number((seconds - (lastQueuedAt - t0) / 1000).toFixed(1)),
        throughputMBps: Number(((gb * 1024) / seconds).toFixed(1)),
        peakRssMB: Math.round(peak / 1024),
        peakRssBeforeImportMB: Math.round(rssBefore / 1024),
        postgresWroteGB: { tables: Number((tableBytes / 2 ** 30).toFixed(2)), wal: Number((wal / 2 ** 30).toFixed(2)) },
        checkpointsDuringImport: checkpointsDuring,
        diskWriteMBps: Math.round(diskMBps),
        diskFloorSeconds: Number(floor.toFixed(1)),
        ratioToDisk: Number((seconds / floor).toFixed(1)),
        targets: { seconds: 30, peakRssMB: 1024 },
        withinTargets: seconds <= 30 && peak / 1024 <= 1024,
        loadAverage: os.loadavg().map((x) => Number(x.toFixed(1))),
      };
      process.stdout.write(JSON.stringify(result, null, 2) + "\n");
      await db.dataset.deleteMany({ where: { workspaceId: ws.id } });
      if (wrong > 0) throw new Error(`${wrong} imported values differ from the generated source`);
    } finally {
      await db.$disconnect();
    }
  } finally {
    await handle.stop();
    if (process.env.BENCH_KEEP !== "1") await rm(DIR, { recursive: true, force: true });
  }
}

runBench(main);
