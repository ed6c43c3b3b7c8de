/**
 * `npm run bench:match-cold`: the first match query on a source, as a fresh worker meets it
 * (issue 15): every query runs in a new process (`match-cold-child.ts`: connect, then time
 * `MatchEngine.run`), with nothing cached in memory and PostgreSQL restarted before it (empty
 * shared buffers). The OS page cache holds the cluster's files unless `--evict` drops them
 * first (`dd iflag=nocache`, for this cluster's files only), so the query reads from disk.
 *
 *   tsx tests/bench/match-cold-bench.ts [--steps 1000000] [--queries 3] [--evict] [--code DIR] [--indexed-only | --never-only]
 *
 * Cases: fast and precise, each at ℓ = 0.3 (the dataset's default threshold, whose on/off index
 * the import persists) and at thresholds never asked before (any persisted index at them is
 * deleted before each query; `--indexed-only` skips those, `--never-only` runs only those). Selections are picked like the Select view's (5–20 cells).
 * Before the queries, the source's cell-major copy is written when the code reads one and it is
 * missing (what the `match:columns` job does after an import; its time is printed): a fast query at
 * a never-asked threshold reads its k cells there.
 * Every result is compared with the reference — core's `match` over the whole float32 source
 * read from its chunks — and the bench FAILS (exit 1) when one differs.
 * `--code DIR` runs the queries with another checkout's code (e.g. main's, for a before/after
 * comparison on the same data): the child resolves `@/…` and `@statescope/…` through DIR's tsconfig.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildOnIndex, match, type MatchResult } from "@statescope/core";
import { createDb, pgPool, type Db } from "@/server/db/client";
import { ensureDatabase, type DatabaseHandle } from "@/server/db/embedded";
import { ensurePrismaClient, migrate } from "@/server/cli/runtime";
import { readWholeSource } from "@/server/storage/dataset-store";
import { ensureMatchDataset, MATCH_BENCH, pickMatchQueries, withoutMatchSettings } from "./generated-source";
import { pct, row, runBench } from "./run";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : dflt;
};
const STEPS = Number(opt("--steps", "1000000"));
const QUERIES = Number(opt("--queries", "3"));
const EVICT = args.includes("--evict");
const KINDS = args.includes("--indexed-only") ? (["indexed"] as const) : args.includes("--never-only") ? (["never asked"] as const) : (["indexed", "never asked"] as const);
const HERE = import.meta.dirname;
const ROOT = path.resolve(HERE, "..", "..");
const CODE = path.resolve(opt("--code", ROOT));
const INDEXED = 0.3;
/** Thresholds no query asked before: one per query, so every one of them is a first. */
const NEVER = (i: number) => 0.35 + 0.01 * i;
const log = (l: string) => process.stderr.write(`[bench] ${l}\n`);

/** Whether the code under test writes and reads a cell-major copy of the floats (issue 15, session 5). */
const READS_COLUMNS = fs.existsSync(path.join(CODE, "server", "storage", "state-columns.ts"));

interface ChildOut {
  ms: number;
  indexMs: number;
  computeMs: number;
  peakRssMB: number;
  result: MatchResult;
}

