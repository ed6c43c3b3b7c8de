import { z } from "zod";
import { AppError } from "@statescope/core";
import { env } from "@/server/env";
import { classCookie } from "@/server/services/classroom/credential";
import { JoinPacer } from "@/server/services/classroom/join-pacer";
import { ZAnswer, ZAnswerView, ZJoined, ZJoinSession, ZParticipantId, ZPoseTask, ZSessionState, ZStartedSession, ZStartSession, ZTaskView } from "@/server/services/classroom/schemas";
import * as tasks from "@/server/services/classroom/tasks";
import { ARCHIVE_MAX_STEPS, readArchive, readArchiveFrame, recordStep, ZArchive, ZArchiveFrame } from "@/server/services/classroom/archive";
import { ZSharedView } from "@statescope/collab";
import * as sessions from "@/server/services/classroom/sessions";
import { issueClassTicket } from "@/server/services/classroom/sync";
import { ZRoomTicket, type TicketSettings } from "@/server/services/sync-tokens";
import { publicProcedure, router, sessionProcedure, sessionStatementProcedure, workspaceProcedure } from "../trpc";

function secret(): string {
  const s = env().AUTH_SECRET;
  if (!s) throw new AppError("INTERNAL", "AUTH_SECRET is not configured");
  return s;
}

/** Where and how a participant's sync ticket is signed (the sync server's public address as the caller reaches it). */
function ticketSettings(ctx: { requestOrigin?: string; publicUrl: string }): TicketSettings {
  const e = env();
  return { secret: secret(), publicUrl: e.SYNC_PUBLIC_URL, requestOrigin: ctx.requestOrigin ?? ctx.publicUrl, syncPort: e.SYNC_PORT };
}

/** A join held longer is refused with a retry time (4,500 students of one session at the default rate). */
const JOIN_MAX_WAIT_MS = 15_000;
/** This process's pacing of joins, per session (CLASS_JOIN_RATE, CLASS_JOIN_BURST). */
let pacer: JoinPacer | undefined;
const joinPacer = () => (pacer ??= new JoinPacer({ ratePerSecond: env().CLASS_JOIN_RATE, burst: env().CLASS_JOIN_BURST, maxWaitMs: JOIN_MAX_WAIT_MS }));

const ok = z.object({ ok: z.literal(true) });

