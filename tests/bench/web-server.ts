/** Benchmarks that measure pages start the web app like `npm run start:web` (production build, rebuilt when sources changed). */
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";

const ROOT = resolve(import.meta.dirname, "..", "..");

/**
 * Starts the web app of checkout `code` (default: this one) on `port` against database `url`;
 * resolves once /api/trpc/health answers (15 min at most).
 */
export function startWeb(opts: { url: string; port: number; dataDir: string; log: (line: string) => void; code?: string }): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "server/cli/launch.ts", "web"], {
    cwd: opts.code ?? ROOT,
    env: { ...process.env, DATABASE_URL: opts.url, PORT: String(opts.port), HOSTNAME: "127.0.0.1", STATESCOPE_DATA_DIR: resolve(opts.dataDir), NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const lines = (s: NodeJS.ReadableStream) => createInterface({ input: s }).on("line", (l) => /build|error|fail|warn/i.test(l) && opts.log(`web: ${l}`));
  lines(child.stdout!);
  lines(child.stderr!);
  return new Promise((ok, fail) => {
    const until = Date.now() + 15 * 60_000;
    const poll = async () => {
      if (child.exitCode !== null) return fail(new Error(`the web app exited (${child.exitCode})`));
      try {
        if ((await fetch(`http://127.0.0.1:${opts.port}/api/trpc/health`)).status < 500) return ok(child);
      } catch {
        /* not up yet */
      }
      if (Date.now() > until) return fail(new Error("the web app did not answer within 15 minutes"));
      setTimeout(() => void poll(), 500);
    };
    void poll();
  });
}

/** Stops a web app started by {@link startWeb} (its whole process group) and waits for it to exit. */
export async function stopWeb(web: ChildProcess | undefined): Promise<void> {
  if (!web || web.exitCode !== null) return;
  const exited = new Promise((ok) => web.once("exit", ok));
  process.kill(-web.pid!, "SIGTERM");
  await exited;
}
