/** The sync process (`npm run start:sync`): realtime rooms for workspace members. */
import { AppError } from "@statescope/core";
import { createDb } from "@/server/db/client";
import { env } from "@/server/env";
import { verifySyncToken } from "@/server/services/sync-tokens";
import { createSyncServer } from "./server";

async function main() {
  const e = env();
  const secret = e.AUTH_SECRET;
  if (!secret) throw new Error("AUTH_SECRET is not set (start the sync server with `npm run start:sync`, which provides it)");
  const db = e.DATABASE_URL ? createDb(e.DATABASE_URL) : null;
  const server = createSyncServer({
    log: (l) => console.log(l),
    // A member removed from the workspace (or whose role changed) is disconnected within 2 s.
    recheck: db
      ? async (claims) => {
          const m = await db.membership.findUnique({ where: { workspaceId_userId: { workspaceId: claims.w, userId: claims.u } }, select: { role: true } });
          return m !== null && m.role === claims.role;
        }
      : undefined,
    async authorize(token, room) {
      if (!token) throw new AppError("UNAUTHENTICATED", "no realtime token: reload the page to get one");
      const claims = verifySyncToken(secret, token);
      if (claims.r !== room) throw new AppError("FORBIDDEN", "this token is for another room");
      return claims;
    },
  });
  const port = await server.listen(e.SYNC_PORT, e.SYNC_HOST);
  console.log(`sync server listening on ws://${e.SYNC_HOST}:${port}`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(`sync failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
