/**
 * `npm start` / `npm run dev` / `npm run start:{web,worker,sync}` / `npm run db:migrate`.
 *
 * start: database (embedded unless DATABASE_URL) → migrations → demo seed →
 *        production build when there is no current one → web + worker + sync
 *        with prefixed logs; Ctrl-C stops them all, then the database.
 *
 * Each of web, worker and sync is supervised: one that exits on its own is
 * logged and started again with backoff, and never stops the others (the
 * database host does the same for PostgreSQL, see db-host.ts).
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { env } from "@/server/env";
import { prefixer, runStep, startManaged, stopAll, type Managed } from "./processes";
import { ensurePrismaClient, prepare, ROOT } from "./runtime";
import { exitAfterFlush } from "./exit";
import { Supervisor } from "./supervise";
import { bundleProcesses, ENTRIES, type BundledProcess } from "./bundle";

type Mode = "start" | "dev" | "web" | "worker" | "sync" | "migrate" | "generate";
const MODES: Mode[] = ["start", "dev", "web", "worker", "sync", "migrate", "generate"];

const log = ((fmt) => (l: string) => process.stdout.write(fmt(l) + "\n"))(prefixer("start"));
const NEXT_CLI = path.join(ROOT, "node_modules", "next", "dist", "bin", "next");
const BUILD_STAMP = path.join(ROOT, ".next", "statescope-build-fingerprint");

/** A fingerprint of everything that goes into the Next build. */
function sourceFingerprint(): string {
  const h = createHash("sha256");
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (e.name === "node_modules" || e.name.startsWith(".") || e.name === "generated") continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(tsx?|css|json|js|cjs|mjs|prisma|svg|png|webp|ico)$/.test(e.name)) {
        const st = fs.statSync(p);
        h.update(`${path.relative(ROOT, p)}:${st.size}:${st.mtimeMs}\n`);
      }
    }
  };
  for (const d of ["app", "server", "packages", "prisma"]) walk(path.join(ROOT, d));
  for (const f of ["next.config.js", "proxy.ts", "package-lock.json", "tsconfig.json", "package.json"]) {
    const p = path.join(ROOT, f);
    if (fs.existsSync(p)) h.update(`${f}:${fs.statSync(p).size}:${fs.statSync(p).mtimeMs}\n`);
  }
  return h.digest("hex");
}

async function ensureBuild(): Promise<void> {
  const fp = sourceFingerprint();
  const current = fs.existsSync(path.join(ROOT, ".next", "BUILD_ID")) && fs.existsSync(BUILD_STAMP) && fs.readFileSync(BUILD_STAMP, "utf8") === fp;
  if (current) return;
  log("building the web app for production (first start or sources changed; about a minute)…");
  await runStep("build", process.execPath, [NEXT_CLI, "build"], { cwd: ROOT, env: { ...process.env, NODE_ENV: "production" } });
  fs.writeFileSync(BUILD_STAMP, fp);
}

function tsxArgs(entry: string, watch: boolean): string[] {
  return ["--import", "tsx", ...(watch ? ["--watch"] : []), path.join(ROOT, entry)];
}

/** The bundles of `npm start` (see bundle.ts); undefined: run through tsx (dev, or bundling failed). */
let bundles: Record<BundledProcess, string> | undefined;

/** How to run one process: its bundle with plain node, else its TypeScript entry through tsx. */
function processArgs(name: BundledProcess, dev: boolean): string[] {
  const file = dev ? undefined : bundles?.[name];
  return file ? ["--enable-source-maps", file] : tsxArgs(ENTRIES[name], dev);
}

