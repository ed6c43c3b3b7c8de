/** The sync process (`npm run start:sync`): realtime rooms for workspace members and classroom sessions. */
import { createDb } from "@/server/db/client";
import { env } from "@/server/env";
import { roomRoles } from "@/server/services/classroom/sync";
import { verifyRoomToken } from "@/server/services/sync-tokens";
import { createPgBackend } from "./pg-backend";
import { createSyncServer } from "./server";

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
    authorize: async (token, room) => verifyRoomToken(secret, token, room),
    // checked when a socket is admitted and every 2 s for all open sockets (one query per kind of room):
    // workspace members, and classroom participants (removed or session ended: gone within 2 s)
    memberRoles: (keys) => roomRoles(db, keys),
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
