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
import { requireParticipant, type ClassCaller, type Participant } from "./sessions";

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

/**
 * An answer in one statement: who answers (the caller's participant, exactly as findParticipant
 * decides: the credential's participant first, else the account's; none when removed or the
 * session ended), the task (in that session) and its dataset's length, and — when the answer fits
 * the task (a choice among a poll's options; a view's range within the dataset) and answers are
 * still open — the participant's one row per task: a retried or changed answer replaces it (the
 * unique (taskId, participantId) is the idempotency key). The view's fields ($4–$8) or the poll's
 * ($9) are stored as the task's kind says; the other kind's are null. When nothing is stored the
 * returned row says why (submitAnswer).
 */
const ANSWER = {
  name: "class-answer",
  text: `with me as (
      select p.id, p.name from (
        select p.id, p.name, p."removedAt", s."endedAt" from "ClassParticipant" p join "ClassSession" s on s.id = p."sessionId"
        where p."sessionId" = $3 and (p.id = $11 or p."userId" = $12)
        order by p.id = $11 is true desc limit 1) p
      where p."removedAt" is null and p."endedAt" is null),
    t as (
      select t.id, t.kind::text as kind, cardinality(t.options)::int as options, t."closesAt" is not null and t."closesAt" < now() at time zone 'UTC' as closed, d.steps
      from "ClassTask" t join "ClassSession" s on s.id = t."sessionId" join "Dataset" d on d.id = s."datasetId"
      where t.id = $2 and t."sessionId" = $3 and exists (select 1 from me)),
    ins as (
      insert into "ClassAnswer" as a (id, "taskId", "participantId", source, start, "end", cells, threshold, choice, text, "updatedAt")
      select $1, t.id, me.id,
          case when t.kind = 'VIEW' then $4 end, case when t.kind = 'VIEW' then $5::int end, case when t.kind = 'VIEW' then $6::int end,
          case when t.kind = 'VIEW' then $7::int[] else '{}'::int[] end, case when t.kind = 'VIEW' then $8::float8 end,
          case when t.kind = 'POLL' then $9::int end, $10, now() at time zone 'UTC'
        from t, me
        where not t.closed and case t.kind
          when 'POLL' then $9::int is not null and $9::int < t.options
          else $4::text is not null and $5::int is not null and $6::int is not null and $8::float8 is not null and $5::int < $6::int and $6::int <= t.steps end
      on conflict ("taskId", "participantId") do update set
        source = excluded.source, start = excluded.start, "end" = excluded."end", cells = excluded.cells, threshold = excluded.threshold,
        choice = excluded.choice, text = excluded.text, "updatedAt" = excluded."updatedAt"
      returning a.id)
    select me.id as "participantId", me.name, t.id is not null as found, t.kind, t.options, t.closed, t.steps, (select id from ins) as "answerId"
    from (select 1) one left join me on true left join t on true`,
};

type AnswerOutcome = { participantId: string | null; name: string | null; found: boolean; kind: "VIEW" | "POLL" | null; options: number; closed: boolean; steps: number; answerId: string | null };

/**
 * Answer a task (again: replaces the previous answer) as the caller's participant of the session:
 * one prepared statement, the participant check included (a class answers at once — 1,000 answers
 * in seconds — and each round trip through the shared pool counts). A caller who is not an active
 * participant gets requireParticipant's answer (UNAUTHENTICATED / FORBIDDEN), as every other
 * classroom procedure does.
 */
export async function submitAnswer(db: Db, caller: ClassCaller, sessionId: string, a: Answer): Promise<AnswerView> {
  const byCredential = caller.credential?.s === sessionId ? caller.credential.p : null;
  if (!byCredential && !caller.userId) await requireParticipant(db, caller, sessionId, "STUDENT");
  const cells = [...new Set(a.cells ?? [])].sort((x, y) => x - y);
  const values = [`a${randomBytes(12).toString("hex")}`, a.taskId, sessionId, a.source ?? null, a.range?.[0] ?? null, a.range?.[1] ?? null, cells, a.threshold ?? null, a.choice ?? null, a.text ?? "", byCredential, caller.userId];
  const r = (await pgPool(db).query<AnswerOutcome>({ ...ANSWER, values })).rows[0]!;
  if (!r.participantId || !r.name) {
    await requireParticipant(db, caller, sessionId, "STUDENT");
    // joined or restored in between: not an answer of this request
    throw new AppError("FORBIDDEN", "you are not in this class session (or were removed): join it with its code");
  }
  const who = { participantId: r.participantId, name: r.name };
  if (!r.found) throw new AppError("NOT_FOUND", `task ${a.taskId} is not in this session`);
  if (r.closed) throw new AppError("CONFLICT", "time is up for this question: answers are closed");
  if (r.kind === "POLL") {
    if (a.choice === undefined || a.choice >= r.options || !r.answerId) throw new AppError("BAD_INPUT", `choose one of the ${r.options} options`);
    return { id: r.answerId, ...who, source: null, range: null, cells: [], threshold: null, choice: a.choice, text: a.text ?? "" };
  }
  if (!a.source || !a.range || a.threshold === undefined) throw new AppError("BAD_INPUT", "an answer to this question is a view: brush a range first, then submit your view");
  const [start, end] = a.range;
  if (start >= end || end > r.steps || !r.answerId) throw new AppError("BAD_INPUT", `the range [${start}, ${end}) is not within the dataset's ${r.steps} steps`);
  return { id: r.answerId, ...who, source: a.source, range: [start, end], cells, threshold: a.threshold, choice: null, text: a.text ?? "" };
}

/**
 * The answers the caller may see, of many tasks in one statement (the staff's screen reads them
 * every second while a class answers): every answer of the `open` tasks (at most 5,000 each), and
 * the caller's own of the others; per task in the order they came.
 */
const ANSWERS = {
  name: "class-answers",
  text: `select a.id, a."taskId", a."participantId", p.name, a.source, a.start, a."end", a.cells, a.threshold, a.choice, a.text, a."createdAt"
    from unnest($1::text[]) as t(id)
    cross join lateral (select * from "ClassAnswer" x where x."taskId" = t.id order by x."createdAt", x.id limit 5000) a
    join "ClassParticipant" p on p.id = a."participantId"
    union all
    select a.id, a."taskId", a."participantId", p.name, a.source, a.start, a."end", a.cells, a.threshold, a.choice, a.text, a."createdAt"
    from "ClassAnswer" a join "ClassParticipant" p on p.id = a."participantId"
    where a."taskId" = any($2::text[]) and a."participantId" = $3
    order by "taskId", "createdAt", id`,
};

/**
 * The answers a task's view lists for the staff (the first, in the order they came): the staff's
 * screen reads the tasks every second while a class answers, and serialising a thousand answers to
 * show fifty was most of that read's cost. The aggregate counts them all; the archive's CSV lists all.
 */
export const LISTED_ANSWERS = 50;

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
      // the aggregate counts every answer; the list carries what the staff's panel shows
      answers: staff ? rows.slice(0, LISTED_ANSWERS).map(answerView) : [],
      students,
    };
  });
}

export async function revealTask(db: Db, p: Participant, taskId: string): Promise<void> {
  const r = await db.classTask.updateMany({ where: { id: taskId, sessionId: p.sessionId }, data: { revealedAt: new Date() } });
  if (r.count === 0) throw new AppError("NOT_FOUND", `task ${taskId} is not in this session`);
}
