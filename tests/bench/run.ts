import { readFileSync } from "node:fs";
import { exitAfterFlush } from "@/server/cli/exit";

/**
 * Runs a benchmark's main and exits explicitly (0, or 1 with the error on stderr): the Prisma
 * engine leaves long timers that would keep the process alive for a while. The exit waits for the
 * printed results to reach a piped reader.
 */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => exitAfterFlush(0),
    (e: unknown) => {
      process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      return exitAfterFlush(1);
    },
  );
}

/** The q-quantile (0–1) of `xs`, nearest rank. */
export function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))]!;
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSecondsOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** A process's resident memory in MB, from /proc. */
export function rssMbOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;
}

/** One row of a Markdown table. */
export const row = (cols: (string | number)[]) => "| " + cols.map(String).join(" | ") + " |";

/**
 * The benchmark's database: the embedded PostgreSQL in `dataDir` (started, or the one already
 * running there), migrated, with DATABASE_URL pointing at it for the services.
 */
export async function benchDatabase(dataDir: string, port: number, log: (line: string) => void) {
  const { ensurePrismaClient, migrate } = await import("@/server/cli/runtime");
  const { ensureDatabase } = await import("@/server/db/embedded");
  const { resetEnvCache } = await import("@/server/env");
  const { createDb } = await import("@/server/db/client");
  await ensurePrismaClient(log);
  const handle = await ensureDatabase({ dataDir, preferredPort: port, log });
  process.env.DATABASE_URL = handle.url;
  resetEnvCache();
  const db = createDb(handle.url);
  await migrate(handle.url, log);
  return { handle, db };
}
