/**
 * Tasks and polls: the staff pose a question; each participant answers once (answering again
 * replaces their answer, so a retried request stores one row); the staff see the answers live as
 * an aggregate (aggregate.ts) and reveal it to the students. Answers go through tRPC into
 * PostgreSQL, never through the shared document.
 */
import { AppError } from "@statescope/core";
import { classRoomName } from "@statescope/collab";
import type pg from "pg";
import { GroupCommitter } from "@/server/db/batcher";
import { pgPool, type Db } from "@/server/db/client";
import { roomSignal } from "@/server/sync/relay";
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
 * Answers in one statement, any number at once (a class answers at once: 1,000 answers in a second
 * or two, and a statement per answer spent most of that in round trips and commits). Per answer
 * (the arrays' nth elements, `n`): who answers (the caller's participant, exactly as
 * findParticipant decides: the credential's participant first, else the account's; none when
 * removed or the session ended), the task (in that session) and its dataset's length, and — when
 * the answer fits the task (a choice among a poll's options; a view's range within the dataset) and
 * answers are still open — the participant's one row per task: a retried or changed answer
 * replaces it (the unique (taskId, participantId) is the idempotency key). The view's fields or the
 * poll's are stored as the task's kind says; the other kind's are null. One row comes back per
 * answer, in order; when nothing is stored it says why (submitAnswer). Two answers of one
 * participant to one task cannot share a statement (Postgres refuses to upsert a row twice in one
 * command): the committer sends the later one with the next.
 */
const ANSWERS_UPSERT = {
  name: "class-answers-upsert",
  text: `with r as (
      select * from unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::float8[], $8::int[], $9::text[], $10::text[], $11::text[])
        with ordinality as r("taskId", "sessionId", source, start, "end", cells, threshold, choice, text, cred, "userId", n)),
    me as (
      select r.n, p.id, p.name from r cross join lateral (
        select p.id, p.name, p."removedAt", s."endedAt" from "ClassParticipant" p join "ClassSession" s on s.id = p."sessionId"
        where p."sessionId" = r."sessionId" and (p.id = r.cred or p."userId" = r."userId")
        order by p.id = r.cred is true desc limit 1) p
      where p."removedAt" is null and p."endedAt" is null),
    t as (
      select me.n, t.id, t.kind::text as kind, cardinality(t.options)::int as options, t."closesAt" is not null and t."closesAt" < now() at time zone 'UTC' as closed, d.steps
      from me join r on r.n = me.n join "ClassTask" t on t.id = r."taskId" and t."sessionId" = r."sessionId"
        join "ClassSession" s on s.id = t."sessionId" join "Dataset" d on d.id = s."datasetId"),
    ins as (
      insert into "ClassAnswer" as a (id, "taskId", "participantId", source, start, "end", cells, threshold, choice, text, "updatedAt")
      select 'a' || replace(gen_random_uuid()::text, '-', ''), t.id, me.id,
          case when t.kind = 'VIEW' then r.source end, case when t.kind = 'VIEW' then r.start end, case when t.kind = 'VIEW' then r."end" end,
          case when t.kind = 'VIEW' then r.cells::int[] else '{}'::int[] end, case when t.kind = 'VIEW' then r.threshold end,
          case when t.kind = 'POLL' then r.choice end, r.text, now() at time zone 'UTC'
        from r join me on me.n = r.n join t on t.n = r.n
        where not t.closed and case t.kind
          when 'POLL' then r.choice is not null and r.choice < t.options
          else r.source is not null and r.start is not null and r."end" is not null and r.threshold is not null and r.start < r."end" and r."end" <= t.steps end
        order by r.n
      on conflict ("taskId", "participantId") do update set
        source = excluded.source, start = excluded.start, "end" = excluded."end", cells = excluded.cells, threshold = excluded.threshold,
        choice = excluded.choice, text = excluded.text, "updatedAt" = excluded."updatedAt"
      returning a.id, a."taskId", a."participantId")
    select r.n::int as n, me.id as "participantId", me.name, t.id is not null as found, t.kind, t.options, t.closed, t.steps, ins.id as "answerId"
    from r left join me on me.n = r.n left join t on t.n = r.n left join ins on ins."taskId" = t.id and ins."participantId" = me.id
    order by r.n`,
};

