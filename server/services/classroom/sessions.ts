/**
 * Classroom sessions (issue 18): start, join by code, who is who inside a session, and the
 * instructor's controls (lock, remove, hand over the presenter role, promote and demote, end).
 *
 * A participant is resolved from the caller: their session credential (credential.ts) when it
 * names this session, else their account's participant row. Removed participants and ended
 * sessions resolve to nothing, so every procedure, route and socket that goes through here stops
 * working for them at once. Roles inside a session: INSTRUCTOR (who started it), TA (a workspace
 * EDITOR/OWNER who joins, or a promoted student) and STUDENT.
 */
import { randomBytes } from "node:crypto";
import { AppError } from "@statescope/core";
import type pg from "pg";
import { GroupCommitter } from "@/server/db/batcher";
import { pgPool, type Db } from "@/server/db/client";
import { ROLE_RANK, memberRole, type Actor, type WorkspaceAccess } from "@/server/services/authz";
import { isUniqueViolation } from "@/server/services/records/common";
import { LIMITS, rateLimitKey, spend } from "@/server/services/rate-limits";
import type { Role } from "@/server/services/schemas";
import { signClassCredential, type ClassCredential } from "./credential";
import { newArchiveToken, newJoinCode, normalizeJoinCode } from "./codes";
import type { JoinPacer } from "./join-pacer";
import { CLASS_ROLE_RANK, type ClassRole, type SessionState } from "./schemas";

/** Who is calling: a signed-in user, a session credential, both or neither. */
export interface ClassCaller {
  userId: string | null;
  credential: ClassCredential | null;
}

export interface Participant {
  id: string;
  sessionId: string;
  userId: string | null;
  name: string;
  role: ClassRole;
  session: { id: string; workspaceId: string; datasetId: string; presenterId: string | null; locked: boolean; endedAt: Date | null };
}

/** Start a session on a dataset of the workspace; the caller (an EDITOR or OWNER) is its instructor. */
export async function startSession(db: Db, actor: Actor, access: WorkspaceAccess, input: { datasetId: string; title?: string }): Promise<{ sessionId: string; code: string }> {
  const ds = await db.dataset.findFirst({ where: { id: input.datasetId, workspaceId: access.workspace.id }, select: { id: true, name: true, status: true } });
  if (!ds) throw new AppError("NOT_FOUND", `dataset ${input.datasetId} does not exist in workspace "${access.workspace.slug}"`);
  if (ds.status !== "READY") throw new AppError("CONFLICT", `dataset “${ds.name}” is not ready (${ds.status.toLowerCase()}): start the session once its import is done`);
  const user = await db.user.findUnique({ where: { id: actor.userId }, select: { name: true, email: true } });
  const name = (user?.name?.trim() || user?.email.split("@")[0] || "Instructor").slice(0, 60);
  // a code collision (1 in billions per live session) is retried with a fresh code
  for (let attempt = 0; ; attempt++) {
    try {
      const s = await db.classSession.create({
        data: {
          workspaceId: access.workspace.id,
          datasetId: ds.id,
          code: newJoinCode(),
          title: input.title?.trim() || `Class on ${ds.name}`,
          createdById: actor.userId,
          archiveToken: newArchiveToken(),
          participants: { create: { userId: actor.userId, name, role: "INSTRUCTOR" } },
        },
        select: { id: true, code: true, participants: { select: { id: true } } },
      });
      // the instructor presents until they hand it over
      await db.classSession.update({ where: { id: s.id }, data: { presenterId: s.participants[0]!.id } });
      return { sessionId: s.id, code: s.code };
    } catch (e) {
      if (!isUniqueViolation(e) || attempt >= 4) throw e;
    }
  }
}

/**
 * Join a session by its code: a guest with a display name, or a signed-in user (a workspace
 * EDITOR/OWNER joins as TA). Limits: joins per session (a flood to one code is cut off), and
 * unknown codes per client address — never joins per address, since a whole class shares one.
 * With a `pacer`, a session's joins beyond its burst wait their turn (join-pacer.ts).
 */
