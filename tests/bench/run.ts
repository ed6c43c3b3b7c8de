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
