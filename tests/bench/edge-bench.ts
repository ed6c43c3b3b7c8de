/**
 * `npm run bench:edge`: two numbers of issue 14 on the production web process.
 *
 *   tsx tests/bench/edge-bench.ts [--requests 400] [--searches 5]
 *
 * 1. What the front costs: the web process is Next.js behind our custom server, which sets
 *    X-Forwarded-* from the socket (server/http/web-server.ts). The same build and database are
 *    served by plain `next start` on the next port; the same requests alternate between the two,
 *    one at a time on a kept-alive connection, and the latencies are compared side by side.
 * 2. Other users while hostile searches run: five regex searches that backtrack until the 2 s limit
 *    stops them are sent at once, and a cheap signed-in request (`workspace.get`) is timed every
 *    20 ms until they are all answered; the same request is timed with nothing else running first.
 *    The budget: every cheap request under 100 ms.
 *
 * Starts (or reuses) the embedded PostgreSQL in .test-data/bench-edge on BENCH_PG_PORT (54570).
 * Ports: BENCH_PORT (3170) and BENCH_PORT + 1.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import os from "node:os";
import { mkdtemp, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createDb } from "@/server/db/client";
import { ensureDatabase } from "@/server/db/embedded";
import { ensurePrismaClient, migrate } from "@/server/cli/runtime";
import { resetEnvCache } from "@/server/env";
import { importDataset } from "@/server/services/datasets/import";
import { DEMO_LOGIN, DEMO_WORKSPACE, seedDemo } from "@/server/services/seed";
import { DEFAULT_YML, makeLstmVisProject } from "../fixtures/formats/projects";
import { runBench } from "./run";

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const REQUESTS = opt("--requests", 400);
const SEARCHES = opt("--searches", 5);
const PORT = Number(process.env.BENCH_PORT ?? 3170);
const PLAIN_PORT = PORT + 1;
const PG_PORT = Number(process.env.BENCH_PG_PORT ?? 54570);
const DATA_DIR = ".test-data/bench-edge";
const DATASET = "bench-edge-regex";
const ROOT = resolve(import.meta.dirname, "..", "..");
const HOSTILE = "([\\s\\S]|[\\s\\S][\\s\\S])+#";
const BUDGET_MS = 100;
const log = (l: string) => process.stderr.write(`[bench] ${l}\n`);

function waitUp(port: number, child: ChildProcess): Promise<void> {
  return new Promise((ok, fail) => {
    const until = Date.now() + 15 * 60_000;
    const poll = async () => {
      if (child.exitCode !== null) return fail(new Error(`the server on port ${port} exited (${child.exitCode})`));
      try {
        if ((await fetch(`http://127.0.0.1:${port}/api/trpc/health`)).status < 500) return ok();
      } catch {
        /* not up yet */
      }
      if (Date.now() > until) return fail(new Error(`nothing answered on port ${port} within 15 minutes`));
      setTimeout(() => void poll(), 500);
    };
    void poll();
  });
}