type AnswerOutcome = { participantId: string | null; name: string | null; found: boolean; kind: "VIEW" | "POLL" | null; options: number; closed: boolean; steps: number; answerId: string | null };

/** One answer's parameters, in ANSWERS_UPSERT's order ($1–$11, one element each). */
type AnswerParams = [taskId: string, sessionId: string, source: string | null, start: number | null, end: number | null, cells: string, threshold: number | null, choice: number | null, text: string, credential: string | null, userId: string | null];

/** A session's staff are signalled about new answers at most this often (Answers.signal). */
export const SIGNAL_MS = 100;

/** At most this many answers in one statement, and this many statements of answers at once per pool. */
export const ANSWER_BATCH = 500;
const BATCHES_IN_FLIGHT = 2;

/**
 * A pool's answers: group-committed (GroupCommitter, server/db/batcher.ts) — an answer goes in one
 * statement, one commit, with every other answer that arrived meanwhile, acknowledged only once
 * that committed; a participant's second answer to one task waits for the next statement (it
 * replaces the first) — and, once a statement committed, the staff of the sessions it stored
 * answers for are signalled.
 */
class Answers {
  readonly committer: GroupCommitter<AnswerParams, AnswerOutcome>;
  constructor(private readonly pool: pg.Pool) {
    this.committer = new GroupCommitter((answers) => this.run(answers), {
      maxBatch: ANSWER_BATCH,
      inFlight: BATCHES_IN_FLIGHT,
      // one participant's answer to one task (the upsert's key, as the caller names the participant)
      key: (a) => `${a[0]}\u0000${a[1]}\u0000${a[9] ?? ""}\u0000${a[10] ?? ""}`,
    });
  }

  private async run(answers: AnswerParams[]): Promise<AnswerOutcome[]> {
    // column-wise: the nth parameter is every answer's nth field
    const values = Array.from({ length: 11 }, (_, c) => answers.map((a) => a[c]));
    const rows = (await this.pool.query<AnswerOutcome & { n: number }>({ ...ANSWERS_UPSERT, values })).rows;
    this.signal(rows.flatMap((r) => (r.answerId !== null && answers[r.n - 1] ? [answers[r.n - 1]![1]] : [])));
    return rows;
  }

  /** Per session: when its staff were last signalled, and the signal waiting for SIGNAL_MS to pass. */
  private signalled = new Map<string, { at: number; timer: NodeJS.Timeout | null }>();

  /**
   * Tell the staff of the sessions that got answers (their sync rooms' staff sockets: relay.ts
   * ROOM_SIGNALS) to read the tasks again, once the answers are committed: at once after a quiet
   * spell, then at most every SIGNAL_MS per session, the last answers always followed by a signal
   * (a class answering at once commits hundreds of small statements a second; the staff's page
   * reads once per signal). Best effort: a lost signal delays the staff's view until the next one,
   * never an answer.
   */
  private signal(sessions: string[]): void {
    const now = performance.now();
    for (const s of new Set(sessions)) {
      let st = this.signalled.get(s);
      if (!st) this.signalled.set(s, (st = { at: -Infinity, timer: null }));
      if (st.timer) continue; // a signal is waiting: it covers these answers too
      const wait = st.at + SIGNAL_MS - now;
      if (wait <= 0) this.notify(s, st);
      else {
        const state = st;
        st.timer = setTimeout(() => this.notify(s, state), wait);
        st.timer.unref();
      }
    }
  }

