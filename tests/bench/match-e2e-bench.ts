/**
 * `npm run bench:match-e2e`: a match query's latency end to end through tRPC,
 * the queue and a worker.
 *
 *   tsx tests/bench/match-e2e-bench.ts [--steps 1000000] [--queries 20]
 *
 * 1. Starts (or reuses) the embedded PostgreSQL in .test-data/bench-match,
 *    migrates it and makes sure a READY dataset "bench-match-<T>x650" exists:
 *    one source of T × 650 float32 (per-cell AR(1) squashed by softsign, the
 *    same generator as packages/core/bench/match-bench.ts, transform "none")
 *    written as state chunks. It is reused by name on re-runs.
 * 2. Spawns the worker as a separate process (`node --import tsx
 *    workers/main.ts`, MATCH_CACHE_BYTES = 6 GiB, concurrency 1) and serves
 *    `appRouter` over real HTTP (`@trpc/server/adapters/standalone`) in this
 *    process; queries go through `@trpc/client` (httpBatchLink + superjson).
 * 3. For each mode: one untimed query warms the worker's (source, ℓ) index
 *    (and the JIT), then each of the distinct queries (5–20 cells, picked like
 *    the Select view: brush 2–6 steps, `selectCells` with padding (1, 0)) is
 *    timed end to end, then the same query is timed in-process with
 *    `MatchEngine.run` on a second, equally warmed engine in this process
 *    (same code path the worker runs, minus queue/HTTP/store). The result
 *    store is emptied for the dataset at start, so every timed query is new;
 *    each query is then repeated end to end (answered from the store).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import superjson from "superjson";
import { selectCells } from "@statescope/core";
import { createDb, pgPool, type Db } from "@/server/db/client";
import { ensureDatabase } from "@/server/db/embedded";
import { ensurePrismaClient, migrate } from "@/server/cli/runtime";
import { createPgPubSub } from "@/server/pubsub/pg";
import { resetEnvCache } from "@/server/env";
import { appRouter, type AppRouter } from "@/server/api/root";
import { MatchEngine } from "@/server/services/matching/engine";
import { canonicalQuery, ZMatchInput, type MatchInput, type MatchOutcome } from "@/server/services/matching/schemas";
import { readStateWindow, type SourceLayout } from "@/server/storage/dataset-store";
import { mulberry32 as rng } from "@statescope/core";
import { writeGeneratedSource } from "./generated-source";
import { runBench } from "./run";

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const STEPS = opt("--steps", 1_000_000);
const QUERIES = opt("--queries", 20);
const CELLS = 650;
const THRESHOLD = 0.3;
const CACHE_BYTES = 6 * 2 ** 30;
const SOURCE = "states";
const SLUG = "bench-match";
const DATASET = `bench-match-${STEPS}x${CELLS}`;
const ROOT = resolve(import.meta.dirname, "..", "..");
const log = (l: string) => process.stderr.write(`[bench] ${l}\n`);


/** The bench user, workspace and READY dataset (created once, reused by name). */
async function ensureDataset(db: Db): Promise<{ userId: string; datasetId: string; src: SourceLayout }> {
  const user = await db.user.upsert({ where: { email: "bench@match.test" }, create: { email: "bench@match.test", name: "bench" }, update: {}, select: { id: true } });
  const ws = await db.workspace.upsert({ where: { slug: SLUG }, create: { slug: SLUG, name: "match bench" }, update: {}, select: { id: true } });
  await db.membership.upsert({
    where: { workspaceId_userId: { workspaceId: ws.id, userId: user.id } },
    create: { workspaceId: ws.id, userId: user.id, role: "OWNER" },
    update: { role: "OWNER" },
  });
  const found = await db.dataset.findFirst({
    where: { workspaceId: ws.id, name: DATASET, status: "READY" },
    select: { id: true, sources: { where: { name: SOURCE }, select: { id: true, steps: true, cells: true, chunkRows: true } } },
  });
  const existing = found?.sources[0];
  if (found && existing?.steps === STEPS && existing.cells === CELLS) {
    log(`reusing dataset ${DATASET} (${found.id})`);
    return { userId: user.id, datasetId: found.id, src: existing };
  }
  // An interrupted earlier write (or a mismatched one): start over.
  await db.dataset.deleteMany({ where: { workspaceId: ws.id, name: DATASET } });
  const ds = await db.dataset.create({ data: { workspaceId: ws.id, createdById: user.id, name: DATASET, format: "numpy", phase: "bench" }, select: { id: true } });
  const conn = await pgPool(db).connect();
  const t0 = performance.now();
  let src: { id: string; chunkRows: number };
  try {
    await conn.query("set synchronous_commit = off");
    const secs = () => ((performance.now() - t0) / 1000).toFixed(0);
    src = await writeGeneratedSource(db, conn, ds.id, { name: SOURCE, type: "state", steps: STEPS, cells: CELLS }, log, secs);
  } finally {
    conn.release();
  }
  await db.dataset.update({ where: { id: ds.id }, data: { status: "READY", steps: STEPS, readyAt: new Date(), phase: "done", percent: 100 } });
  log(`wrote ${((STEPS * CELLS * 4) / 2 ** 30).toFixed(2)} GiB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { userId: user.id, datasetId: ds.id, src: { id: src.id, steps: STEPS, cells: CELLS, chunkRows: src.chunkRows } };
}

/** Queries the way the Select view makes them (see match-bench.ts): 5–20 cells, distinct sets. */
async function pickQueries(db: Db, src: SourceLayout, n: number): Promise<number[][]> {
  const r = rng(4242);
  const out: number[][] = [];
  const seen = new Set<string>();
  let tries = 0;
  while (out.length < n && tries++ < 20_000) {
    const b0 = 10 + Math.floor(r() * (src.steps - 40));
    const len = 2 + Math.floor(r() * 5);
    const w0 = b0 - 5;
    const w1 = b0 + len + 5;
    const data = await readStateWindow(pgPool(db), src, w0, w1);
    const cells = selectCells({ data, steps: w1 - w0, cells: src.cells }, [5, 5 + len], THRESHOLD, [1, 0]);
    if (cells.length < 5) continue;
    while (cells.length > 20) cells.splice(Math.floor(r() * cells.length), 1);
    const key = cells.join(",");
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(cells);
  }
  return out;
}

function startWorker(url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "workers/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url, MATCH_CACHE_BYTES: String(CACHE_BYTES), WORKER_CONCURRENCY: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((ok, fail) => {
    const onLine = (l: string) => {
      if (/worker ready/.test(l)) ok(child);
      else if (/error|fail/i.test(l)) log(`worker: ${l}`);
    };
    createInterface({ input: child.stdout! }).on("line", onLine);
    createInterface({ input: child.stderr! }).on("line", onLine);
    child.once("exit", (code) => fail(new Error(`the worker exited (${code}) before it was ready`)));
  });
}

/** Peak RSS of a process (VmHWM), in MiB. */
function peakRssOf(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))]!;
}
const f1 = (x: number) => x.toFixed(1);
const row = (cols: (string | number)[]) => "| " + cols.map(String).join(" | ") + " |";

async function main() {
  await ensurePrismaClient(log);
  const handle = await ensureDatabase({ dataDir: ".test-data/bench-match", preferredPort: 54800, log });
  process.env.DATABASE_URL = handle.url;
  process.env.MATCH_WAIT_MS = "120000";
  resetEnvCache();
  let worker: ChildProcess | undefined;
  let server: http.Server | undefined;
  const db = createDb(handle.url);
  // the web side's pub/sub: its LISTEN connection opens with the first match.run
  const pubsub = createPgPubSub({ connectionString: handle.url });
  try {
    await migrate(handle.url, log);
    const { userId, datasetId, src } = await ensureDataset(db);
    // Every timed query must be new to the store.
    const purged = await db.matchResult.deleteMany({ where: { datasetId } });
    if (purged.count) log(`removed ${purged.count} stored result(s) of earlier runs`);

    worker = await startWorker(handle.url);
    log(`worker process ${worker.pid} ready`);
    const handler = createHTTPHandler({ router: appRouter, createContext: () => ({ db, pubsub, actor: { userId }, publicUrl: "http://bench.test" }) });
    server = http.createServer((req, res) => void handler(req, res));
    await new Promise<void>((ok) => server!.listen(0, "127.0.0.1", ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url, transformer: superjson })] });

    const inproc = new MatchEngine(CACHE_BYTES);
    const queries = await pickQueries(db, src, QUERIES + 2);
    const warmCells = queries.slice(QUERIES);
    const timedCells = queries.slice(0, QUERIES);
    const ks = timedCells.map((c) => c.length);
    console.log(
      `Statescope end-to-end match benchmark — node ${process.version}, ${STEPS.toLocaleString("en")} × ${CELLS}, ℓ = ${THRESHOLD}, pad (1, 0), ` +
        `${timedCells.length} queries × 2 modes, k = ${Math.min(...ks)}..${Math.max(...ks)} cells`,
    );
    console.log(`worker: separate process (node --import tsx workers/main.ts, concurrency 1, MATCH_CACHE_BYTES ${CACHE_BYTES / 2 ** 30} GiB); tRPC over HTTP on ${url}`);
    console.log(`in-process: a second MatchEngine (same cache size) in the bench process, warmed at the same (source, ℓ); time = MatchEngine.run (findSource + match)`);

    const input = (cells: number[], mode: "fast" | "precise"): MatchInput & { workspace: string } => ({
      workspace: SLUG,
      datasetId,
      source: SOURCE,
      cells,
      threshold: THRESHOLD,
      padLeft: 1,
      padRight: 0,
      mode,
      k: 50,
    });
    const e2e = async (q: MatchInput & { workspace: string }): Promise<{ ms: number; out: Extract<MatchOutcome, { status: "done" }> }> => {
      const t = performance.now();
      let out = await client.match.run.mutate(q);
      while (out.status === "pending") out = await client.match.result.query({ workspace: SLUG, key: out.key });
      return { ms: performance.now() - t, out };
    };
    const local = async (q: MatchInput) => {
      const c = canonicalQuery(ZMatchInput.parse(q));
      const t = performance.now();
      const r = await inproc.run(db, c);
      return { ms: performance.now() - t, result: r.result };
    };

    const table: string[] = [];
    let mismatches = 0;
    for (const mode of ["fast", "precise"] as const) {
      // Warm-up, not timed: the first query at ℓ builds the worker's index (reading the source from Postgres).
      for (const [i, cells] of warmCells.entries()) {
        const w = await e2e(input(cells, mode));
        const l = await local(input(cells, mode));
        if (i === 0) log(`${mode}: warm-up e2e ${f1(w.ms)} ms (computeMs ${f1(w.out.computeMs)}), in-process ${f1(l.ms)} ms`);
      }
      const times = { e2e: [] as number[], local: [] as number[], over: [] as number[], hit: [] as number[], worker: [] as number[] };
      for (const cells of timedCells) {
        const q = input(cells, mode);
        const a = await e2e(q);
        if (a.out.cached) throw new Error("a timed query was answered from the store");
        const b = await local(q);
        if (JSON.stringify(a.out.result) !== JSON.stringify(b.result)) mismatches++;
        const h = await e2e(q);
        if (!h.out.cached) throw new Error("the repeated query was not answered from the store");
        times.e2e.push(a.ms);
        times.local.push(b.ms);
        times.over.push(a.ms - b.ms);
        times.hit.push(h.ms);
        times.worker.push(a.out.computeMs);
      }
      table.push(
        row([
          mode,
          times.e2e.length,
          `${f1(pct(times.e2e, 0.5))} / ${f1(pct(times.e2e, 0.95))}`,
          f1(pct(times.worker, 0.5)),
          f1(pct(times.local, 0.5)),
          `${f1(pct(times.over, 0.5))} (p95 ${f1(pct(times.over, 0.95))})`,
          pct(times.over, 0.5) <= 100 ? "yes" : "NO",
          f1(pct(times.hit, 0.5)),
        ]),
      );
    }
    const workerPeak = peakRssOf(worker.pid!);
    const benchPeak = process.resourceUsage().maxRSS / 1024;
    console.log("");
    console.log(row(["mode", "queries", "e2e p50 / p95 ms", "worker compute p50 ms", "in-process p50 ms", "overhead p50 ms (e2e − in-process)", "≤ 100 ms", "store-hit e2e p50 ms"]));
    console.log(row(["---", "---:", "---:", "---:", "---:", "---:", "---", "---:"]));
    for (const l of table) console.log(l);
    console.log("");
    console.log(`peak RSS: worker process ${workerPeak.toFixed(0)} MiB; bench process (tRPC server + in-process engine) ${benchPeak.toFixed(0)} MiB`);
    console.log(`e2e results identical to in-process: ${mismatches === 0 ? "yes" : `NO (${mismatches} differ)`}`);
  } finally {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((ok) => worker!.once("exit", ok));
      worker.kill("SIGTERM");
      await exited;
    }
    await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
    await pubsub.close();
    await db.$disconnect();
    await handle.stop();
  }
}

runBench(main);
