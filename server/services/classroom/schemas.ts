/** Classroom inputs and outputs (every string and array bounded). */
import { z } from "zod";
import { ZDatasetId } from "@/server/services/datasets/schemas";
import { ZRoomTicket } from "@/server/services/sync-tokens";

export const ZClassRole = z.enum(["INSTRUCTOR", "TA", "STUDENT"]);
export type ClassRole = z.infer<typeof ZClassRole>;

export const CLASS_ROLE_RANK: Record<ClassRole, number> = { STUDENT: 1, TA: 2, INSTRUCTOR: 3 };

export const ZSessionId = z.string().trim().min(1).max(64);
export const ZParticipantId = z.string().trim().min(1).max(64);

/** A guest's display name: what the class sees next to their answers. */
export const ZDisplayName = z
  .string()
  .trim()
  .min(1, "enter a name the class will see")
  .max(60, "a name has at most 60 characters")
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/.test(s), "a name cannot contain control or direction characters");

export const ZStartSession = z.object({ datasetId: ZDatasetId, title: z.string().trim().max(120).optional() });

export const ZJoinSession = z.object({
  code: z.string().max(32),
  /** Guests must give one; a signed-in user's defaults to their account name. */
  name: ZDisplayName.optional(),
});

export const ZStartedSession = z.object({ sessionId: z.string(), code: z.string() });

export const ZJoined = z.object({
  sessionId: z.string(),
  participantId: z.string(),
  role: ZClassRole,
  /** The session credential (also set as an httpOnly cookie on the web): a bench or tool sends it as that cookie. */
  credential: z.string(),
  /** The first ticket to the session's realtime room (a later one: `classroom.ticket`). */
  ticket: ZRoomTicket,
});

export const ZParticipantView = z.object({ id: z.string(), name: z.string(), role: ZClassRole, guest: z.boolean() });

export const ZSessionState = z.object({
  id: z.string(),
  title: z.string(),
  workspace: z.string(),
  datasetId: z.string(),
  datasetName: z.string(),
  code: z.string(),
  locked: z.boolean(),
  endedAt: z.date().nullable(),
  me: ZParticipantView,
  presenter: ZParticipantView.nullable(),
  /** Students in the session (not removed). */
  students: z.number().int(),
  /** Everyone in the session, for instructors and TAs; empty for students. */
  participants: z.array(ZParticipantView),
  /** The read-only archive link's path (/c/a/<token>): everyone keeps it; it works after the class and the credentials expired. */
  archivePath: z.string(),
});
export type SessionState = z.infer<typeof ZSessionState>;

export const ZSessionRef = z.object({ sessionId: ZSessionId });
export const ZSessionTarget = ZSessionRef.extend({ participantId: ZParticipantId });

export const ZPoseTask = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("VIEW"), prompt: z.string().trim().min(1, "write the question").max(500), seconds: z.number().int().min(10).max(3600).optional() }),
  z.object({
    kind: z.literal("POLL"),
    prompt: z.string().trim().min(1, "write the question").max(500),
    options: z.array(z.string().trim().min(1).max(120)).min(2, "a poll needs at least two choices").max(8),
    seconds: z.number().int().min(10).max(3600).optional(),
  }),
]);

/** An answer: a view (range, cells, threshold, taken from the student's view in one click) or a poll choice; optional text. */
export const ZAnswer = z.object({
  taskId: z.string().min(1).max(64),
  source: z.string().min(1).max(200).optional(),
  range: z.tuple([z.number().int().nonnegative(), z.number().int().positive()]).optional(),
  cells: z.array(z.number().int().nonnegative()).max(256).optional(),
  threshold: z.number().finite().optional(),
  choice: z.number().int().nonnegative().max(7).optional(),
  text: z.string().trim().max(500).optional(),
});
export type Answer = z.infer<typeof ZAnswer>;

export const ZAggregate = z.object({
  answers: z.number().int(),
  cells: z.array(z.object({ cell: z.number().int(), count: z.number().int() })),
  density: z.array(z.number().int()),
  agreement: z.object({ cells: z.array(z.number().int()), count: z.number().int() }).nullable(),
  votes: z.array(z.number().int()),
});

export const ZAnswerView = z.object({
  id: z.string(),
  participantId: z.string(),
  name: z.string(),
  source: z.string().nullable(),
  range: z.tuple([z.number(), z.number()]).nullable(),
  cells: z.array(z.number()),
  threshold: z.number().nullable(),
  choice: z.number().nullable(),
  text: z.string(),
});
export type AnswerView = z.infer<typeof ZAnswerView>;

export const ZTaskView = z.object({
  id: z.string(),
  kind: z.enum(["VIEW", "POLL"]),
  prompt: z.string(),
  options: z.array(z.string()),
  closesAt: z.date().nullable(),
  revealed: z.boolean(),
  createdAt: z.date(),
  /** The caller's own answer. */
  mine: ZAnswerView.nullable(),
  /** Staff always; students once revealed. */
  aggregate: ZAggregate.nullable(),
  /** Every answer with its author: staff only. */
  answers: z.array(ZAnswerView),
  /** Students in the session (for "12 of 30 answered"). */
  students: z.number().int(),
});
export type TaskView = z.infer<typeof ZTaskView>;