function start(cmd: string[], port: number, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, cmd, { cwd: ROOT, env: { ...env, PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stderr!.on("data", (d: Buffer) => /error/i.test(String(d)) && log(`port ${port}: ${String(d).trim()}`));
  child.stdout!.resume();
  return child;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
function timedGet(port: number, path: string, cookie = ""): Promise<number> {
  return new Promise((ok, fail) => {
    const t0 = performance.now();
    http
      .get({ host: "127.0.0.1", port, path, agent, headers: cookie ? { cookie } : {} }, (r) => {
        r.resume();
        r.on("end", () => (r.statusCode! < 400 ? ok(performance.now() - t0) : fail(new Error(`GET ${path}: ${r.statusCode}`))));
      })
      .on("error", fail);
  });
}

const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const fmt = (xs: number[]) => `${q(xs, 0.5).toFixed(1)} / ${q(xs, 0.9).toFixed(1)} / ${q(xs, 0.99).toFixed(1)} / ${Math.max(...xs).toFixed(1)}`;

async function signIn(port: number): Promise<string> {
  const base = `http://127.0.0.1:${port}`;
  const csrf = await fetch(`${base}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const jar = csrf.headers.getSetCookie().map((c) => c.split(";")[0]);
  const res = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar.join("; ") },
    body: new URLSearchParams({ email: DEMO_LOGIN.email, password: DEMO_LOGIN.password, csrfToken, callbackUrl: "/w" }),
  });
  return [...jar, ...res.headers.getSetCookie().map((c) => c.split(";")[0])].join("; ");
}

async function main(): Promise<void> {
  await ensurePrismaClient(log);
  const pg = await ensureDatabase({ dataDir: resolve(DATA_DIR), preferredPort: PG_PORT, log });
  const children: ChildProcess[] = [];
  try {
    await migrate(pg.url, log);
    process.env.DATABASE_URL = pg.url;
    resetEnvCache();
    const db = createDb(pg.url);
    await seedDemo(db);
    const ws = await db.workspace.findUniqueOrThrow({ where: { slug: DEMO_WORKSPACE.slug }, select: { id: true } });
    let dataset = await db.dataset.findFirst({ where: { workspaceId: ws.id, name: DATASET, status: "READY" }, select: { id: true } });
    if (!dataset) {
      const tmp = await mkdtemp(join(os.tmpdir(), "bench-edge-"));
      const fx = await makeLstmVisProject(join(tmp, "p"), { n: 400, yml: DEFAULT_YML.replace("regex_search: false", "regex_search: true") });
      dataset = { id: (await importDataset(db, { workspaceId: ws.id, userId: null, path: fx.dir, name: DATASET })).datasetId };
      await rm(tmp, { recursive: true, force: true });
    }
    await db.$disconnect();

    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: pg.url, HOSTNAME: "127.0.0.1", STATESCOPE_DATA_DIR: DATA_DIR, AUTH_SECRET: randomBytes(32).toString("hex"), NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" };
    log("starting the web process (builds when sources changed) …");
    children.push(start(["--import", "tsx", "server/cli/launch.ts", "web"], PORT, env));
    await waitUp(PORT, children[0]!);
    children.push(start([join("node_modules", "next", "dist", "bin", "next"), "start", "-p", String(PLAIN_PORT), "-H", "127.0.0.1"], PLAIN_PORT, env));
    await waitUp(PLAIN_PORT, children[1]!);

    const lines: string[] = [];
    const [l1, l5, l15] = os.loadavg();
    lines.push(`Statescope HTTP edge benchmark — production build, ${os.cpus().length} cores, load average ${l1!.toFixed(1)} / ${l5!.toFixed(1)} / ${l15!.toFixed(1)} at the start`);
    lines.push("", `1. the front: ${REQUESTS} requests each, alternating, one at a time (ms: p50 / p90 / p99 / max)`, "", "| request | next start | our web process (front + Next.js) | p50 difference |", "| --- | --- | --- | ---: |");
    for (const path of ["/api/trpc/health", "/signin"]) {
      for (let i = 0; i < 30; i++) await Promise.all([timedGet(PLAIN_PORT, path), timedGet(PORT, path)]);
      const plain: number[] = [];
      const ours: number[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        plain.push(await timedGet(PLAIN_PORT, path));
        ours.push(await timedGet(PORT, path));
      }
      lines.push(`| GET ${path} | ${fmt(plain)} | ${fmt(ours)} | ${(q(ours, 0.5) - q(plain, 0.5)).toFixed(2)} ms |`);
    }

    const cookie = await signIn(PORT);
    const cheapPath = `/api/trpc/workspace.get?input=${encodeURIComponent(JSON.stringify({ json: { workspace: DEMO_WORKSPACE.slug } }))}`;
    const searchPath = `/api/trpc/dataset.search?input=${encodeURIComponent(JSON.stringify({ json: { workspace: DEMO_WORKSPACE.slug, datasetId: dataset.id, query: HOSTILE, mode: "regex", limit: 3 } }))}`;
    const idle: number[] = [];
    for (let t0 = Date.now(); Date.now() - t0 < 5000; ) {
      idle.push(await timedGet(PORT, cheapPath, cookie));
      await new Promise((r) => setTimeout(r, 20));
    }
    const s0 = performance.now();
    let settled = 0;
    const searchTimes: number[] = [];
    const searches = Array.from({ length: SEARCHES }, () =>
      fetch(`http://127.0.0.1:${PORT}${searchPath}`, { headers: { cookie } }).then(async (r) => {
        searchTimes.push(performance.now() - s0);
        settled++;
        return (await r.text()).includes("took longer than") ? "stopped" : `unexpected ${r.status}`;
      }),
    );
    const busy: number[] = [];
    while (settled < SEARCHES) {
      busy.push(await timedGet(PORT, cheapPath, cookie));
      await new Promise((r) => setTimeout(r, 20));
    }
    const outcomes = await Promise.all(searches);
    lines.push(
      "",
      `2. a cheap signed-in request (workspace.get, every 20 ms) while ${SEARCHES} hostile regex searches run (ms: p50 / p90 / p99 / max)`,
      "",
      "| while | requests | latency | all under 100 ms |",
      "| --- | ---: | --- | --- |",
      `| nothing else runs | ${idle.length} | ${fmt(idle)} | ${Math.max(...idle) < BUDGET_MS ? "yes" : "no"} |`,
      `| ${SEARCHES} hostile searches run | ${busy.length} | ${fmt(busy)} | ${Math.max(...busy) < BUDGET_MS ? "yes" : "no"} |`,
      "",
      `the searches: ${outcomes.join(", ")}; answered after ${searchTimes.map((t) => (t / 1000).toFixed(1)).join(", ")} s (one search worker per spare core, each stopped at the 2 s limit)`,
    );
    const [e1, e5, e15] = os.loadavg();
    lines.push("", `load average at the end: ${e1!.toFixed(1)} / ${e5!.toFixed(1)} / ${e15!.toFixed(1)}`);
    process.stdout.write(lines.join("\n") + "\n");
  } finally {
    for (const c of children) if (c.pid) process.kill(-c.pid, "SIGTERM");
    await pg.stop();
  }
}

runBench(main);