export const classroomRouter = router({
  /** Start a live class on a dataset: the caller is its instructor and presenter. */
  start: workspaceProcedure("EDITOR")
    .input(ZStartSession)
    .output(ZStartedSession)
    .mutation(({ ctx, input }) => sessions.startSession(ctx.db, ctx.actor, ctx.access, input)),

  /**
   * Join by code (guests with a name, or signed in); sets the session credential cookie. The answer
   * carries the first ticket to the session's realtime room, so joining is one request (a class of
   * 1,000 joins at once); later tickets (reconnects, after expiry) come from `ticket`.
   */
  join: publicProcedure
    .input(ZJoinSession)
    .output(ZJoined)
    .mutation(async ({ ctx, input }) => {
      const { participant, ...joined } = await sessions.joinSession(ctx.db, { userId: ctx.actor?.userId ?? null, clientAddress: ctx.clientAddress ?? "unknown" }, input, secret(), joinPacer());
      ctx.setCookie?.(classCookie(joined.credential, (ctx.requestOrigin ?? ctx.publicUrl).startsWith("https:")));
      return { ...joined, ticket: issueClassTicket(participant, ticketSettings(ctx)) };
    }),

  /** The session as the caller sees it (students: no participant list). */
  state: sessionProcedure("STUDENT")
    .output(ZSessionState)
    .query(({ ctx }) => sessions.sessionState(ctx.db, ctx.participant)),

  /** A short-lived token for the session's realtime room (a fresh one before every reconnect). */
  ticket: sessionProcedure("STUDENT")
    .output(ZRoomTicket)
    .mutation(({ ctx }) => issueClassTicket(ctx.participant, ticketSettings(ctx))),

  lock: sessionProcedure("TA")
    .input(z.object({ locked: z.boolean() }))
    .output(ok)
    .mutation(async ({ ctx, input }) => (await sessions.setLocked(ctx.db, ctx.participant, input.locked), { ok: true as const })),

  remove: sessionProcedure("TA")
    .input(z.object({ participantId: ZParticipantId }))
    .output(ok)
    .mutation(async ({ ctx, input }) => (await sessions.removeParticipant(ctx.db, ctx.participant, input.participantId), { ok: true as const })),

  /** Hand the presenter role to a participant, or take it back (null). */
  present: sessionProcedure("TA")
    .input(z.object({ participantId: ZParticipantId.nullable() }))
    .output(ok)
    .mutation(async ({ ctx, input }) => (await sessions.setPresenter(ctx.db, ctx.participant, input.participantId), { ok: true as const })),

  /** Make a student a TA (they present and moderate). */
  promote: sessionProcedure("INSTRUCTOR")
    .input(z.object({ participantId: ZParticipantId }))
    .output(ok)
    .mutation(async ({ ctx, input }) => (await sessions.promote(ctx.db, ctx.participant, input.participantId), { ok: true as const })),

  /** Make a TA a student again. */
  demote: sessionProcedure("INSTRUCTOR")
    .input(z.object({ participantId: ZParticipantId }))
    .output(ok)
    .mutation(async ({ ctx, input }) => (await sessions.demote(ctx.db, ctx.participant, input.participantId), { ok: true as const })),

  /** Pose a question (answer with a view) or a quick poll to the class. */
  pose: sessionProcedure("TA")
    .input(ZPoseTask)
    .output(z.object({ taskId: z.string() }))
    .mutation(({ ctx, input }) => tasks.poseTask(ctx.db, ctx.participant, input)),

  /** The session's tasks with the caller's answers; staff see every answer and the aggregate, students once revealed. */
  tasks: sessionProcedure("STUDENT")
    .output(z.array(ZTaskView))
    .query(({ ctx }) => tasks.listTasks(ctx.db, ctx.participant)),

  /** Answer a task; answering again replaces the answer (a retried request stores one). */
  answer: sessionStatementProcedure()
    .input(ZAnswer)
    .output(ZAnswerView)
    .mutation(({ ctx, input }) => tasks.submitAnswer(ctx.db, ctx.caller, input.sessionId, input)),

  /** Show a task's aggregate to the students. */
  reveal: sessionProcedure("TA")
    .input(z.object({ taskId: z.string().min(1).max(64) }))
    .output(ok)
    .mutation(async ({ ctx, input }) => (await tasks.revealTask(ctx.db, ctx.participant, input.taskId), { ok: true as const })),

  /** The presenter's settled view, a step of the timeline the archive replays (the presenter only: service rule). */
  step: sessionProcedure("STUDENT")
    .input(z.object({ view: ZSharedView }))
    .output(ok)
    .mutation(async ({ ctx, input }) => (await recordStep(ctx.db, ctx.participant, input.view), { ok: true as const })),

  /** A session's archive by its unguessable link: timeline, tasks and their results (revealed ones while the class runs). */
  archive: publicProcedure
    .input(z.object({ token: z.string().min(10).max(64) }))
    .output(ZArchive)
    .query(({ ctx, input }) => readArchive(ctx.db, input.token)),

  /** What one step of an archive's timeline showed (its window's tokens and values), to draw it. */
  archiveFrame: publicProcedure
    .input(z.object({ token: z.string().min(10).max(64), step: z.number().int().min(0).max(ARCHIVE_MAX_STEPS - 1) }))
    .output(ZArchiveFrame)
    .query(({ ctx, input }) => readArchiveFrame(ctx.db, input.token, input.step)),

  end: sessionProcedure("INSTRUCTOR")
    .output(ok)
    .mutation(async ({ ctx }) => (await sessions.endSession(ctx.db, ctx.participant), { ok: true as const })),
});
