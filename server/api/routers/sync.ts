import { z } from "zod";
import { AppError } from "@statescope/core";
import { env } from "@/server/env";
import { roomName, signSyncToken, SYNC_TOKEN_TTL_SECONDS } from "@/server/services/sync-tokens";
import { router, workspaceProcedure } from "../trpc";

export const syncRouter = router({
  /** A short-lived token admitting the caller to one room of this workspace. */
  token: workspaceProcedure("VIEWER")
    .input(z.object({ subject: z.string().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/, "subject may hold letters, digits, _ and - only") }))
    .output(z.object({ room: z.string(), token: z.string(), expiresInSeconds: z.number() }))
    .mutation(({ ctx, input }) => {
      const secret = env().AUTH_SECRET;
      if (!secret) throw new AppError("INTERNAL", "AUTH_SECRET is not configured");
      const room = roomName(ctx.access.workspace.id, input.subject);
      const token = signSyncToken(secret, { u: ctx.actor.userId, w: ctx.access.workspace.id, r: room, role: ctx.access.role });
      return { room, token, expiresInSeconds: SYNC_TOKEN_TTL_SECONDS };
    }),
});
