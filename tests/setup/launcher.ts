/**
 * A real `npm start` launcher (production build, web + worker + sync, embedded PostgreSQL) on
 * its own free ports and data dir, with probes that tell whether each part is serving and a
 * kill trial (kill -9 one part, check the others keep serving and the killed one comes back).
 * Used by the supervision test (one trial per target) and meant for a soak run (many trials).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export const TARGETS = ["web", "worker", "sync", "postgres"] as const;
export type Target = (typeof TARGETS)[number];

export interface Launcher {
  dataDir: string;
  webUrl: string;
  syncUrl: string;
  databaseUrl: string;
  /** Everything the launcher and its children printed so far. */
  output(): string;
  /** Current process id of each part. */
  pids(): Record<Target, number>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Thrown from a check to stop waiting at once (other errors count as "not yet"). */
class GiveUp extends Error {}

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch((e: unknown) => {
      if (e instanceof GiveUp) throw e;
      return undefined;
    });
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Start `npm start`'s launcher and wait until web, worker, sync and PostgreSQL all serve. */
export async function startLauncher(opts: { readyTimeoutMs?: number; env?: Record<string, string> } = {}): Promise<Launcher> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "statescope-launcher-"));
  fs.chmodSync(dataDir, 0o755);
  const [port, syncPort, pgPort] = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    SYNC_PORT: String(syncPort),
    EMBEDDED_PG_PORT: String(pgPort),
    HOSTNAME: "127.0.0.1",
    SYNC_HOST: "127.0.0.1",
    STATESCOPE_DATA_DIR: dataDir,
    STATESCOPE_SEED_DEMO: "0",
    ...opts.env,
  };
  delete env.DATABASE_URL;
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "server", "cli", "launch.ts"), "start"], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));

  const pids = (): Record<Target, number> => {
    const found: Partial<Record<Target, number>> = {};
    for (const m of out.matchAll(/\[start\]\s+(web|worker|sync) (?:started|restarted) \(pid (\d+)\)/g)) found[m[1] as Target] = Number(m[2]);
    const state = JSON.parse(fs.readFileSync(path.join(dataDir, "postgres.json"), "utf8")) as { clusterDir: string };
    found.postgres = Number(fs.readFileSync(path.join(state.clusterDir, "postmaster.pid"), "utf8").split("\n")[0]);
    return found as Record<Target, number>;
  };
  const launcher: Launcher = {
    dataDir,
    webUrl: `http://127.0.0.1:${port}`,
    syncUrl: `http://127.0.0.1:${syncPort}`,
    databaseUrl: `postgresql://postgres:statescope@127.0.0.1:${pgPort}/statescope`,
    output: () => out,
    pids,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGINT");
        const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 30_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await until("the launcher to start web, worker, sync and PostgreSQL", opts.readyTimeoutMs ?? 600_000, async () => {
      // a launcher that exited will not come up: say why now, not after the timeout
      if (child.exitCode !== null) throw new GiveUp(`the launcher exited (${child.exitCode}):\n${out.slice(-3000)}`);
      const p = pids();
      if (!p.web || !p.worker || !p.sync || !p.postgres) return undefined;
      for (const t of TARGETS) if (!(await serving(launcher, t))) return undefined;
      return true;
    }).catch((e: unknown) => {
      if (child.exitCode !== null) throw new Error(`the launcher exited (${child.exitCode}):\n${out.slice(-3000)}`);
      throw new Error(`${e instanceof Error ? e.message : String(e)}; launcher output:\n${out.slice(-3000)}`);
    });
  } catch (e) {
    await launcher.stop();
    throw e;
  }
  return launcher;
}

async function withDb<T>(l: Launcher, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: l.databaseUrl, connectionTimeoutMillis: 2000 });
  c.on("error", () => undefined);
  await c.connect();
  try {
    return await f(c);
  } finally {
    // ending a client whose server was killed under it need not settle: do not wait for it
    void c.end().catch(() => undefined);
  }
}

/**
 * Is this part doing its job right now?
 * web: answers a tRPC query that reads the database; worker: runs a job (through graphile-worker
 * and its Prisma pool); sync: answers on its port; postgres: accepts a query.
 */
