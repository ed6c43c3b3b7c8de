/**
 * One cold match query for bench:match-cold, in a fresh process: connect, then time
 * `MatchEngine.run` (load the source's row, read what the query needs from Postgres, match).
 * Prints one JSON line {ms, indexMs, computeMs, result}. Imports only through the tsconfig
 * paths (`@/…`, `@statescope/…`), so the bench can point it at another checkout's code
 * (TSX_TSCONFIG_PATH) to measure that code on the same data.
 *
 *   node --import tsx tests/bench/match-cold-child.ts '{"url":…,"datasetId":…,"source":…,"cells":[…],"threshold":0.3,"mode":"fast"}'
 *
 * With `"build": "columns"` it writes the source's cell-major copy instead (what the `match:columns`
 * job does after an import) and prints {ms, built}.
 */
import { readFileSync } from "node:fs";
import { createDb, pgPool } from "@/server/db/client";
import { env } from "@/server/env";
import { findSource } from "@/server/services/datasets/datasets";
import { MatchEngine } from "@/server/services/matching/engine";
import { canonicalQuery, ZMatchInput } from "@/server/services/matching/schemas";

/** VmHWM of this process (getrusage's maxrss survives exec, so it would report the parent's peak). */
function peakRssMB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main() {
  const spec = JSON.parse(process.argv[2] ?? "{}") as { url: string; datasetId: string; source: string; cells: number[]; threshold: number; mode: "fast" | "precise"; build?: "columns" };
  const db = createDb(spec.url);
  try {
    // connections opened before the clock starts: a worker's pool is open before its first job
    await db.$queryRawUnsafe("select 1");
    await pgPool(db).query("select 1");
    const engine = new MatchEngine(env().MATCH_CACHE_BYTES, { shardSteps: env().MATCH_SHARD_STEPS });
    if (spec.build === "columns") {
      const t = performance.now();
      const { built } = await engine.buildColumnCopy(db, await findSource(db, null, spec.datasetId, spec.source));
      process.stdout.write(JSON.stringify({ ms: performance.now() - t, built, peakRssMB: peakRssMB() }) + "\n");
      return;
    }
    const q = canonicalQuery(ZMatchInput.parse({ datasetId: spec.datasetId, source: spec.source, cells: spec.cells, threshold: spec.threshold, mode: spec.mode, padLeft: 1, padRight: 0, k: 50 }));
    const t0 = performance.now();
    const r = await engine.run(db, q);
    const ms = performance.now() - t0;
    process.stdout.write(JSON.stringify({ ms, indexMs: r.indexMs, computeMs: r.computeMs, peakRssMB: peakRssMB(), result: r.result }) + "\n");
  } finally {
    await db.$disconnect();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`cold query failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
