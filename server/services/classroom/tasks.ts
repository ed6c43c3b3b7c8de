/**
 * Tasks and polls: the staff pose a question; each participant answers once (answering again
 * replaces their answer, so a retried request stores one row); the staff see the answers live as
 * an aggregate (aggregate.ts) and reveal it to the students. Answers go through tRPC into
 * PostgreSQL, never through the shared document.
 */
import { randomBytes } from "node:crypto";
import { AppError } from "@statescope/core";
import { pgPool, type Db } from "@/server/db/client";
import { aggregateAnswers } from "./aggregate";
import type { Answer, AnswerView, TaskView } from "./schemas";
import type { Participant } from "./sessions";

type AnswerRow = { id: string; taskId: string; participantId: string; name: string; source: string | null; start: number | null; end: number | null; cells: number[]; threshold: number | null; choice: number | null; text: string };

const answerView = (a: AnswerRow): AnswerView => ({
  id: a.id,
  participantId: a.participantId,
  name: a.name,
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

/** What an answer is checked against: the task (in the caller's session) and its dataset's length. */
const ANSWERED_TASK = {
  name: "class-answered-task",
  text: `select t.id, t.kind::text as kind, cardinality(t.options)::int as options, t."closesAt" is not null and t."closesAt" < now() at time zone 'UTC' as closed, d.steps
    from "ClassTask" t join "ClassSession" s on s.id = t."sessionId" join "Dataset" d on d.id = s."datasetId"
    where t.id = $1 and t."sessionId" = $2`,
};

/**
 * One participant's one answer per task: a retried or changed answer replaces the row (the
 * unique (taskId, participantId) is the idempotency key), in one statement.
 */
const UPSERT_ANSWER = {
  name: "class-upsert-answer",
  text: `insert into "ClassAnswer" as a (id, "taskId", "participantId", source, start, "end", cells, threshold, choice, text, "updatedAt")
    values ($1, $2, $3, $4, $5, $6, $7::int[], $8, $9, $10, now() at time zone 'UTC')
    on conflict ("taskId", "participantId") do update set
      source = excluded.source, start = excluded.start, "end" = excluded."end", cells = excluded.cells, threshold = excluded.threshold,
      choice = excluded.choice, text = excluded.text, "updatedAt" = excluded."updatedAt"
    returning a.id`,
};

/**
 * Answer a task (again: replaces the previous answer). Two prepared statements, no Prisma: a
 * class answers at once (1,000 answers in seconds), and Prisma's per-call work was most of each.
 */
export async function submitAnswer(db: Db, p: Participant, a: Answer): Promise<AnswerView> {
  const pool = pgPool(db);
  const task = (await pool.query<{ id: string; kind: "VIEW" | "POLL"; options: number; closed: boolean; steps: number }>({ ...ANSWERED_TASK, values: [a.taskId, p.sessionId] })).rows[0];
  if (!task) throw new AppError("NOT_FOUND", `task ${a.taskId} is not in this session`);
  if (task.closed) throw new AppError("CONFLICT", "time is up for this question: answers are closed");
  let data: Omit<AnswerView, "id" | "participantId" | "name">;
  if (task.kind === "POLL") {
    if (a.choice === undefined || a.choice >= task.options) throw new AppError("BAD_INPUT", `choose one of the ${task.options} options`);
    data = { source: null, range: null, cells: [], threshold: null, choice: a.choice, text: a.text ?? "" };
  } else {
    if (!a.source || !a.range || a.threshold === undefined) throw new AppError("BAD_INPUT", "an answer to this question is a view: brush a range first, then submit your view");
    const [start, end] = a.range;
    if (start >= end || end > task.steps) throw new AppError("BAD_INPUT", `the range [${start}, ${end}) is not within the dataset's ${task.steps} steps`);
    data = { source: a.source, range: [start, end], cells: [...new Set(a.cells ?? [])].sort((x, y) => x - y), threshold: a.threshold, choice: null, text: a.text ?? "" };
  }
  const values = [`a${randomBytes(12).toString("hex")}`, task.id, p.id, data.source, data.range?.[0] ?? null, data.range?.[1] ?? null, data.cells, data.threshold, data.choice, data.text];
  const row = (await pool.query<{ id: string }>({ ...UPSERT_ANSWER, values })).rows[0]!;
  return { id: row.id, participantId: p.id, name: p.name, ...data };
}

/**
 * The answers the caller may see, of many tasks in one statement (the staff's screen reads them
 * every second while a class answers): every answer of the `open` tasks (at most 5,000 each), and
 * the caller's own of the others.
 */
const ANSWERS = {
  name: "class-answers",
  text: `select a.id, a."taskId", a."participantId", p.name, a.source, a.start, a."end", a.cells, a.threshold, a.choice, a.text
    from unnest($1::text[]) as t(id)
    cross join lateral (select * from "ClassAnswer" x where x."taskId" = t.id order by x."createdAt", x.id limit 5000) a
    join "ClassParticipant" p on p.id = a."participantId"
    union all
    select a.id, a."taskId", a."participantId", p.name, a.source, a.start, a."end", a.cells, a.threshold, a.choice, a.text
    from "ClassAnswer" a join "ClassParticipant" p on p.id = a."participantId"
    where a."taskId" = any($2::text[]) and a."participantId" = $3`,
};

/** The session's tasks, newest first, as the participant sees them. */
export async function listTasks(db: Db, p: Participant): Promise<TaskView[]> {
  const staff = p.role !== "STUDENT";
  const [tasks, students, steps] = await Promise.all([
    db.classTask.findMany({ where: { sessionId: p.sessionId }, orderBy: { createdAt: "desc" }, take: 50, select: { id: true, kind: true, prompt: true, options: true, closesAt: true, revealedAt: true, createdAt: true } }),
    db.classParticipant.count({ where: { sessionId: p.sessionId, role: "STUDENT", removedAt: null } }),
    db.dataset.findUniqueOrThrow({ where: { id: p.session.datasetId }, select: { steps: true } }).then((d) => d.steps),
  ]);
  const isOpen = (t: { revealedAt: Date | null }) => staff || t.revealedAt !== null;
  const byTask = new Map<string, AnswerRow[]>(tasks.map((t) => [t.id, []]));
  if (tasks.length > 0) {
    const values = [tasks.filter(isOpen).map((t) => t.id), tasks.filter((t) => !isOpen(t)).map((t) => t.id), p.id];
    for (const r of (await pgPool(db).query<AnswerRow>({ ...ANSWERS, values })).rows) byTask.get(r.taskId)!.push(r);
  }
  return tasks.map((t) => {
    const open = isOpen(t);
    const rows = byTask.get(t.id)!;
    const mine = rows.find((r) => r.participantId === p.id) ?? null;
    return {
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
    };
  });
}

export async function revealTask(db: Db, p: Participant, taskId: string): Promise<void> {
  const r = await db.classTask.updateMany({ where: { id: taskId, sessionId: p.sessionId }, data: { revealedAt: new Date() } });
  if (r.count === 0) throw new AppError("NOT_FOUND", `task ${taskId} is not in this session`);
}
