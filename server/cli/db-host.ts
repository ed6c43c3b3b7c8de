/**
 * Hosts the embedded PostgreSQL for the launcher in a process of its own
 * process group (spawned detached), so that Ctrl-C in a terminal — which
 * signals the whole foreground group — reaches web, worker and sync but not
 * the database: the launcher stops the database last, after the others have
 * closed their connections. If the launcher dies, the IPC channel closes and
 * the database stops too. If PostgreSQL dies, it is started again on the same
 * port and data dir; the other processes' pools and LISTEN clients reconnect.
 */
import { ensureDatabase } from "@/server/db/embedded";
import { dataDir, env } from "@/server/env";
import { Supervisor } from "./supervise";

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
  const cluster = handle.cluster;
  const supervisor = cluster
    ? new Supervisor(
        "postgres",
        async () => {
          await cluster.start();
          return { pid: cluster.pid, exited: cluster.exited };
        },
        { log: (l) => console.log(l) },
      )
    : undefined;
  await supervisor?.start();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    supervisor?.stop();
    await handle.stop();
    process.exit(0);
  };
  process.on("disconnect", () => void stop());
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}

void main();
