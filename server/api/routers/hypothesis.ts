import { z } from "zod";
import { env } from "@/server/env";
import * as hypotheses from "@/server/services/records/hypotheses";
import {
  ZHypothesisCreate,
  ZHypothesisDetail,
  ZHypothesisListInput,
  ZHypothesisSummary,
  ZHypothesisUpdate,
  ZHypothesisVersion,
  ZRecordId,
} from "@/server/services/records/schemas";
import type { PubSub } from "@/server/pubsub/pubsub";
import { matchServing } from "@/server/services/matching/serving";
import { router, workspaceProcedure } from "../trpc";

const ZRef = z.object({ id: ZRecordId });
/** Only a save with `freezeResults` needs the match service. */
const serving = (pubsub: PubSub) => () => matchServing(pubsub, env());

export const hypothesisRouter = router({
  /** Hypotheses of a dataset, most recently changed first; filter by tag and/or author. */
  list: workspaceProcedure("VIEWER")
    .input(ZHypothesisListInput)
    .output(z.array(ZHypothesisSummary))
    .query(({ ctx, input }) => hypotheses.listHypotheses(ctx.db, ctx.access.workspace.id, input)),

  get: workspaceProcedure("VIEWER")
    .input(ZRef)
    .output(ZHypothesisDetail)
    .query(({ ctx, input }) => hypotheses.getHypothesis(ctx.db, ctx.access.workspace.id, input.id)),

  create: workspaceProcedure("EDITOR")
    .input(ZHypothesisCreate)
    .output(ZHypothesisDetail)
    .mutation(({ ctx, input }) => hypotheses.createHypothesis(ctx.db, ctx.access.workspace.id, ctx.actor.userId, input, serving(ctx.pubsub))),

  /** Optimistic concurrency: CONFLICT (naming the current version) unless `expectedVersion` is current. */
  update: workspaceProcedure("EDITOR")
    .input(ZHypothesisUpdate)
    .output(ZHypothesisDetail)
    .mutation(({ ctx, input }) => hypotheses.updateHypothesis(ctx.db, ctx.access.workspace.id, ctx.actor.userId, input, serving(ctx.pubsub))),

  /** Its author or a workspace OWNER. */
  delete: workspaceProcedure("EDITOR")
    .input(ZRef)
    .output(z.void())
    .mutation(({ ctx, input }) => hypotheses.deleteHypothesis(ctx.db, ctx.access.workspace.id, ctx.actor.userId, ctx.access.role, input.id)),

  /** Earlier versions, newest first. */
  versions: workspaceProcedure("VIEWER")
    .input(ZRef)
    .output(z.array(ZHypothesisVersion))
    .query(({ ctx, input }) => hypotheses.hypothesisVersions(ctx.db, ctx.access.workspace.id, input.id)),
});
