/**
 * Tasks and polls: the staff pose a question; each participant answers once (answering again
 * replaces their answer, so a retried request stores one row); the staff see the answers live as
 * an aggregate (aggregate.ts) and reveal it to the students. Answers go through tRPC into
 * PostgreSQL, never through the shared document.
 */
import { AppError } from "@statescope/core";
import type { Db } from "@/server/db/client";
import { aggregateAnswers } from "./aggregate";
import type { Answer, AnswerView, TaskView } from "./schemas";
import type { Participant } from "./sessions";

const answerSelect = { id: true, participantId: true, source: true, start: true, end: true, cells: true, threshold: true, choice: true, text: true, participant: { select: { name: true } } } as const;

type AnswerRow = { id: string; participantId: string; source: string | null; start: number | null; end: number | null; cells: number[]; threshold: number | null; choice: number | null; text: string; participant: { name: string } };

const answerView = (a: AnswerRow): AnswerView => ({
  id: a.id,
  participantId: a.participantId,
  name: a.participant.name,
  source: a.source,
  range: a.start !== null && a.end !== null ? [a.start, a.end] : null,
  cells: a.cells,
  threshold: a.threshold,
  choice: a.choice,
  text: a.text,
});

export async function poseTask(db: Db, p: Participant, input: { kind: "VIEW" | "POLL"; prompt: string; options?: string[]; seconds?: number }): Promise<{ taskId: string }> {
  const t = await db.classTask.create({
    data: { sessionId: p.sessionId, kind: input.kind, prompt: input.prompt, options: input.options ?? [], closesAt: input.seconds ? new Date(Date.now() + input.seconds * 1000) : null },
    select: { id: true },
  });
  return { taskId: t.id };
}

/** Answer a task (again: replaces the previous answer). */
export async function submitAnswer(db: Db, p: Participant, a: Answer): Promise<AnswerView> {
  const task = await db.classTask.findFirst({ where: { id: a.taskId, sessionId: p.sessionId }, select: { id: true, kind: true, options: true, closesAt: true, session: { select: { dataset: { select: { steps: true } } } } } });
  if (!task) throw new AppError("NOT_FOUND", `task ${a.taskId} is not in this session`);
  if (task.closesAt && task.closesAt.getTime() < Date.now()) throw new AppError("CONFLICT", "time is up for this question: answers are closed");
  let data: { source: string | null; start: number | null; end: number | null; cells: number[]; threshold: number | null; choice: number | null; text: string };
  if (task.kind === "POLL") {
    if (a.choice === undefined || a.choice >= task.options.length) throw new AppError("BAD_INPUT", `choose one of the ${task.options.length} options`);
    data = { source: null, start: null, end: null, cells: [], threshold: null, choice: a.choice, text: a.text ?? "" };
  } else {
    if (!a.source || !a.range || a.threshold === undefined) throw new AppError("BAD_INPUT", "an answer to this question is a view: brush a range first, then submit your view");
    const [start, end] = a.range;
    const steps = task.session.dataset.steps;
    if (start >= end || end > steps) throw new AppError("BAD_INPUT", `the range [${start}, ${end}) is not within the dataset's ${steps} steps`);
    data = { source: a.source, start, end, cells: [...new Set(a.cells ?? [])].sort((x, y) => x - y), threshold: a.threshold, choice: null, text: a.text ?? "" };
  }
  const row = await db.classAnswer.upsert({
    where: { taskId_participantId: { taskId: task.id, participantId: p.id } },
    create: { taskId: task.id, participantId: p.id, ...data },
    update: data,
    select: answerSelect,
  });
  return answerView(row);
}

/** The session's tasks, newest first, as the participant sees them. */
export async function listTasks(db: Db, p: Participant): Promise<TaskView[]> {
  const staff = p.role !== "STUDENT";
  const [tasks, students, steps] = await Promise.all([
    db.classTask.findMany({ where: { sessionId: p.sessionId }, orderBy: { createdAt: "desc" }, take: 50, select: { id: true, kind: true, prompt: true, options: true, closesAt: true, revealedAt: true, createdAt: true } }),
    db.classParticipant.count({ where: { sessionId: p.sessionId, role: "STUDENT", removedAt: null } }),
    db.dataset.findUniqueOrThrow({ where: { id: p.session.datasetId }, select: { steps: true } }).then((d) => d.steps),
  ]);
  const out: TaskView[] = [];
  for (const t of tasks) {
    const open = staff || t.revealedAt !== null;
    const rows = open ? await db.classAnswer.findMany({ where: { taskId: t.id }, select: answerSelect, take: 5000 }) : [];
    const mine = open ? (rows.find((r) => r.participantId === p.id) ?? null) : await db.classAnswer.findUnique({ where: { taskId_participantId: { taskId: t.id, participantId: p.id } }, select: answerSelect });
    out.push({
      id: t.id,
      kind: t.kind,
      prompt: t.prompt,
      options: t.options,
      closesAt: t.closesAt,
      revealed: t.revealedAt !== null,
      createdAt: t.createdAt,
      mine: mine ? answerView(mine) : null,
      aggregate: open ? aggregateAnswers(rows, { steps, options: t.options.length }) : null,
      answers: staff ? rows.map(answerView) : [],
      students,
    });
  }
  return out;
}

export async function revealTask(db: Db, p: Participant, taskId: string): Promise<void> {
  const r = await db.classTask.updateMany({ where: { id: taskId, sessionId: p.sessionId }, data: { revealedAt: new Date() } });
  if (r.count === 0) throw new AppError("NOT_FOUND", `task ${taskId} is not in this session`);
}