function runChild<T = ChildOut>(spec: object): Promise<T> {
  const loader = path.join(CODE, "node_modules", "tsx", "dist", "loader.mjs");
  const child = spawn(process.execPath, ["--import", loader, path.join(HERE, "match-cold-child.ts"), JSON.stringify(spec)], {
    cwd: CODE,
    env: { ...withoutMatchSettings(process.env), TSX_TSCONFIG_PATH: path.join(CODE, "tsconfig.json") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((ok, fail) =>
    child.once("exit", (code) => {
      if (code !== 0) return fail(new Error(`cold query process exited ${code}: ${err.trim().slice(-2000)}`));
      ok(JSON.parse(out.trim().split("\n").pop()!) as T);
    }),
  );
}

/** Drops this cluster's files from the OS page cache (POSIX_FADV_DONTNEED through dd). */
function evictCluster(): void {
  const state = JSON.parse(fs.readFileSync(path.join(MATCH_BENCH.dataDir, "postgres.json"), "utf8")) as { clusterDir: string };
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(p);
    }
  };
  walk(path.join(state.clusterDir, "base"));
  for (let i = 0; i < files.length; i += 200) {
    const batch = files.slice(i, i + 200);
    const r = spawnSync("sh", ["-c", batch.map((f) => `dd if='${f}' iflag=nocache count=0 status=none`).join("; ")]);
    if (r.status !== 0) throw new Error(`dd failed: ${r.stderr.toString()}`);
  }
}

/** Whether this database has the persisted on/off index tables (a checkout with issue 15). */
async function hasIndexTables(db: Db): Promise<boolean> {
  const r = await pgPool(db).query<{ t: string | null }>(`select to_regclass('"SourceBitIndex"')::text as t`);
  return r.rows[0]?.t != null;
}

const f0 = (x: number) => x.toFixed(0);

async function main() {
  await ensurePrismaClient(log);
  const open = () => ensureDatabase({ dataDir: MATCH_BENCH.dataDir, preferredPort: MATCH_BENCH.pgPort, log });
  let handle: DatabaseHandle = await open();
  let db = createDb(handle.url);
  const table: string[] = [];
  let mismatches = 0;
  let columnsNote = "no cell-major copy (the code under test reads none)";
  try {
    await migrate(handle.url, log);
    const { datasetId, src } = await ensureMatchDataset(db, STEPS, log);
    const withIndex = await hasIndexTables(db);
    // code from before the bit index ignores the tables (this database has them)
    const readsIndex = fs.existsSync(path.join(CODE, "server", "storage", "bit-index-store.ts"));
    const indexed = await pickMatchQueries(db, src, QUERIES, INDEXED);
    const never: number[][] = [];
    for (let i = 0; i < QUERIES; i++) never.push((await pickMatchQueries(db, src, 1, NEVER(i), 777 + i))[0]!);

    // The reference: core's match over the whole float32 source, read from its chunks.
    log(`reading the ${((STEPS * MATCH_BENCH.cells * 4) / 2 ** 30).toFixed(2)} GiB source for the reference results…`);
    const expected = new Map<string, MatchResult>();
    {
      const data = await readWholeSource(pgPool(db), src);
      const m = { data, steps: src.steps, cells: src.cells };
      const refs: { cells: number[]; threshold: number }[] = [...indexed.map((cells) => ({ cells, threshold: INDEXED })), ...never.map((cells, i) => ({ cells, threshold: NEVER(i) }))];
      const byThreshold = new Map<number, ReturnType<typeof buildOnIndex>>();
      for (const r of refs) {
        let index = byThreshold.get(r.threshold);
        if (!index) {
          byThreshold.clear(); // one reference index at a time
          index = buildOnIndex(m, r.threshold);
          byThreshold.set(r.threshold, index);
        }
        for (const mode of ["fast", "precise"] as const) expected.set(JSON.stringify([r.cells, r.threshold, mode]), match(index, { cells: r.cells, threshold: r.threshold, mode, padLeft: 1, padRight: 0, k: 50 }));
      }
    }
    log("reference results ready");

    const restart = async () => {
      await db.$disconnect();
      await handle.stop();
      handle = await open();
      db = createDb(handle.url);
      if (EVICT) evictCluster();
    };
    const dropIndex = async (threshold: number) => {
      if (withIndex) await pgPool(db).query(`delete from "SourceBitIndex" where "sourceId" = $1 and "threshold" = $2::real`, [src.id, threshold]);
    };
    if (withIndex) {
      const r = await pgPool(db).query(`select 1 from "SourceBitIndex" where "sourceId" = $1 and "threshold" = $2::real`, [src.id, INDEXED]);
      if (r.rowCount === 0) {
        // a dataset written before the index existed: build it once (what the import does now)
        const t = performance.now();
        await runChild({ url: handle.url, datasetId, source: MATCH_BENCH.source, cells: indexed[0], threshold: INDEXED, mode: "fast" });
        log(`built the persisted index at ℓ = ${INDEXED} in ${f0(performance.now() - t)} ms (first query of a dataset written before it existed)`);
      }
    }

    if (READS_COLUMNS) {
      const c = await runChild<{ ms: number; built: boolean; peakRssMB: number }>({ url: handle.url, datasetId, source: MATCH_BENCH.source, build: "columns" });
      columnsNote = c.built ? `cell-major copy written before the queries in ${f0(c.ms)} ms, peak RSS ${f0(c.peakRssMB)} MB (the match:columns job after an import)` : "cell-major copy present (written by an earlier run)";
      log(columnsNote);
    }

    for (const mode of ["fast", "precise"] as const) {
      for (const kind of KINDS) {
        const times: ChildOut[] = [];
        for (let i = 0; i < QUERIES; i++) {
          const threshold = kind === "indexed" ? INDEXED : NEVER(i);
          const cells = kind === "indexed" ? indexed[i]! : never[i]!;
          if (kind === "never asked") await dropIndex(threshold);
          await restart();
          const out = await runChild({ url: handle.url, datasetId, source: MATCH_BENCH.source, cells, threshold, mode });
          const want = expected.get(JSON.stringify([cells, threshold, mode]))!;
          const same = JSON.stringify(out.result) === JSON.stringify(want);
          if (!same) mismatches++;
          log(`${mode} ${kind} ℓ=${threshold.toFixed(2)} k=${cells.length}: ${f0(out.ms)} ms (index ${f0(out.indexMs)}, compute ${f0(out.computeMs)}), rss ${f0(out.peakRssMB)} MB${same ? "" : " RESULT DIFFERS FROM THE REFERENCE"}`);
          times.push(out);
        }
        const ms = times.map((x) => x.ms);
        table.push(
          row([
            mode,
            kind === "indexed" ? `ℓ = ${INDEXED} (${withIndex && readsIndex ? "index persisted" : "no persisted index read"})` : `never asked (${NEVER(0).toFixed(2)}…)`,
            times.length,
            `${f0(pct(ms, 0.5))} / ${f0(Math.max(...ms))}`,
            f0(pct(times.map((x) => x.indexMs), 0.5)),
            f0(pct(times.map((x) => x.computeMs), 0.5)),
            f0(Math.max(...times.map((x) => x.peakRssMB))),
          ]),
        );
      }
    }
    for (let i = 0; i < QUERIES; i++) await dropIndex(NEVER(i));
  } finally {
    await db.$disconnect();
    await handle.stop();
  }
  console.log(`Statescope cold match benchmark — ${STEPS.toLocaleString("en")} × ${MATCH_BENCH.cells}, pad (1, 0), K 50, code ${CODE === ROOT ? "this checkout" : CODE}`);
  console.log(`each query: a new process (default MATCH_CACHE_BYTES), PostgreSQL restarted before it; OS page cache ${EVICT ? "EVICTED for the cluster's files (reads hit the disk)" : "warm (the cluster's files were read before)"}`);
  console.log(`fast at a never-asked threshold: ${READS_COLUMNS ? "its k cells from the source's cell-major copy + its candidates' rows" : "a scan of all the floats"}; ${columnsNote}`);
  console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" / ")} (1 / 5 / 15 min) at the end`);
  console.log("");
  console.log(row(["mode", "threshold", "queries", "first query p50 / max ms", "index load p50 ms", "match p50 ms", "peak RSS MB"]));
  console.log(row(["---", "---", "---:", "---:", "---:", "---:", "---:"]));
  for (const l of table) console.log(l);
  console.log("");
  if (mismatches > 0) throw new Error(`${mismatches} result(s) differ from the reference`);
  console.log("every result identical to the reference (core match over the whole float32 source)");
}

runBench(main);
