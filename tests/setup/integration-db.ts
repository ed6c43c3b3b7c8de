/**
 * vitest globalSetup for `*.int.test.ts`: a real PostgreSQL (the embedded
 * one, in its own data dir and port, or TEST_DATABASE_URL's server), with a
 * migrated template database from which each test file clones its own.
 */
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { ensureDatabase } from "../../server/db/embedded";
import { ensurePrismaClient, migrate } from "../../server/cli/runtime";

export const TEMPLATE_DB = "statescope_template";

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * Both integration projects (vitest.config.ts: files in parallel, and the ones kept serial) run this
 * setup in the one vitest process: the first starts the server and migrates the template, the other
 * shares them, and the last teardown stops the server.
 */
interface Shared {
  ready: Promise<{ adminUrl: string; stop(): Promise<void> }>;
  users: number;
}
const SHARED = Symbol.for("statescope.integration-db");
const globalState = globalThis as unknown as Record<typeof SHARED, Shared | undefined>;

export default async function setup(project: TestProject) {
  let shared = globalState[SHARED];
  if (!shared) {
    shared = { ready: startDatabase(), users: 0 };
    globalState[SHARED] = shared;
  }
  shared.users += 1;
  const mine = shared;
  const { adminUrl, stop } = await mine.ready;
  project.provide("pgAdminUrl", adminUrl);
  return async () => {
    mine.users -= 1;
    if (mine.users > 0) return;
    if (globalState[SHARED] === mine) globalState[SHARED] = undefined;
    await stop();
  };
}

async function startDatabase() {
  const log = (l: string) => process.stderr.write(`[test-db] ${l}\n`);
  await ensurePrismaClient(log);
  const handle = await ensureDatabase({
    databaseUrl: process.env.TEST_DATABASE_URL,
    dataDir: path.resolve(".test-data/integration"),
    // several checkouts (git worktrees) on one machine each pick their own port
    preferredPort: Number(process.env.TEST_PG_PORT ?? 54400),
    log,
  });
  const admin = new pg.Client({ connectionString: withDatabase(handle.url, "postgres") });
  await admin.connect();
  await admin.query(`drop database if exists ${TEMPLATE_DB} with (force)`);
  await admin.query(`create database ${TEMPLATE_DB}`);
  await admin.end();
  await migrate(withDatabase(handle.url, TEMPLATE_DB), log);
  return { adminUrl: withDatabase(handle.url, "postgres"), stop: () => handle.stop() };
}