  private notify(sessionId: string, st: { at: number; timer: NodeJS.Timeout | null }): void {
    st.timer = null;
    st.at = performance.now();
    // forgotten once quiet: the map holds only sessions answered within the last few seconds
    if (this.signalled.size > 1000) for (const [k, v] of this.signalled) if (!v.timer && st.at - v.at > 10 * SIGNAL_MS) this.signalled.delete(k);
    // a signal throttled past the pool's end (the process shutting down, a test's teardown) has nobody left to tell
    if (this.pool.ending) return;
    const n = roomSignal(classRoomName(sessionId), "tasks");
    this.pool
      .query({ name: "room-signal", text: "select pg_notify($1, $2)", values: [n.channel, n.payload] })
      .catch((e: unknown) => console.error(`classroom: signalling new answers failed: ${e instanceof Error ? e.message : String(e)}`));
  }
}

const pools = new WeakMap<pg.Pool, Answers>();
/** The pool's group committer of answers. */
function answerCommitter(db: Db): GroupCommitter<AnswerParams, AnswerOutcome> {
  const pool = pgPool(db);
  let b = pools.get(pool);
  if (!b) pools.set(pool, (b = new Answers(pool)));
  return b.committer;
}

/**
 * Answer a task (again: replaces the previous answer) as the caller's participant of the session:
 * one statement, the participant check included, shared with the answers that arrive meanwhile
 * (answerCommitter). A caller who is not an active participant gets requireParticipant's answer
 * (UNAUTHENTICATED / FORBIDDEN), as every other classroom procedure does.
 */
export async function submitAnswer(db: Db, caller: ClassCaller, sessionId: string, a: Answer): Promise<AnswerView> {
  const byCredential = caller.credential?.s === sessionId ? caller.credential.p : null;
  if (!byCredential && !caller.userId) await requireParticipant(db, caller, sessionId, "STUDENT");
  const cells = [...new Set(a.cells ?? [])].sort((x, y) => x - y);
  const params: AnswerParams = [a.taskId, sessionId, a.source ?? null, a.range?.[0] ?? null, a.range?.[1] ?? null, `{${cells.join(",")}}`, a.threshold ?? null, a.choice ?? null, a.text ?? "", byCredential, caller.userId];
  const r = await answerCommitter(db).submit(params);
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

/**
 * The session's 50 newest tasks with the class's size and the dataset's length, in one statement
 * (the staff's screen reads them every second; Prisma's three queries were three round trips and
 * three query plans). Times as instants (stored as UTC without a zone).
 */
const TASKS = {
  name: "class-tasks",
  text: `select t.id, t.kind::text as kind, t.prompt, t.options, t."closesAt" at time zone 'UTC' as "closesAt", t."revealedAt" at time zone 'UTC' as "revealedAt",
      t."createdAt" at time zone 'UTC' as "createdAt",
      (select count(*)::int from "ClassParticipant" p where p."sessionId" = $1 and p.role = 'STUDENT' and p."removedAt" is null) as students,
      (select d.steps from "Dataset" d where d.id = $2) as steps
    from "ClassTask" t where t."sessionId" = $1
    order by t."createdAt" desc limit 50`,
};

type TaskRow = { id: string; kind: "VIEW" | "POLL"; prompt: string; options: string[]; closesAt: Date | null; revealedAt: Date | null; createdAt: Date; students: number; steps: number };

/** The session's tasks, newest first, as the participant sees them. */
export async function listTasks(db: Db, p: Participant): Promise<TaskView[]> {
  const staff = p.role !== "STUDENT";
  const tasks = (await pgPool(db).query<TaskRow>({ ...TASKS, values: [p.sessionId, p.session.datasetId] })).rows;
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
      aggregate: open ? aggregateAnswers(rows, { steps: t.steps, options: t.options.length }) : null,
      // the aggregate counts every answer; the list carries what the staff's panel shows
      answers: staff ? rows.slice(0, LISTED_ANSWERS).map(answerView) : [],
      students: t.students,
    };
  });
}

export async function revealTask(db: Db, p: Participant, taskId: string): Promise<void> {
  const r = await db.classTask.updateMany({ where: { id: taskId, sessionId: p.sessionId }, data: { revealedAt: new Date() } });
  if (r.count === 0) throw new AppError("NOT_FOUND", `task ${taskId} is not in this session`);
}
