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

export default async function setup(project: TestProject) {
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
  project.provide("pgAdminUrl", withDatabase(handle.url, "postgres"));
  return async () => {
    await handle.stop();
  };
}
