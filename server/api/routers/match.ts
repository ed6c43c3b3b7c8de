import { z } from "zod";
import { env } from "@/server/env";
import { matchResult, runMatch } from "@/server/services/matching/matches";
import { ZMatchInput, ZMatchKey, ZMatchOutcome } from "@/server/services/matching/schemas";
import { matchServing } from "@/server/services/matching/serving";
import { LIMITS } from "@/server/services/rate-limits";
import { router, workspaceProcedure } from "../trpc";

export const matchRouter = router({
  /** Run a match query; answers from the store, or waits for the worker (up to MATCH_WAIT_MS, then "pending"). */
  run: workspaceProcedure("VIEWER")
    .input(ZMatchInput)
    .output(ZMatchOutcome)
    .mutation(({ ctx, input }) =>
      runMatch(ctx.db, ctx.access.workspace.id, input, { ...matchServing(ctx.pubsub, env()), spendPerJob: [[LIMITS.matchJobsUser, ctx.actor.userId]] }),
    ),

  /** Long-poll for a pending result. */
  result: workspaceProcedure("VIEWER")
    .input(z.object({ key: ZMatchKey }))
    .output(ZMatchOutcome)
    .query(({ ctx, input }) => matchResult(ctx.db, ctx.access.workspace.id, input.key, matchServing(ctx.pubsub, env()), ctx.access.onlyDataset)),
});
