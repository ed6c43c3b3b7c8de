/** Classroom inputs and outputs (every string and array bounded). */
import { z } from "zod";
import { ZDatasetId } from "@/server/services/datasets/schemas";

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
});
export type SessionState = z.infer<typeof ZSessionState>;

export const ZSessionRef = z.object({ sessionId: ZSessionId });
export const ZSessionTarget = ZSessionRef.extend({ participantId: ZParticipantId });
