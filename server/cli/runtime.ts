/**
 * What every entry point (launcher, CLI, tests) needs before it can touch the
 * database: a generated Prisma client, a reachable server (external or the
 * embedded one of the data dir) with migrations applied, and the auth secret.
 */
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { ensureDatabase, type DatabaseHandle } from "@/server/db/embedded";
import { dataDir, env, setProcessEnv } from "@/server/env";
import { spawn } from "node:child_process";
import type { HostMessage } from "./db-host";
import { runStep } from "./processes";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const PRISMA_CLI = path.join(ROOT, "node_modules", "prisma", "build", "index.js");
const UNREF_TIMERS = path.join(ROOT, "server", "db", "unref-long-timers.cjs");
const GENERATED = path.join(ROOT, "prisma", "generated");
const SCHEMA = path.join(ROOT, "prisma", "schema.prisma");

const quiet = { PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1", NEXT_TELEMETRY_DISABLED: "1" };

function prismaEnv(url: string): NodeJS.ProcessEnv {
  return { ...process.env, ...quiet, DATABASE_URL: url, NODE_OPTIONS: `--require ${UNREF_TIMERS}` };
}

/** Generate the Prisma client when it is missing or older than the schema. */
export async function ensurePrismaClient(log: (l: string) => void, sink?: NodeJS.WritableStream): Promise<void> {
  const hash = createHash("sha256").update(fs.readFileSync(SCHEMA)).digest("hex");
  const stamp = path.join(GENERATED, ".schema-hash");
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === hash) return;
  log("generating the Prisma client");
  // `prisma generate` needs a syntactically valid URL but never connects.
  await runStep("prisma", process.execPath, [PRISMA_CLI, "generate"], {
    cwd: ROOT,
    env: prismaEnv(env().DATABASE_URL ?? "postgresql://generate:only@localhost:5432/none"),
  }, sink);
  fs.writeFileSync(stamp, hash);
}

/** Names of migrations in prisma/migrations that the database has not applied yet. */
export async function pendingMigrations(url: string): Promise<string[]> {
  const dir = path.join(ROOT, "prisma", "migrations");
  const all = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ migration_name: string }>(
      "select migration_name from _prisma_migrations where finished_at is not null and rolled_back_at is null",
    );
    const applied = new Set(r.rows.map((x) => x.migration_name));
    return all.filter((m) => !applied.has(m));
  } catch (e) {
    if ((e as { code?: string }).code === "42P01") return all; // no _prisma_migrations table yet
    throw e;
  } finally {
    await client.end();
  }
}

/** Apply pending migrations with `prisma migrate deploy` (quick no-op check first; output shown only on failure). */
export async function migrate(url: string, log: (l: string) => void): Promise<void> {
  const pending = await pendingMigrations(url);
  if (pending.length === 0) return;
  log(`applying ${pending.length} database migration(s): ${pending.join(", ")}`);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  try {
    await runStep("migrate", process.execPath, [PRISMA_CLI, "migrate", "deploy"], { cwd: ROOT, env: prismaEnv(url) }, sink);
  } catch (e) {
    process.stderr.write(lines.join(""));
    throw e;
  }
}

/** AUTH_SECRET from the environment, else one generated once and kept in the data dir. */
export function ensureAuthSecret(): void {
  if (env().AUTH_SECRET) return;
  const file = path.join(dataDir(), "auth-secret");
  let secret = "";
  try {
    secret = fs.readFileSync(file, "utf8").trim();
  } catch {
    /* first start */
  }
  if (secret.length < 32) {
    secret = randomBytes(32).toString("base64url");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, secret, { mode: 0o600 });
  }
  setProcessEnv("AUTH_SECRET", secret);
}

export interface Prepared {
  database: DatabaseHandle;
}

/** Start the embedded database in a detached host process (see db-host.ts). */
function hostedDatabase(log: (l: string) => void): Promise<DatabaseHandle> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "server", "cli", "db-host.ts")], {
      cwd: ROOT,
      env: process.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on("data", (d: Buffer) => {
        for (const line of d.toString().split("\n")) if (line.trim()) log(line);
      });
    }
    child.once("exit", (code) => reject(new Error(`the database host exited early (code ${code ?? "signal"})`)));
    child.on("message", (m: HostMessage) => {
      if (m.type === "error") return reject(new Error(m.message));
      const exited = new Promise<string>((r) => child.once("exit", (code, signal) => r(signal ? `was killed by ${signal}` : `exited with code ${code}`)));
      resolve({
        url: m.url,
        kind: m.kind,
        exited,
        async stop() {
          if (m.kind !== "owned" || child.exitCode !== null) return;
          child.kill("SIGTERM");
          await exited;
        },
      });
    });
  });
}

/**
 * Make the database usable by this process and its children: sets
 * DATABASE_URL (and AUTH_SECRET) in this process's environment.
 * `isolate`: long-running launchers keep the embedded server in its own
 * process group so a terminal Ctrl-C does not stop it before its clients.
 */
export async function prepare(opts: { log: (l: string) => void; migrate?: boolean; sink?: NodeJS.WritableStream; isolate?: boolean }): Promise<Prepared> {
  const e = env();
  await ensurePrismaClient(opts.log, opts.sink);
  const database =
    opts.isolate && !e.DATABASE_URL
      ? await hostedDatabase(opts.log)
      : await ensureDatabase({ databaseUrl: e.DATABASE_URL, dataDir: dataDir(e), preferredPort: e.EMBEDDED_PG_PORT, log: opts.log });
  setProcessEnv("DATABASE_URL", database.url);
  ensureAuthSecret();
  if (opts.migrate !== false) await migrate(database.url, opts.log);
  return { database };
}