export async function joinSession(
  db: Db,
  caller: { userId: string | null; clientAddress: string },
  input: { code: string; name?: string },
  secret: string,
  pacer?: JoinPacer,
): Promise<{ sessionId: string; participantId: string; role: ClassRole; credential: string; participant: Participant }> {
  const code = normalizeJoinCode(input.code);
  if (!caller.userId && input.name === undefined) throw new AppError("BAD_INPUT", "enter a name the class will see");
  // a lecture hall joining at once is let in at a bounded rate, in arrival order (join-pacer.ts)
  if (code && pacer) await pacer.admit(code);
  // a guest joins in one statement, shared with the joins that arrive meanwhile (a whole class joins within seconds)
  const r = await joinRow(db, code, caller.userId ? null : input.name!, caller.clientAddress);
  if (r.missWait !== null) {
    const wait = Math.max(1, Math.ceil(r.missWait));
    throw new AppError("TOO_MANY_REQUESTS", `too many unknown join codes from your network: try again in ${wait} s`, { retryAfterSeconds: wait });
  }
  if (!r.id) {
    await spend(db, [[LIMITS.classJoinMissAddress, caller.clientAddress]]);
    throw new AppError("NOT_FOUND", `no class session has the code “${input.code.slice(0, 12)}”: check the code on the projector`);
  }
  const sessionId = r.id;
  if (r.ended) throw new AppError("CONFLICT", "this class session has ended");
  if (r.recent >= LIMITS.classJoinSession.points) {
    const limit = LIMITS.classJoinSession;
    throw new AppError("TOO_MANY_REQUESTS", `too many ${limit.what} (at most ${limit.points} in ${limit.windowSeconds / 60} min): try again in a few minutes`, { retryAfterSeconds: 60 });
  }
  let participant: { id: string; name: string; role: ClassRole; removedAt: Date | null };
  if (r.inserted) participant = { id: r.inserted, name: input.name!, role: "STUDENT", removedAt: null };
  else if (caller.userId) {
    const existing = await db.classParticipant.findUnique({ where: { sessionId_userId: { sessionId, userId: caller.userId } }, select: { id: true, name: true, role: true, removedAt: true } });
    if (existing) participant = existing;
    else {
      if (r.locked) throw new AppError("FORBIDDEN", "this class session is locked: ask the instructor to let you in");
      const role = await memberRole(db, r.workspaceId, caller.userId);
      const user = await db.user.findUnique({ where: { id: caller.userId }, select: { name: true, email: true } });
      if (!user) throw new AppError("UNAUTHENTICATED", "your account no longer exists: sign in again");
      const staff = role !== null && ROLE_RANK[role] >= ROLE_RANK.EDITOR;
      participant = await db.classParticipant
        .create({
          data: { sessionId, userId: caller.userId, name: (input.name ?? (user.name?.trim() || user.email.split("@")[0]!)).slice(0, 60), role: staff ? "TA" : "STUDENT" },
          select: { id: true, name: true, role: true, removedAt: true },
        })
        .catch(async (e: unknown) => {
          // two tabs joining at once: the other one created it
          if (!isUniqueViolation(e)) throw e;
          return db.classParticipant.findUniqueOrThrow({ where: { sessionId_userId: { sessionId, userId: caller.userId! } }, select: { id: true, name: true, role: true, removedAt: true } });
        });
    }
  } else {
    // the statement inserted nothing: the session is locked
    throw new AppError("FORBIDDEN", "this class session is locked: ask the instructor to let you in");
  }
  if (participant.removedAt) throw new AppError("FORBIDDEN", "the instructor removed you from this class session");
  return {
    sessionId,
    participantId: participant.id,
    role: participant.role,
    credential: signClassCredential(secret, { s: sessionId, p: participant.id }),
    // who joined, as findParticipant would answer right after: the join's answer carries the first sync ticket
    participant: {
      id: participant.id,
      sessionId,
      userId: caller.userId,
      name: participant.name,
      role: participant.role,
      session: { id: sessionId, workspaceId: r.workspaceId, datasetId: r.datasetId, presenterId: r.presenterId, locked: r.locked, endedAt: null },
    },
  };
}

/**
 * Joins go in groups (GroupCommitter): the joins that arrive meanwhile share one statement and
 * one commit, each caller answered only after it. For each join of the group, in one round trip:
 * whether the caller's network is over the unknown-code limit (then nothing else happens: even the
 * right code is refused, so the limit reveals nothing), the session by code, its joins in the
 * limit's window, and — for a guest (`name`), when the session is live, unlocked and under the
 * limit — the new participant. Joins per session are counted from the participants themselves,
 * not from a rate-limit row that every join of a class would queue on; within a group the k-th
 * guest of a session counts the k − 1 before it, so a group never passes the limit. A read
 * without a lock, so two groups in flight at once may pass it by the few in the other.
 *
 * One statement per join (as before the groups) cost a commit, a foreign-key share lock on the one
 * session row (concurrent sharers of one row make MultiXacts) and a count of the session's
 * participants per join: 1,000 guests at once kept ten connections busy for seconds.
 */
