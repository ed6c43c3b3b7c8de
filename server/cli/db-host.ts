/**
 * Hosts the embedded PostgreSQL for the launcher in a process of its own
 * process group (spawned detached), so that Ctrl-C in a terminal — which
 * signals the whole foreground group — reaches web, worker and sync but not
 * the database: the launcher stops the database last, after the others have
 * closed their connections. If the launcher dies, the IPC channel closes and
 * the database stops too.
 */
import { ensureDatabase } from "@/server/db/embedded";
import { dataDir, env } from "@/server/env";

export type HostMessage = { type: "ready"; url: string; kind: "shared" | "owned" } | { type: "error"; message: string };

async function main() {
  const send = (m: HostMessage) => process.send?.(m);
  const e = env();
  let handle: Awaited<ReturnType<typeof ensureDatabase>>;
  try {
    handle = await ensureDatabase({ dataDir: dataDir(e), preferredPort: e.EMBEDDED_PG_PORT, log: (l) => console.log(l) });
  } catch (err) {
    send({ type: "error", message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
  send({ type: "ready", url: handle.url, kind: handle.kind === "owned" ? "owned" : "shared" });
  if (handle.kind !== "owned") {
    process.disconnect?.();
    return;
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await handle.stop();
    process.exit(0);
  };
  process.on("disconnect", () => void stop());
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}

void main();
