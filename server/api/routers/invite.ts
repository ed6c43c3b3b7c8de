import { z } from "zod";
import * as invites from "@/server/services/invites";
import { ZInviteCreated, ZInvitePreview, ZInviteToken, ZRole } from "@/server/services/schemas";
import { env } from "@/server/env";
import { LIMITS } from "@/server/services/rate-limits";
import { publicProcedure, rateLimited, router, userProcedure, workspaceProcedure } from "../trpc";

export const inviteRouter = router({
  create: workspaceProcedure("OWNER")
    .input(z.object({ role: ZRole }))
    .output(ZInviteCreated)
    .mutation(({ ctx, input }) =>
      invites.createInvite(ctx.db, ctx.actor, ctx.access.workspace.id, input.role, {
        ttlHours: env().INVITE_TTL_HOURS,
        publicUrl: ctx.publicUrl,
      }),
    ),

  list: workspaceProcedure("OWNER")
    .output(z.array(z.object({ id: z.string(), role: ZRole, expiresAt: z.date(), createdAt: z.date(), createdBy: z.string() })))
    .query(({ ctx }) => invites.listInvites(ctx.db, ctx.access.workspace.id)),

  revoke: workspaceProcedure("OWNER")
    .input(z.object({ inviteId: z.string().min(1).max(64) }))
    .output(z.void())
    .mutation(({ ctx, input }) => invites.revokeInvite(ctx.db, ctx.access.workspace.id, input.inviteId)),

  /** Public so the invite page can say where the link leads before sign-in. */
  preview: publicProcedure
    .input(z.object({ token: ZInviteToken }))
    .output(ZInvitePreview)
    .query(({ ctx, input }) => invites.previewInvite(ctx.db, input.token)),

  accept: userProcedure
    .use(
      rateLimited(
        (ctx) => [
          [LIMITS.inviteRedeemUser, ctx.actor?.userId ?? ""],
          [LIMITS.inviteRedeemAddress, ctx.clientAddress ?? "unknown"],
        ],
        { failuresOnly: true },
      ),
    )
    .input(z.object({ token: ZInviteToken }))
    .output(z.object({ workspaceSlug: z.string(), role: ZRole }))
    .mutation(({ ctx, input }) => invites.acceptInvite(ctx.db, ctx.actor, input.token)),
});
