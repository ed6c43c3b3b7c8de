import { z } from "zod";
import { ZTokenCreate, ZTokenCreated, ZTokenId, ZTokenSummary } from "@/server/services/tokens/schemas";
import * as tokens from "@/server/services/tokens/tokens";
import { router, userProcedure } from "../trpc";

/** The signed-in user's personal API tokens (Settings → API tokens). */
export const tokenRouter = router({
  list: userProcedure.output(z.array(ZTokenSummary)).query(({ ctx }) => tokens.listTokens(ctx.db, ctx.actor.userId)),

  /** The answer carries the secret once; only its hash is stored. */
  create: userProcedure
    .input(ZTokenCreate)
    .output(ZTokenCreated)
    .mutation(({ ctx, input }) => tokens.createToken(ctx.db, ctx.actor.userId, input)),

  revoke: userProcedure
    .input(z.object({ tokenId: ZTokenId }))
    .output(z.object({ tokenId: z.string(), revokedAt: z.date() }))
    .mutation(({ ctx, input }) => tokens.revokeToken(ctx.db, ctx.actor.userId, input.tokenId)),
});
