import { z } from "zod";
import { datasetEvents, inboxEvents } from "@/server/services/records/live";
import { ZDatasetId } from "@/server/services/datasets/schemas";
import { router, workspaceProcedure } from "../trpc";

/** Live record events over SSE (httpSubscriptionLink); each event is sent after its write committed. */
export const eventsRouter = router({
  /** `{kind, id, op, threadId?, userId?}` for hypotheses, annotations and comments of one dataset; `{kind: "resync"}` after a listener reconnect. */
  onDataset: workspaceProcedure("VIEWER")
    .input(z.object({ datasetId: ZDatasetId }))
    .subscription(({ ctx, input, signal }) => datasetEvents(ctx.db, ctx.pubsub, ctx.access.workspace.id, ctx.actor.userId, input.datasetId, signal)),

  /** The caller's inbox: `{op: "created", item}`, `{op: "read"}`, `{op: "deleted", id}`, `{op: "resync"}`. */
  onInbox: workspaceProcedure("VIEWER").subscription(({ ctx, signal }) => inboxEvents(ctx.db, ctx.pubsub, ctx.access.workspace.id, ctx.actor.userId, signal)),
});