const JOINS = {
  name: "class-joins",
  text: `with r as (
      select * from unnest($1::text[], $2::text[], $3::text[], $4::text[]) with ordinality as r(code, pid, name, "missKey", n)),
    miss as (
      select r.n, extract(epoch from (b."resetAt" - now()))::float8 as wait
      from r join "RateLimitBucket" b on b.key = r."missKey" and b."resetAt" > now() and b.points >= $7),
    s as (
      select r.n, c.id, c."workspaceId", c."datasetId", c."presenterId", c.locked, c."endedAt"
      from r join "ClassSession" c on c.code = r.code
      where not exists (select 1 from miss where miss.n = r.n)),
    recent as (
      select p."sessionId" as id, count(*)::int as n from "ClassParticipant" p
      where p."sessionId" in (select id from s) and p."joinedAt" > now() - make_interval(secs => $5)
      group by p."sessionId"),
    cand as (
      select s.n, s.id, r.pid, r.name, coalesce(recent.n, 0) + row_number() over (partition by s.id order by s.n)::int - 1 as before
      from s join r on r.n = s.n left join recent on recent.id = s.id
      where r.name is not null and s."endedAt" is null and not s.locked),
    ins as (
      insert into "ClassParticipant" (id, "sessionId", name, role)
      select pid, id, name, 'STUDENT' from cand where before < $6 order by n
      returning id)
    select r.n::int as n, miss.wait as "missWait", s.id, s."workspaceId", s."datasetId", s."presenterId", s.locked, s."endedAt" is not null as ended,
      coalesce(cand.before, recent.n, 0) as recent, ins.id as inserted
    from r left join miss on miss.n = r.n left join s on s.n = r.n left join recent on recent.id = s.id
      left join cand on cand.n = r.n left join ins on ins.id = r.pid
    order by r.n`,
};

type JoinParams = { code: string | null; guestName: string | null; clientAddress: string };
type JoinOutcome = { missWait: number | null; id: string | null; workspaceId: string; datasetId: string; presenterId: string | null; locked: boolean; ended: boolean; recent: number; inserted: string | null };

/** At most this many joins in one statement, and this many statements of joins at once per pool. */
export const JOIN_BATCH = 250;
const JOIN_BATCHES_IN_FLIGHT = 2;

async function runJoins(pool: pg.Pool, joins: JoinParams[]): Promise<JoinOutcome[]> {
  const limit = LIMITS.classJoinSession;
  const miss = LIMITS.classJoinMissAddress;
  // the new participants' ids: 12 random bytes each, drawn for the whole group at once
  const hex = randomBytes(12 * joins.length).toString("hex");
  const values = [
    joins.map((j) => j.code),
    joins.map((_, i) => `p${hex.slice(24 * i, 24 * i + 24)}`),
    joins.map((j) => j.guestName),
    joins.map((j) => rateLimitKey([miss, j.clientAddress])),
    limit.windowSeconds,
    limit.points,
    miss.points,
  ];
  return (await pool.query<JoinOutcome & { n: number }>({ ...JOINS, values })).rows;
}

const joiners = new WeakMap<pg.Pool, GroupCommitter<JoinParams, JoinOutcome>>();

/** The pool's group committer of joins (exported for tests: how the joins of a burst were grouped). */
export function joinCommitter(db: Db): GroupCommitter<JoinParams, JoinOutcome> {
  const pool = pgPool(db);
  let j = joiners.get(pool);
  if (!j) joiners.set(pool, (j = new GroupCommitter((joins) => runJoins(pool, joins), { maxBatch: JOIN_BATCH, inFlight: JOIN_BATCHES_IN_FLIGHT })));
  return j;
}

function joinRow(db: Db, code: string | null, guestName: string | null, clientAddress: string): Promise<JoinOutcome> {
  return joinCommitter(db).submit({ code, guestName, clientAddress });
}

