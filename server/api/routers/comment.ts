import { z } from "zod";
import * as comments from "@/server/services/records/comments";
import {
  ZComment,
  ZCreateThread,
  ZDeleteComment,
  ZEditComment,
  ZInboxInput,
  ZInboxOutput,
  ZMarkRead,
  ZRecordId,
  ZReply,
  ZSetResolved,
  ZThreadDetail,
  ZThreadsInput,
  ZThreadSummary,
} from "@/server/services/records/schemas";
import { router, workspaceProcedure } from "../trpc";

export const commentRouter = router({
  /** Threads of a dataset, most recently active first; filter by hypothesis, range overlap, resolved. */
  threads: workspaceProcedure("VIEWER")
    .input(ZThreadsInput)
    .output(z.array(ZThreadSummary))
    .query(({ ctx, input }) => comments.listThreads(ctx.db, ctx.access.workspace.id, input)),

  thread: workspaceProcedure("VIEWER")
    .input(z.object({ id: ZRecordId }))
    .output(ZThreadDetail)
    .query(({ ctx, input }) => comments.getThread(ctx.db, ctx.access.workspace.id, input.id)),

  /**
   * A thread with its first comment; a retry with the same idempotencyKey returns the same thread.
   * Any member comments (VIEWERs too: commenting is how they take part).
   */
  createThread: workspaceProcedure("VIEWER")
    .input(ZCreateThread)
    .output(ZThreadDetail)
    .mutation(({ ctx, input }) => comments.createThread(ctx.db, ctx.access.workspace.id, ctx.actor.userId, input)),

  reply: workspaceProcedure("VIEWER")
    .input(ZReply)
    .output(ZComment)
    .mutation(({ ctx, input }) => comments.reply(ctx.db, ctx.access.workspace.id, ctx.actor.userId, input)),

  /** The author only. */
  edit: workspaceProcedure("VIEWER")
    .input(ZEditComment)
    .output(ZComment)
    .mutation(({ ctx, input }) => comments.editComment(ctx.db, ctx.access.workspace.id, ctx.actor.userId, input)),

  /** The author only; a soft delete (the comment stays in the thread, without text). */
  delete: workspaceProcedure("VIEWER")
    .input(ZDeleteComment)
    .output(ZComment)
    .mutation(({ ctx, input }) => comments.deleteComment(ctx.db, ctx.access.workspace.id, ctx.actor.userId, input)),

  /** Resolve (true) or reopen (false): EDITORs any thread, VIEWERs the threads they started. */
  setResolved: workspaceProcedure("VIEWER")
    .input(ZSetResolved)
    .output(ZThreadSummary)
    .mutation(({ ctx, input }) => comments.setResolved(ctx.db, ctx.access.workspace.id, ctx.actor.userId, ctx.access.role, input)),

  /** The caller's mentions in this workspace, unread first. */
  inbox: workspaceProcedure("VIEWER")
    .input(ZInboxInput)
    .output(ZInboxOutput)
    .query(({ ctx, input }) => comments.inbox(ctx.db, ctx.access.workspace.id, ctx.actor.userId, input)),

  /** Marks the caller's own mentions read (any member, VIEWERs included). */
  markRead: workspaceProcedure("VIEWER")
    .input(ZMarkRead)
    .output(z.object({ updated: z.number().int() }))
    .mutation(({ ctx, input }) => comments.markRead(ctx.db, ctx.access.workspace.id, ctx.actor.userId, input)),
});
