/**
 * The only module that reads process.env. Everything else receives settings
 * from here (or as function arguments), so a setting read at import time can
 * never surprise a test.
 */
import path from "node:path";
import { z } from "zod";

const ZBool = z
  .enum(["0", "1", "true", "false", "yes", "no"])
  .transform((v) => v === "1" || v === "true" || v === "yes");

const ZPort = z.coerce.number().int().min(0).max(65535);

export const ZEnv = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /** External PostgreSQL; when unset an embedded server is started under STATESCOPE_DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  /** Where the embedded Postgres, secrets and uploads live. */
  STATESCOPE_DATA_DIR: z.string().min(1).default(".data"),
  /** Preferred port for the embedded Postgres (the next free one is taken when busy). */
  EMBEDDED_PG_PORT: ZPort.default(54329),
  PORT: ZPort.default(3000),
  HOSTNAME: z.string().default("0.0.0.0"),
  SYNC_PORT: ZPort.default(1234),
  SYNC_HOST: z.string().default("0.0.0.0"),
  /**
   * Longest time the sync server holds a received document update before writing it to Postgres
   * (one batch per room); a crash loses at most this window plus the insert in flight.
   */
  SYNC_FLUSH_MS: z.coerce.number().int().min(1).max(50).default(20),
  /** How long a room nobody is in stays in the sync server's memory (ms). */
  SYNC_IDLE_UNLOAD_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /**
   * Compact a room's stored update log once it has more rows than this (compacting blocks the sync
   * process for a few ms per MB of document; an unloading room is always compacted).
   */
  SYNC_COMPACT_ROWS: z.coerce.number().int().min(2).max(1_000_000).default(1000),
  /** URL browsers use to reach the sync server; defaults to ws://<page host>:SYNC_PORT. */
  SYNC_PUBLIC_URL: z.string().url().optional(),
  /** Public base URL of the web app (invite links). Defaults to the origin of the request. */
  PUBLIC_URL: z.string().url().optional(),
  /**
   * A reverse proxy we run sits in front of the web server and sets x-forwarded-host/-proto/-for:
   * believe those headers (see server/http/request-origin.ts). Off: they could come from anyone.
   */
  TRUST_PROXY: ZBool.default(false),
  /** next-auth secret; generated and kept in the data dir when unset. */
  AUTH_SECRET: z.string().min(16).optional(),
  AUTH_GITHUB_ID: z.string().min(1).optional(),
  AUTH_GITHUB_SECRET: z.string().min(1).optional(),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** How often a worker process beats its heartbeat row and releases the jobs of dead workers. */
  WORKER_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** A worker silent this long while holding a job is dead: its jobs are retried (graphile-worker alone waits 4 h). */
  WORKER_DEAD_AFTER_MS: z.coerce.number().int().min(300).max(3_600_000).default(60_000),
  /** Largest accepted upload (bytes); larger uploads are refused while streaming. */
  UPLOAD_MAX_BYTES: z.coerce.number().int().positive().default(4 * 1024 ** 3),
  /** Bytes of decoded sources and on/off indices a worker keeps in memory (LRU). */
  MATCH_CACHE_BYTES: z.coerce.number().int().positive().default(2 * 1024 ** 3),
  /**
   * Steps of a source one worker scans in one piece. A longer source is split into time-range
   * shards run as parallel jobs and merged. Unset: derived from MATCH_CACHE_BYTES (half of it for
   * one shard's on/off index), so ordinary sources (1M × 650 at the default budget) stay whole.
   */
  MATCH_SHARD_STEPS: z.coerce.number().int().min(1).optional(),
  /**
   * Match queries over sources of at most this many values (steps × cells) run in the web process
   * itself instead of through the job queue (issue 15: the queue's round trip was most of a small
   * query's latency); 0 sends every query to the workers. Default 4M values (16 MB of float32).
   */
  MATCH_INLINE_VALUES: z.coerce.number().int().min(0).default(4 * 1024 ** 2),
  /**
   * Bytes of sources prepared for analysis (transformed values and per-cell ranks, 8 bytes per value:
   * 5.2 GB for 1M × 650) a worker keeps in memory (LRU). A source that does not fit is analysed in
   * blocks of cells read from the database, without being kept.
   */
  ANALYSIS_CACHE_BYTES: z.coerce.number().int().positive().default(6 * 1024 ** 3),
  /**
   * Threads a worker runs cell search's SIMD kernels on (each a block of cells, all sharing the
   * prepared source); 0 runs them on the worker's own thread. Default 1 (off the event loop): the
   * sums are bound by memory bandwidth, and on a shared 2-core machine two threads were slower
   * (`npm run bench:analysis -- --threads 2`); more may pay on a machine with idle cores.
   */
  ANALYSIS_THREADS: z.coerce.number().int().min(0).max(256).optional(),
  /** How long one `match.run` / `match.result` call waits for the worker before answering "pending". */
  MATCH_WAIT_MS: z.coerce.number().int().min(100).max(120_000).default(20_000),
  /** Requests one API token may make per minute (/api/v1); over it the answer is 429 with Retry-After. */
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
  /**
   * Joins to one class session a web process admits per second once CLASS_JOIN_BURST have passed at
   * once (server/services/classroom/join-pacer.ts: a join storm must not starve the presentation the
   * students already in follow); 0 admits every join at once.
   */
  CLASS_JOIN_RATE: z.coerce.number().int().min(0).max(100_000).default(300),
  CLASS_JOIN_BURST: z.coerce.number().int().min(1).max(100_000).default(50),
  /** The `statescope` CLI talks to this server over HTTP instead of the local database (same as --server). */
  STATESCOPE_SERVER: z.string().url().optional(),
  /** The API token the CLI sends with --server (same as --token). */
  STATESCOPE_TOKEN: z.string().optional(),
  INVITE_TTL_HOURS: z.coerce.number().positive().max(24 * 90).default(72),
  STATESCOPE_SEED_DEMO: ZBool.default(true),
  /** `npm start` runs web, worker and sync from esbuild bundles (server/cli/bundle.ts); 0: through the tsx loader. */
  STATESCOPE_BUNDLE: ZBool.default(true),
  /** The web server answers /api/trpc itself (server/http/trpc-front.ts); 0: Next.js's route does (as in dev mode). */
  TRPC_FRONT: ZBool.default(true),
  CHROMIUM_PATH: z.string().optional(),
  /** Serve /bench/* pages (generated data for `npm run bench:ui`) in production builds too. */
  STATESCOPE_BENCH_PAGES: ZBool.default(false),
  /** The directory the `statescope` command was run from (file arguments are relative to it). */
  STATESCOPE_CWD: z.string().optional(),
});

export type Env = z.infer<typeof ZEnv>;

let cached: Env | undefined;

/** Parse and validate the environment once; a bad value names the variable. */
export function env(): Env {
  if (cached) return cached;
  const parsed = ZEnv.safeParse(process.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  cached = parsed.data;
  return cached;
}

/** For tests and the launcher after it changed the environment of this process. */
export function resetEnvCache(): void {
  cached = undefined;
}

export function dataDir(e: Env = env()): string {
  return path.resolve(e.STATESCOPE_DATA_DIR);
}

export function githubAuthEnabled(e: Env = env()): boolean {
  return Boolean(e.AUTH_GITHUB_ID && e.AUTH_GITHUB_SECRET);
}

/** A copy of the process environment with overrides, for spawning child processes. */
export function childEnvironment(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Setting a variable for this process and its children (launcher only). */
export function setProcessEnv(name: string, value: string): void {
  process.env[name] = value;
  cached = undefined;
}