/**
 * One statement for the participant and their session, by credential or by account: every
 * classroom request (the ticket, each answer) and every dataset read of a guest runs it, so it
 * is a prepared node-postgres query, not Prisma (whose per-call work cost more than the query).
 */
const PARTICIPANT = {
  name: "class-participant",
  text: `select p.id, p."sessionId", p."userId", p.name, p.role::text as role, p."removedAt" is not null as removed, p.id = $2 as "byCredential",
      s."workspaceId", s."datasetId", s."presenterId", s.locked, s."endedAt" at time zone 'UTC' as "endedAt"
    from "ClassParticipant" p join "ClassSession" s on s.id = p."sessionId"
    where p."sessionId" = $1 and (p.id = $2 or p."userId" = $3)`,
};

type ParticipantRow = { id: string; sessionId: string; userId: string | null; name: string; role: ClassRole; removed: boolean; byCredential: boolean; workspaceId: string; datasetId: string; presenterId: string | null; locked: boolean; endedAt: Date | null };

/** The caller's participant in a session, or null (not in it, removed, or the session ended). */
export async function findParticipant(db: Db, caller: ClassCaller, sessionId: string): Promise<Participant | null> {
  const byCredential = caller.credential?.s === sessionId ? caller.credential.p : null;
  if (!byCredential && !caller.userId) return null;
  const rows = (await pgPool(db).query<ParticipantRow>({ ...PARTICIPANT, values: [sessionId, byCredential, caller.userId] })).rows;
  // the credential's participant when there is one (even when removed: it does not fall back to the account's)
  const row = rows.find((r) => r.byCredential) ?? rows[0];
  if (!row || row.removed || row.endedAt) return null;
  return {
    id: row.id,
    sessionId: row.sessionId,
    userId: row.userId,
    name: row.name,
    role: row.role,
    session: { id: row.sessionId, workspaceId: row.workspaceId, datasetId: row.datasetId, presenterId: row.presenterId, locked: row.locked, endedAt: row.endedAt },
  };
}

/** The caller's participant with at least `minimum` role; UNAUTHENTICATED without any identity, else FORBIDDEN. */
export async function requireParticipant(db: Db, caller: ClassCaller, sessionId: string, minimum: ClassRole): Promise<Participant> {
  if (!caller.userId && !caller.credential) throw new AppError("UNAUTHENTICATED", "join the class session with its code first");
  const p = await findParticipant(db, caller, sessionId);
  if (!p) {
    const s = await db.classSession.findUnique({ where: { id: sessionId }, select: { endedAt: true } });
    throw new AppError("FORBIDDEN", s?.endedAt ? "this class session has ended" : "you are not in this class session (or were removed): join it with its code");
  }
  if (CLASS_ROLE_RANK[p.role] < CLASS_ROLE_RANK[minimum]) {
    throw new AppError("FORBIDDEN", `only ${minimum === "INSTRUCTOR" ? "the instructor" : "the instructor and TAs"} can do this (you are a ${p.role.toLowerCase()})`);
  }
  return p;
}

const view = (p: { id: string; name: string; role: ClassRole; userId: string | null }) => ({ id: p.id, name: p.name, role: p.role, guest: p.userId === null });

/** The session as the participant sees it. */
export async function sessionState(db: Db, p: Participant): Promise<SessionState> {
  const s = await db.classSession.findUniqueOrThrow({
    where: { id: p.sessionId },
    select: { id: true, title: true, code: true, locked: true, endedAt: true, presenterId: true, archiveToken: true, datasetId: true, workspace: { select: { slug: true } }, dataset: { select: { name: true } } },
  });
  const staff = p.role !== "STUDENT";
  const [students, participants, presenter] = await Promise.all([
    db.classParticipant.count({ where: { sessionId: s.id, role: "STUDENT", removedAt: null } }),
    staff
      ? db.classParticipant.findMany({ where: { sessionId: s.id, removedAt: null }, select: { id: true, name: true, role: true, userId: true }, orderBy: [{ role: "asc" }, { joinedAt: "asc" }], take: 2000 })
      : Promise.resolve([]),
    s.presenterId ? db.classParticipant.findUnique({ where: { id: s.presenterId }, select: { id: true, name: true, role: true, userId: true } }) : Promise.resolve(null),
  ]);
  return {
    id: s.id,
    title: s.title,
    workspace: s.workspace.slug,
    datasetId: s.datasetId,
    datasetName: s.dataset.name,
    code: s.code,
    locked: s.locked,
    endedAt: s.endedAt,
    me: view(p),
    presenter: presenter ? view(presenter) : null,
    students,
    participants: participants.map(view),
    archivePath: `/c/a/${s.archiveToken}`,
  };
}

