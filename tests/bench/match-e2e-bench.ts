/**
 * `npm run bench:match-e2e`: a match query's latency end to end through tRPC, the queue and a
 * worker, as the default configuration serves it.
 *
 *   tsx tests/bench/match-e2e-bench.ts [--steps 1000000] [--queries 20] [--cold 2]
 *
 * 1. Starts (or reuses) the embedded PostgreSQL in .test-data/bench-match (BENCH_PG_PORT) and the
 *    READY dataset "bench-match-<T>x650" shared with bench:match-cold (generated-source.ts).
 * 2. Spawns the worker as a separate process (`node --import tsx workers/main.ts`, the default
 *    MATCH_CACHE_BYTES of 2 GiB, concurrency 1) and serves `appRouter` over real HTTP
 *    (`@trpc/server/adapters/standalone`) in this process; queries go through `@trpc/client`.
 * 3. Per mode:
 *    - cold: the worker is restarted, then one query is timed: the first query of a worker
 *      (nothing in its memory; what a user meets after a deploy, a restart or on a scaled-out
 *      worker). Repeated `--cold` times, each time with a new worker.
 *    - warm: the next `--queries` distinct queries on that worker (5–20 cells, picked like the
 *      Select view) are timed end to end, and each is also run in-process with `MatchEngine.run`
 *      on a second, warmed engine in this process (same code path minus queue/HTTP/store); then
 *      repeated end to end (answered from the store).
 *    The result store is emptied for the dataset at start, so every timed query is new. A result
 *    that differs from the in-process engine's makes the bench FAIL (exit 1) before it prints a number.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import superjson from "superjson";
import { createDb } from "@/server/db/client";
import { ensureDatabase } from "@/server/db/embedded";
import { ensurePrismaClient, migrate } from "@/server/cli/runtime";
import { createPgPubSub } from "@/server/pubsub/pg";
import { env, resetEnvCache } from "@/server/env";
import { appRouter, type AppRouter } from "@/server/api/root";
import { MatchEngine } from "@/server/services/matching/engine";
import { canonicalQuery, ZMatchInput, type MatchInput, type MatchOutcome } from "@/server/services/matching/schemas";
import { ensureMatchDataset, MATCH_BENCH, pickMatchQueries, withoutMatchSettings } from "./generated-source";
import { pct, row, runBench } from "./run";

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const STEPS = opt("--steps", 1_000_000);
const QUERIES = opt("--queries", 20);
const COLD = opt("--cold", 2);
const CELLS = MATCH_BENCH.cells;
const THRESHOLD = 0.3;
const SOURCE = MATCH_BENCH.source;
const SLUG = MATCH_BENCH.slug;
const ROOT = resolve(import.meta.dirname, "..", "..");
const log = (l: string) => process.stderr.write(`[bench] ${l}\n`);

function startWorker(url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "workers/main.ts"], {
    cwd: ROOT,
    // the default cache (MATCH_CACHE_BYTES unset), as a deployment runs it
    env: { ...withoutMatchSettings(process.env), DATABASE_URL: url, WORKER_CONCURRENCY: "1" },
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

const f1 = (x: number) => x.toFixed(1);

async function stopWorker(worker: ChildProcess | undefined): Promise<void> {
  if (!worker || worker.exitCode !== null) return;
  const exited = new Promise((ok) => worker.once("exit", ok));
  worker.kill("SIGTERM");
  await exited;
}

async function main() {
  await ensurePrismaClient(log);
  const handle = await ensureDatabase({ dataDir: MATCH_BENCH.dataDir, preferredPort: MATCH_BENCH.pgPort, log });
  process.env.DATABASE_URL = handle.url;
  process.env.MATCH_WAIT_MS = "120000";
  delete process.env.MATCH_CACHE_BYTES;
  delete process.env.MATCH_SHARD_STEPS;
  resetEnvCache();
  let worker: ChildProcess | undefined;
  let server: http.Server | undefined;
  const db = createDb(handle.url);
  let mismatches = 0;
  // the web side's pub/sub: its LISTEN connection opens with the first match.run
  const pubsub = createPgPubSub({ connectionString: handle.url });
  try {
    await migrate(handle.url, log);
    const { userId, datasetId, src } = await ensureMatchDataset(db, STEPS, log);
    // Every timed query must be new to the store.
    const purged = await db.matchResult.deleteMany({ where: { datasetId } });
    if (purged.count) log(`removed ${purged.count} stored result(s) of earlier runs`);

    const handler = createHTTPHandler({ router: appRouter, createContext: () => ({ db, pubsub, actor: { userId }, publicUrl: "http://bench.test" }) });
    server = http.createServer((req, res) => void handler(req, res));
    await new Promise<void>((ok) => server!.listen(0, "127.0.0.1", ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url, transformer: superjson })] });

    const cacheBytes = env().MATCH_CACHE_BYTES;
    const inproc = new MatchEngine(cacheBytes);
    const queries = await pickMatchQueries(db, src, 2 * (QUERIES + COLD) + 1, THRESHOLD);
    const ks = queries.map((c) => c.length);
    console.log(
      `Statescope end-to-end match benchmark — node ${process.version}, ${STEPS.toLocaleString("en")} × ${CELLS}, ℓ = ${THRESHOLD}, pad (1, 0), ` +
        `per mode ${COLD} cold + ${QUERIES} warm queries, k = ${Math.min(...ks)}..${Math.max(...ks)} cells`,
    );
    console.log(`worker: separate process (node --import tsx workers/main.ts, concurrency 1, default MATCH_CACHE_BYTES = ${(cacheBytes / 2 ** 30).toFixed(0)} GiB); tRPC over HTTP on ${url}`);
    console.log("cold: the first query of a newly started worker; warm: the following distinct queries on it (in-process: a second MatchEngine, warmed, in this process)");

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
    const check = async (q: MatchInput & { workspace: string }, got: Extract<MatchOutcome, { status: "done" }>) => {
      const b = await local(q);
      if (JSON.stringify(got.result) !== JSON.stringify(b.result)) {
        mismatches++;
        log(`RESULT DIFFERS from the in-process engine: ${q.mode} cells ${q.cells.join(",")}`);
      }
      return b.ms;
    };

    const table: string[] = [];
    let next = 0;
    for (const mode of ["fast", "precise"] as const) {
      const cold: number[] = [];
      const coldCompute: number[] = [];
      for (let i = 0; i < COLD; i++) {
        await stopWorker(worker);
        worker = await startWorker(handle.url);
        const q = input(queries[next++]!, mode);
        const a = await e2e(q);
        if (a.out.cached) throw new Error("a cold query was answered from the store");
        await check(q, a.out);
        cold.push(a.ms);
        coldCompute.push(a.out.computeMs);
        log(`${mode} cold (worker ${worker.pid}): ${f1(a.ms)} ms e2e, computeMs ${f1(a.out.computeMs)}`);
      }
      const times = { e2e: [] as number[], local: [] as number[], over: [] as number[], hit: [] as number[], worker: [] as number[] };
      // warm the in-process engine at ℓ (its own first query is not timed)
      await local(input(queries[queries.length - 1]!, mode));
      for (let i = 0; i < QUERIES; i++) {
        const q = input(queries[next++]!, mode);
        const a = await e2e(q);
        if (a.out.cached) throw new Error("a timed query was answered from the store");
        const localMs = await check(q, a.out);
        const h = await e2e(q);
        if (!h.out.cached) throw new Error("the repeated query was not answered from the store");
        times.e2e.push(a.ms);
        times.local.push(localMs);
        times.over.push(a.ms - localMs);
        times.hit.push(h.ms);
        times.worker.push(a.out.computeMs);
      }
      table.push(row([mode, "cold", cold.length, `${f1(pct(cold, 0.5))} / ${f1(Math.max(...cold))}`, f1(pct(coldCompute, 0.5)), "–", "–", "–"]));
      table.push(
        row([
          mode,
          "warm",
          times.e2e.length,
          `${f1(pct(times.e2e, 0.5))} / ${f1(pct(times.e2e, 0.95))}`,
          f1(pct(times.worker, 0.5)),
          f1(pct(times.local, 0.5)),
          `${f1(pct(times.over, 0.5))} (p95 ${f1(pct(times.over, 0.95))})`,
          f1(pct(times.hit, 0.5)),
        ]),
      );
    }
    // wrong answers are not a benchmark: fail before printing any number
    if (mismatches > 0) throw new Error(`${mismatches} end-to-end result(s) differ from the in-process engine`);
    const workerPeak = peakRssOf(worker!.pid!);
    const benchPeak = process.resourceUsage().maxRSS / 1024;
    console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" / ")} (1 / 5 / 15 min) at the end`);
    console.log("");
    console.log(row(["mode", "worker", "queries", "e2e p50 / p95 (cold: max) ms", "worker compute p50 ms", "in-process p50 ms", "overhead p50 ms (e2e − in-process)", "store-hit e2e p50 ms"]));
    console.log(row(["---", "---", "---:", "---:", "---:", "---:", "---:", "---:"]));
    for (const l of table) console.log(l);
    console.log("");
    console.log(`peak RSS: last worker process ${workerPeak.toFixed(0)} MiB; bench process (tRPC server + in-process engine) ${benchPeak.toFixed(0)} MiB`);
  } finally {
    await stopWorker(worker);
    await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
    await pubsub.close();
    await db.$disconnect();
    await handle.stop();
  }
  console.log("every end-to-end result identical to the in-process engine's");
}

runBench(main);
