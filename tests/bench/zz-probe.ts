import { createDb, pgPool } from "@/server/db/client";
import { ensureDatabase } from "@/server/db/embedded";
import { findSource } from "@/server/services/datasets/datasets";
import { MatchEngine } from "@/server/services/matching/engine";
import { canonicalQuery, ZMatchInput } from "@/server/services/matching/schemas";
import { scanStateColumns } from "@/server/storage/state-columns";
import { MATCH_BENCH, pickMatchQueries } from "./generated-source";
const log = (l: string) => process.stderr.write(`[probe] ${l}\n`);
const open = () => ensureDatabase({ dataDir: MATCH_BENCH.dataDir, preferredPort: MATCH_BENCH.pgPort, log: () => {} });
let h = await open(); let db = createDb(h.url);
const ds = await db.dataset.findFirst({ where: { name: "bench-match-1000000x650" }, select: { id: true } });
const src = await findSource(db, null, ds!.id, "states");
const cells = (await pickMatchQueries(db, src, 1, 0.35, 777))[0]!;
for (let rep = 0; rep < 3; rep++) {
  await db.$disconnect(); await h.stop(); h = await open(); db = createDb(h.url); await pgPool(db).query("select 1");
  let t0 = performance.now();
  const b = await scanStateColumns(pgPool(db), src, cells, () => {});
  log(`columns only (fresh PG): ${(performance.now() - t0).toFixed(0)} ms, ${(b / 1e6).toFixed(1)} MB`);
  t0 = performance.now();
  await scanStateColumns(pgPool(db), src, cells, () => {});
  log(`columns again (shared buffers warm): ${(performance.now() - t0).toFixed(0)} ms`);
  await db.$disconnect(); await h.stop(); h = await open(); db = createDb(h.url); await pgPool(db).query("select 1");
  const e = new MatchEngine(2 * 2 ** 30);
  t0 = performance.now();
  const r = await e.run(db, canonicalQuery(ZMatchInput.parse({ datasetId: ds!.id, source: "states", cells, threshold: 0.35 + rep * 0.001, mode: "fast", padLeft: 1, padRight: 0, k: 50 })));
  log(`engine fast (fresh PG): ${(performance.now() - t0).toFixed(0)} ms, index ${r.indexMs.toFixed(0)}, bytes ${(e.stats.floatBytesRead / 1e6).toFixed(1)} MB`);
}
await db.$disconnect(); await h.stop();