export async function setLocked(db: Db, p: Participant, locked: boolean): Promise<void> {
  await db.classSession.update({ where: { id: p.sessionId }, data: { locked } });
}

async function target(db: Db, p: Participant, participantId: string) {
  const t = await db.classParticipant.findFirst({ where: { id: participantId, sessionId: p.sessionId, removedAt: null }, select: { id: true, role: true } });
  if (!t) throw new AppError("NOT_FOUND", `participant ${participantId} is not in this session`);
  return t;
}

/** Remove a participant (not the instructor; a TA removes students only): their credential and sockets stop working. */
export async function removeParticipant(db: Db, p: Participant, participantId: string): Promise<void> {
  const t = await target(db, p, participantId);
  if (t.role === "INSTRUCTOR" || (t.role === "TA" && p.role !== "INSTRUCTOR")) throw new AppError("FORBIDDEN", `a ${p.role.toLowerCase()} cannot remove a ${t.role.toLowerCase()}`);
  await db.$transaction([
    db.classParticipant.update({ where: { id: t.id }, data: { removedAt: new Date() } }),
    db.classSession.updateMany({ where: { id: p.sessionId, presenterId: t.id }, data: { presenterId: null } }),
  ]);
}

/** Hand the presenter role to a participant (a TA or a student: "show us what you found"), or take it back (null). */
export async function setPresenter(db: Db, p: Participant, participantId: string | null): Promise<void> {
  if (participantId !== null) await target(db, p, participantId);
  await db.classSession.update({ where: { id: p.sessionId }, data: { presenterId: participantId } });
}

/** Make a student a TA (can present and moderate). */
export async function promote(db: Db, p: Participant, participantId: string): Promise<void> {
  const t = await target(db, p, participantId);
  if (t.role !== "STUDENT") throw new AppError("CONFLICT", `participant ${participantId} is a ${t.role.toLowerCase()} already`);
  await db.classParticipant.update({ where: { id: t.id }, data: { role: "TA" } });
}

/** Make a TA a student again (a promoted student, or a workspace editor who joined as TA). */
export async function demote(db: Db, p: Participant, participantId: string): Promise<void> {
  const t = await target(db, p, participantId);
  if (t.role !== "TA") throw new AppError("CONFLICT", `participant ${participantId} is a ${t.role.toLowerCase()}, not a TA`);
  await db.classParticipant.update({ where: { id: t.id }, data: { role: "STUDENT" } });
}

export async function endSession(db: Db, p: Participant): Promise<void> {
  await db.classSession.updateMany({ where: { id: p.sessionId, endedAt: null }, data: { endedAt: new Date(), presenterId: null } });
}

/**
 * A participant's access to the session's dataset, as a workspace VIEWER restricted to that one
 * dataset (`onlyDataset`): the explorer's reads and match runs accept it (access.ts CLASSROOM_DATA),
 * nothing else does. Null when the credential names no active participant of a live session of
 * this workspace on this dataset.
 */
export async function classroomDataAccess(db: Db, credential: ClassCredential | null, slug: string, datasetId: string | undefined): Promise<WorkspaceAccess | null> {
  if (!credential) return null;
  const p = await findParticipant(db, { userId: null, credential }, credential.s);
  if (!p || (datasetId !== undefined && datasetId !== p.session.datasetId)) return null;
  const ws = await db.workspace.findUnique({ where: { id: p.session.workspaceId }, select: { id: true, slug: true, name: true } });
  if (!ws || ws.slug !== slug) return null;
  return { workspace: ws, role: "VIEWER", onlyDataset: p.session.datasetId, participantId: p.id };
}

/** Sync role of a participant: the instructor OWNER, TAs and the presenter EDITOR (they write the shared view), students VIEWER (read-only). */
export function syncRoleOf(p: { id: string; role: ClassRole }, presenterId: string | null): Role {
  if (p.role === "INSTRUCTOR") return "OWNER";
  return p.role === "TA" || p.id === presenterId ? "EDITOR" : "VIEWER";
}
