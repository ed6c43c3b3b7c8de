/** The sync process (`npm run start:sync`): realtime rooms for workspace members. */
import { createDb, type Db } from "@/server/db/client";
import { env } from "@/server/env";
import { verifyRoomToken, type SyncClaims } from "@/server/services/sync-tokens";
import { createPgBackend } from "./pg-backend";
import { createSyncServer } from "./server";

/**
 * Is this still a member with this role? Calls made in the same tick (the server checks every
 * open socket's member at once) are answered with one query per workspace.
 */
function membershipChecker(db: Db): (claims: SyncClaims) => Promise<boolean> {
  let queue: { claims: SyncClaims; resolve: (ok: boolean) => void; reject: (e: unknown) => void }[] = [];
  const run = async (batch: typeof queue) => {
    const byWorkspace = new Map<string, typeof queue>();
    for (const q of batch) byWorkspace.set(q.claims.w, [...(byWorkspace.get(q.claims.w) ?? []), q]);
    for (const [workspaceId, qs] of byWorkspace) {
      try {
        const rows = await db.membership.findMany({
          where: { workspaceId, userId: { in: [...new Set(qs.map((q) => q.claims.u))] } },
          select: { userId: true, role: true },
        });
        const role = new Map(rows.map((r) => [r.userId, r.role]));
        for (const q of qs) q.resolve(role.get(q.claims.u) === q.claims.role);
      } catch (e) {
        for (const q of qs) q.reject(e);
      }
    }
  };
  return (claims) =>
    new Promise<boolean>((resolve, reject) => {
      if (queue.length === 0) {
        setImmediate(() => {
          const batch = queue;
          queue = [];
          void run(batch);
        });
      }
      queue.push({ claims, resolve, reject });
    });
}

async function main() {
  const e = env();
  const secret = e.AUTH_SECRET;
  if (!secret) throw new Error("AUTH_SECRET is not set (start the sync server with `npm run start:sync`, which provides it)");
  // The launcher always provides the database (embedded or DATABASE_URL); rooms live there.
  if (!e.DATABASE_URL) throw new Error("DATABASE_URL is not set (start the sync server with `npm run start:sync`, which provides it)");
  const db = createDb(e.DATABASE_URL);
  const backend = createPgBackend({
    connectionString: e.DATABASE_URL,
    flushMs: e.SYNC_FLUSH_MS,
    compactRows: e.SYNC_COMPACT_ROWS,
    log: (l) => console.log(l),
  });
  const server = createSyncServer({
    backend,
    idleMs: e.SYNC_IDLE_UNLOAD_MS,
    log: (l) => console.log(l),
    // A member removed from the workspace (or whose role changed) is disconnected within 2 s.
    recheck: membershipChecker(db),
    authorize: async (token, room) => verifyRoomToken(secret, token, room),
  });
  const port = await server.listen(e.SYNC_PORT, e.SYNC_HOST);
  console.log(`sync server listening on ws://${e.SYNC_HOST}:${port} (process ${backend.origin}; updates written at most ${e.SYNC_FLUSH_MS} ms after they arrive)`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // Write out every room before exiting; a second signal is not needed.
    void server
      .close()
      .then(() => db.$disconnect())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(`sync: stopping failed: ${err instanceof Error ? err.message : String(err)}`);
          process.exit(1);
        },
      );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(`sync failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
