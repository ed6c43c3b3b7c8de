import { createPgBackend, type PgBackendOptions } from "@/server/sync/pg-backend";
import { createSyncServer, type SyncServer, type SyncServerOptions } from "@/server/sync/server";
import { verifyRoomToken } from "@/server/services/sync-tokens";

/**
 * A sync server for tests: Postgres persistence on `url` and the real admission rule
 * (verifyRoomToken with `secret`), plus whatever the test sets (idle unload, recheck, backend options).
 */
export function createTestSyncServer(
  url: string,
  secret: string,
  o: Partial<Omit<SyncServerOptions, "backend" | "authorize">> & { backend?: Partial<PgBackendOptions> } = {},
): SyncServer {
  const { backend, ...rest } = o;
  return createSyncServer({
    ...rest,
    backend: createPgBackend({ connectionString: url, ...backend }),
    authorize: async (token, room) => verifyRoomToken(secret, token, room),
  });
}