export async function serving(l: Launcher, t: Target, timeoutMs = 3000): Promise<boolean> {
  // a probe answers within its time, whatever hangs under it (a soak run once waited forever here
  // in a web + PostgreSQL trial: no step of the PostgreSQL probe after connecting had a bound)
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs + 500)));
  try {
    return await Promise.race([probe(l, t, timeoutMs), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function probe(l: Launcher, t: Target, timeoutMs: number): Promise<boolean> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    if (t === "web") {
      const input = encodeURIComponent(JSON.stringify({ json: { token: "x".repeat(32) } }));
      const r = await fetch(`${l.webUrl}/api/trpc/invite.preview?input=${input}`, { signal });
      // NOT_FOUND comes from the database lookup; a database failure would be a 500
      return r.status === 404 && (await r.text()).includes("invite link is not valid");
    }
    if (t === "sync") {
      const r = await fetch(`${l.syncUrl}/healthz`, { signal });
      return r.status === 200;
    }
    if (t === "postgres") return await withDb(l, async (c) => (await c.query("select 1 as one")).rows[0]?.one === 1);
    // worker: a housekeeping job must be picked up and completed
    return await withDb(l, async (c) => {
      const job = await c.query<{ id: string }>("select id from graphile_worker.add_job('invites:purge', '{}'::json, max_attempts := 1)");
      const id = job.rows[0]!.id;
      while (!signal.aborted) {
        const left = await c.query("select 1 from graphile_worker.jobs where id = $1", [id]);
        if (left.rowCount === 0) return true;
        await sleep(50);
      }
      return false;
    });
  } catch {
    return false;
  }
}

export interface KillTrial {
  target: Target;
  /** ms from the kill until the target served again. */
  backMs: number;
  /** The others, probed while the target was down. */
  othersServing: Record<string, boolean>;
  /** Parts whose process id changed (only the target may). */
  restarted: Target[];
  /** LISTEN connections (worker's job pickup, sync relay, web events) before the kill and once back. */
  listeners: { before: string[]; after: string[] };
}

/** The LISTEN statements of open sessions (their last query), sorted. */
export async function listenSessions(l: Launcher): Promise<string[]> {
  return withDb(l, async (c) =>
    (await c.query<{ q: string }>("select query as q from pg_stat_activity where query ilike 'listen %' order by 1")).rows.map((r) => r.q),
  );
}

/** kill -9 one part; the others must keep serving and the target must serve again within `backWithinMs`. */
export async function killTrial(l: Launcher, target: Target, backWithinMs = 10_000): Promise<KillTrial> {
  const before = l.pids();
  const listenersBefore = await listenSessions(l);
  const t0 = Date.now();
  process.kill(before[target], "SIGKILL");
  const othersServing: Record<string, boolean> = {};
  // postgres down: the others' own work needs it, so they must stay up and serve again after its return
  if (target !== "postgres") {
    for (const o of TARGETS) if (o !== target) othersServing[o] = await serving(l, o, 5000);
  }
  const backMs = await until(`${target} to serve again`, backWithinMs, async () => ((await serving(l, target, 2000)) ? Date.now() - t0 : undefined)).catch(
    () => Number.POSITIVE_INFINITY,
  );
  if (target === "postgres") {
    for (const o of TARGETS) if (o !== target) othersServing[o] = await until(`${o} after postgres`, backWithinMs, async () => ((await serving(l, o, 2000)) ? true : undefined)).catch(() => false);
  }
  // every LISTEN is back (reconnected, or made by the restarted process)
  const want = JSON.stringify(listenersBefore);
  const listenersAfter = await until("the LISTEN connections to come back", backWithinMs, async () => {
    const now = await listenSessions(l);
    return JSON.stringify(now) === want ? now : undefined;
  }).catch(() => listenSessions(l));
  const after = l.pids();
  const restarted = TARGETS.filter((t) => after[t] !== before[t]);
  return { target, backMs, othersServing, restarted, listeners: { before: listenersBefore, after: listenersAfter } };
}