async function prepareBundles(): Promise<void> {
  if (!env().STATESCOPE_BUNDLE) return;
  const t0 = Date.now();
  try {
    bundles = await bundleProcesses();
    log(`web, worker and sync bundled in ${Date.now() - t0} ms (they start without the TypeScript loader)`);
  } catch (e) {
    log(`bundling failed, running web, worker and sync through tsx instead: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// Next.js behind our front (server/http/web-server.ts), which sets X-Forwarded-* from the socket.
function spawnWeb(dev: boolean): Managed {
  const args = [...processArgs("web", dev), "--dir", ROOT, ...(dev ? ["--dev"] : [])];
  return startManaged("web", process.execPath, args, { cwd: ROOT, env: { ...process.env, NODE_ENV: dev ? "development" : "production" } });
}

const spawnWorker = (dev: boolean) => startManaged("worker", process.execPath, processArgs("worker", dev), { cwd: ROOT, env: process.env });
const spawnSync = (dev: boolean) => startManaged("sync", process.execPath, processArgs("sync", dev), { cwd: ROOT, env: process.env });

async function waitForHttp(url: string, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const r = await fetch(url);
      if (r.status < 500) return true;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

async function main(): Promise<void> {
  const mode = process.argv[2] as Mode;
  if (!MODES.includes(mode)) {
    console.error(`usage: tsx server/cli/launch.ts <${MODES.join("|")}>`);
    return exitAfterFlush(2);
  }
  if (mode === "generate") {
    await ensurePrismaClient(log);
    return;
  }
  const { database } = await prepare({ log, isolate: mode !== "migrate" });
  if (mode === "migrate") {
    log("migrations applied");
    await database.stop();
    return;
  }

  const dev = mode === "dev";
  const supervised: Array<Supervisor<Managed>> = [];
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log("stopping…");
    for (const s of supervised) s.stop();
    await stopAll(supervised.flatMap((s) => (s.current ? [s.current] : [])));
    await database.stop();
    log("stopped");
    await exitAfterFlush(code);
  };
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));
  if (database.exited) {
    void database.exited.then((why) => {
      if (!stopping) log(`the database host ${why}: PostgreSQL is no longer watched (not restarted if it stops) until npm start is restarted`);
    });
  }
  const keep = async (name: string, spawnIt: () => Managed) => {
    const s = new Supervisor(name, spawnIt, { log });
    supervised.push(s);
    const first = await s.start();
    log(`${name} started (pid ${first.pid ?? "?"})`);
  };

  if (mode === "start" || mode === "dev") {
    // Imported only now: the Prisma client is generated by prepare().
    const { createDb } = await import("@/server/db/client");
    const { seedDemo, DEMO_LOGIN } = await import("@/server/services/seed");
    const db = createDb(database.url);
    const seeded = env().STATESCOPE_SEED_DEMO ? await seedDemo(db, { datasets: true }) : null;
    if (seeded && seeded.datasetsQueued.length > 0) log(`demo datasets queued: ${seeded.datasetsQueued.join(", ")} (the worker computes their states now)`);
    if (seeded?.datasetsError) log(`demo datasets not seeded: ${seeded.datasetsError}`);
    await db.$disconnect();
    if (!dev) {
      await ensureBuild();
      await prepareBundles();
    }
    await keep("web", () => spawnWeb(dev));
    await keep("worker", () => spawnWorker(dev));
    await keep("sync", () => spawnSync(dev));
    const e = env();
    const url = e.PUBLIC_URL ?? `http://localhost:${e.PORT}`;
    void waitForHttp(`http://127.0.0.1:${e.PORT}/api/trpc/health`, 120_000).then((up) => {
      if (!up || stopping) return;
      log("");
      log(`Statescope is running: open ${url}`);
      if (seeded) log(`demo login: ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}${seeded.created ? " (created just now)" : ""}`);
      log("press Ctrl-C to stop");
    });
  } else if (mode === "web") {
    await ensureBuild();
    await prepareBundles();
    await keep("web", () => spawnWeb(false));
  } else if (mode === "worker") {
    await prepareBundles();
    await keep("worker", () => spawnWorker(false));
  } else {
    await prepareBundles();
    await keep("sync", () => spawnSync(false));
  }
}

main().catch((e: unknown) => {
  console.error(prefixer("start")(`failed: ${e instanceof Error ? e.message : String(e)}`));
  void exitAfterFlush(1);
});
