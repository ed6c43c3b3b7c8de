/**
 * What every entry point (launcher, CLI, tests) needs before it can touch the
 * database: a generated Prisma client, a reachable server (external or the
 * embedded one of the data dir) with migrations applied, and the auth secret.
 */
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDatabase, type DatabaseHandle } from "@/server/db/embedded";
import { dataDir, env, setProcessEnv } from "@/server/env";
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
export async function ensurePrismaClient(log: (l: string) => void): Promise<void> {
  const hash = createHash("sha256").update(fs.readFileSync(SCHEMA)).digest("hex");
  const stamp = path.join(GENERATED, ".schema-hash");
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === hash) return;
  log("generating the Prisma client");
  // `prisma generate` needs a syntactically valid URL but never connects.
  await runStep("prisma", process.execPath, [PRISMA_CLI, "generate"], {
    cwd: ROOT,
    env: prismaEnv(env().DATABASE_URL ?? "postgresql://generate:only@localhost:5432/none"),
  });
  fs.writeFileSync(stamp, hash);
}

export async function migrate(url: string): Promise<void> {
  await runStep("migrate", process.execPath, [PRISMA_CLI, "migrate", "deploy"], { cwd: ROOT, env: prismaEnv(url) });
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

/**
 * Make the database usable by this process and its children: sets
 * DATABASE_URL (and AUTH_SECRET) in this process's environment.
 */
export async function prepare(opts: { log: (l: string) => void; migrate?: boolean }): Promise<Prepared> {
  const e = env();
  await ensurePrismaClient(opts.log);
  const database = await ensureDatabase({
    databaseUrl: e.DATABASE_URL,
    dataDir: dataDir(e),
    preferredPort: e.EMBEDDED_PG_PORT,
    log: opts.log,
  });
  setProcessEnv("DATABASE_URL", database.url);
  ensureAuthSecret();
  if (opts.migrate !== false) await migrate(database.url);
  return { database };
}
