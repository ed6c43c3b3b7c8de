import { z } from "zod";
import { AppError } from "@statescope/core";
import { env } from "@/server/env";
import { ZDatasetId } from "@/server/services/datasets/schemas";
import { issueRoomTicket, ZRoomTicket } from "@/server/services/sync-tokens";
import { router, workspaceProcedure } from "../trpc";

export const syncRouter = router({
  /**
   * A short-lived token admitting the caller to the realtime room of one dataset, and the URL to
   * connect to. Fetch a fresh one before every (re)connect: it expires after `expiresInSeconds`.
   */
  token: workspaceProcedure("VIEWER")
    .input(z.object({ datasetId: ZDatasetId }))
    .output(ZRoomTicket)
    .mutation(({ ctx, input }) => {
      const e = env();
      if (!e.AUTH_SECRET) throw new AppError("INTERNAL", "AUTH_SECRET is not configured");
      return issueRoomTicket(ctx.db, ctx.actor, ctx.access, input.datasetId, {
        secret: e.AUTH_SECRET,
        publicUrl: e.SYNC_PUBLIC_URL,
        requestOrigin: ctx.requestOrigin ?? ctx.publicUrl,
        syncPort: e.SYNC_PORT,
      });
    }),
});
