import { z } from "zod";
import { env } from "@/server/env";
import { matchResult, runMatchWithRows } from "@/server/services/matching/matches";
import { ZMatchKey, ZMatchOutcome, ZMatchRunInput, ZMatchRunOutcome } from "@/server/services/matching/schemas";
import { matchServing } from "@/server/services/matching/serving";
import { audienceOf } from "@/server/services/authz";
import { LIMITS } from "@/server/services/rate-limits";
import { timed } from "@/server/http/server-timing";
import { router, workspaceProcedure } from "../trpc";

export const matchRouter = router({
  /** Run a match query (with its result rows' windows when asked); answers from the store, or waits for the worker (up to MATCH_WAIT_MS, then "pending"). */
  run: workspaceProcedure("VIEWER")
    .input(ZMatchRunInput)
    .output(ZMatchRunOutcome)
    .mutation(({ ctx, input }) =>
      // "resolve" (Server-Timing): the service; the procedure's rest is authorization and validation
      timed("resolve", () => runMatchWithRows(ctx.db, ctx.access.workspace.id, input, { ...matchServing(ctx.pubsub, env()), spendPerJob: [[LIMITS.matchJobsUser, ctx.actor.userId]] }, audienceOf(ctx.access))),
    ),

  /** Long-poll for a pending result. */
  result: workspaceProcedure("VIEWER")
    .input(z.object({ key: ZMatchKey }))
    .output(ZMatchOutcome)
    .query(({ ctx, input }) => matchResult(ctx.db, ctx.access.workspace.id, input.key, matchServing(ctx.pubsub, env()), ctx.access.onlyDataset)),
});
