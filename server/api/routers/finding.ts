import { z } from "zod";
import { env } from "@/server/env";
import * as findings from "@/server/services/findings/findings";
import { workerMatchRunner } from "@/server/services/findings/match-runners";
import {
  ZDatasetMeta,
  ZDatasetMetaInput,
  ZFindingListInput,
  ZFindingRef,
  ZFindingSummary,
  ZPublishInput,
  ZPublishOutput,
  ZSetVisibility,
} from "@/server/services/findings/schemas";
import { matchServing } from "@/server/services/matching/serving";
import { router, workspaceProcedure } from "../trpc";

const access = (ctx: { access: { workspace: { id: string }; role: "OWNER" | "EDITOR" | "VIEWER" } }) => ({ workspaceId: ctx.access.workspace.id, role: ctx.access.role });

export const findingRouter = router({
  /** Publish a view or a hypothesis as a finding, or (with findingId) its next version. Runs the match if needed. */
  publish: workspaceProcedure("EDITOR")
    .input(ZPublishInput)
    .output(ZPublishOutput)
    .mutation(({ ctx, input }) => findings.publishFinding(ctx.db, ctx.actor, access(ctx), input, workerMatchRunner(ctx.db, ctx.access.workspace.id, () => matchServing(ctx.pubsub, env())), ctx.publicUrl)),

  /** The workspace's findings this member may see, newest first (filter by dataset or hypothesis). */
  list: workspaceProcedure("VIEWER")
    .input(ZFindingListInput)
    .output(z.array(ZFindingSummary))
    .query(({ ctx, input }) => findings.listFindings(ctx.db, ctx.actor, access(ctx), input, ctx.publicUrl)),

  /** Its authors (and OWNERs, unless private); the service checks. */
  setVisibility: workspaceProcedure("VIEWER")
    .input(ZSetVisibility)
    .output(ZFindingSummary)
    .mutation(({ ctx, input }) => findings.setFindingVisibility(ctx.db, ctx.actor, access(ctx), input.id, input.visibility, ctx.publicUrl)),

  /** For good: every URL of it answers 410 afterwards. */
  withdraw: workspaceProcedure("VIEWER")
    .input(ZFindingRef)
    .output(ZFindingSummary)
    .mutation(({ ctx, input }) => findings.withdrawFinding(ctx.db, ctx.actor, access(ctx), input.id, ctx.publicUrl)),

  /** The description and citation findings show for a dataset (editable by EDITORs). */
  datasetMeta: workspaceProcedure("EDITOR")
    .input(ZDatasetMetaInput)
    .output(ZDatasetMeta)
    .mutation(({ ctx, input }) => findings.updateDatasetMeta(ctx.db, access(ctx), input)),
});
