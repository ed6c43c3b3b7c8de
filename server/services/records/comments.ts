/**
 * Comment threads anchored to a hypothesis or to a token range (+ optional cells) of a source;
 * replies, edits and soft deletes by the author, resolve/reopen, @mentions and the inbox.
 *
 * Idempotency: a new comment (createThread, reply) carries a client-generated key; (author, key)
 * is unique, so a retry — even one racing the original — returns the first comment. Edits,
 * deletes and resolve/reopen set a state, so repeating them changes nothing more; they take the
 * key too so every write has the same shape.
 */
import { AppError } from "@statescope/core";
import type { z } from "zod";
import type { Prisma } from "@/prisma/generated/client";
import { pgPool, type Db } from "@/server/db/client";
import { walBarrierOf } from "@/server/db/wal-barrier";
import { ROLE_RANK } from "@/server/services/authz";
import { findSource } from "@/server/services/datasets/datasets";
import type { Role } from "@/server/services/schemas";
import { parseInput } from "@/server/services/validate";
import { checkCells, checkRange, datasetIn, isUniqueViolation, newRecordId, notifyRecord, RECORD_EVENTS, USER_REF_SELECT, userRef, type Tx } from "./common";
import { parseMentions, resolveMentions } from "./mentions";
import {
  ZCreateThread,
  ZDeleteComment,
  ZEditComment,
  ZInboxInput,
  ZMarkRead,
  ZReply,
  ZSetResolved,
  ZThreadsInput,
  type CommentOut,
  type InboxItem,
  type ThreadDetail,
  type ThreadSummary,
} from "./schemas";

const MAX_MENTIONS = 50;

const COMMENT_SELECT = {
  id: true,
  threadId: true,
  body: true,
  createdAt: true,
  editedAt: true,
  deletedAt: true,
  author: { select: USER_REF_SELECT },
  mentions: { select: { user: { select: USER_REF_SELECT } }, orderBy: { createdAt: "asc" as const } },
} as const;

type CommentRow = {
  id: string;
  threadId: string;
  body: string;
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
  author: { id: string; name: string | null; email: string } | null;
  mentions: { user: { id: string; name: string | null; email: string } }[];
};

function commentOut(c: CommentRow): CommentOut {
  return {
    id: c.id,
    threadId: c.threadId,
    author: userRef(c.author),
    body: c.deletedAt ? "" : c.body,
    createdAt: c.createdAt,
    editedAt: c.editedAt,
    deletedAt: c.deletedAt,
    mentions: c.deletedAt ? [] : c.mentions.map((m) => userRef(m.user)!),
  };
}

const THREAD_SELECT = {
  id: true,
  workspaceId: true,
  datasetId: true,
  hypothesisId: true,
  source: true,
  start: true,
  end: true,
  cells: true,
  resolvedAt: true,
  createdAt: true,
  updatedAt: true,
  resolvedBy: { select: USER_REF_SELECT },
  createdBy: { select: USER_REF_SELECT },
  _count: { select: { comments: { where: { deletedAt: null } } } },
  comments: { orderBy: [{ createdAt: "asc" as const }, { id: "asc" as const }], take: 1, select: COMMENT_SELECT },
} satisfies Prisma.CommentThreadSelect;

type ThreadRow = {
  id: string;
  datasetId: string;
  hypothesisId: string | null;
  source: string | null;
  start: number | null;
  end: number | null;
  cells: number[];
  resolvedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  resolvedBy: { id: string; name: string | null; email: string } | null;
  createdBy: { id: string; name: string | null; email: string } | null;
  _count: { comments: number };
  comments: CommentRow[];
};

function threadOut(t: ThreadRow): ThreadSummary {
  return {
    id: t.id,
    datasetId: t.datasetId,
    hypothesisId: t.hypothesisId,
    source: t.source,
    start: t.start,
    end: t.end,
    cells: t.cells,
    resolvedAt: t.resolvedAt,
    resolvedBy: userRef(t.resolvedBy),
    createdBy: userRef(t.createdBy),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    commentCount: t._count.comments,
    first: t.comments[0] ? commentOut(t.comments[0]) : null,
  };
}

const threadNotFound = (id: string) => new AppError("NOT_FOUND", `comment thread ${id} does not exist in this workspace`);

async function findThread(db: Tx, workspaceId: string, id: string) {
  const t = await db.commentThread.findUnique({ where: { id }, select: { id: true, workspaceId: true, datasetId: true, createdById: true } });
  if (!t || t.workspaceId !== workspaceId) throw threadNotFound(id);
  return t;
}

async function findComment(db: Tx, workspaceId: string, id: string) {
  const c = await db.comment.findUnique({ where: { id }, select: { id: true, authorId: true, body: true, deletedAt: true, thread: { select: { id: true, workspaceId: true, datasetId: true } } } });
  if (!c || c.thread.workspaceId !== workspaceId) throw new AppError("NOT_FOUND", `comment ${id} does not exist in this workspace`);
  return c;
}

async function readComment(db: Tx, id: string): Promise<CommentOut> {
  return commentOut(await db.comment.findUniqueOrThrow({ where: { id }, select: COMMENT_SELECT }));
}

export async function getThread(db: Tx, workspaceId: string, id: string): Promise<ThreadDetail> {
  await findThread(db, workspaceId, id);
  const t = await db.commentThread.findUniqueOrThrow({ where: { id }, select: THREAD_SELECT });
  const comments = await db.comment.findMany({ where: { threadId: id }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], take: 2000, select: COMMENT_SELECT });
  return { ...threadOut(t), comments: comments.map(commentOut) };
}

export async function listThreads(db: Db, workspaceId: string, raw: z.input<typeof ZThreadsInput>): Promise<ThreadSummary[]> {
  const input = parseInput(ZThreadsInput, raw, "thread list request");
  await datasetIn(db, workspaceId, input.datasetId, false);
  const r = input.range;
  if (r && r.from >= r.to) throw new AppError("BAD_INPUT", `thread list: range from (${r.from}) must be less than to (${r.to})`);
  const rows = await db.commentThread.findMany({
    where: {
      workspaceId,
      datasetId: input.datasetId,
      ...(input.hypothesisId ? { hypothesisId: input.hypothesisId } : {}),
      ...(r ? { start: { lt: r.to }, end: { gt: r.from }, ...(r.source ? { source: r.source } : {}) } : {}),
      ...(input.resolved === undefined ? {} : { resolvedAt: input.resolved ? { not: null } : null }),
    },
    orderBy: [{ updatedAt: "desc" }, { id: "asc" }],
    take: input.limit,
    select: THREAD_SELECT,
  });
  return rows.map(threadOut);
}

/** The members `body` mentions, not its author, at most MAX_MENTIONS. */
async function mentionedMembers(db: Tx, workspaceId: string, authorId: string, body: string): Promise<{ id: string; name: string | null; email: string }[]> {
  const members = await db.membership.findMany({ where: { workspaceId }, select: { user: { select: USER_REF_SELECT } } });
  return resolveMentions(
    body,
    members.map((m) => m.user),
  )
    .filter((u) => u.id !== authorId)
    .slice(0, MAX_MENTIONS);
}

/** Mention rows for the members `body` mentions (not the author); returns the new mention ids and users. */
async function addMentions(tx: Tx, workspaceId: string, commentId: string, authorId: string, body: string): Promise<{ id: string; userId: string }[]> {
  const out: { id: string; userId: string }[] = [];
  for (const u of await mentionedMembers(tx, workspaceId, authorId, body)) {
    const existing = await tx.mention.findUnique({ where: { commentId_userId: { commentId, userId: u.id } }, select: { id: true } });
    if (existing) continue;
    const m = await tx.mention.create({ data: { commentId, userId: u.id }, select: { id: true } });
    out.push({ id: m.id, userId: u.id });
  }
  return out;
}

async function notifyMentions(tx: Tx, workspaceId: string, datasetId: string, mentions: { id: string; userId: string }[]): Promise<void> {
  for (const m of mentions) await notifyRecord(tx, { workspaceId, datasetId, kind: "mention", id: m.id, op: "created", userId: m.userId });
}

/** The comment an earlier attempt with this key created, if any. */
async function priorAttempt(db: Tx, authorId: string, key: string) {
  return db.comment.findUnique({
    where: { authorId_idempotencyKey: { authorId, idempotencyKey: key } },
    select: { id: true, threadId: true, thread: { select: { workspaceId: true, datasetId: true } } },
  });
}

function reusedKey(): AppError {
  return new AppError("CONFLICT", "this idempotency key was already used for a different comment: generate a new key for each new comment");
}

export async function createThread(db: Db, workspaceId: string, userId: string, raw: z.input<typeof ZCreateThread>): Promise<ThreadDetail> {
  const input = parseInput(ZCreateThread, raw, "new comment thread");
  const replay = async () => {
    const prior = await priorAttempt(db, userId, input.idempotencyKey);
    if (!prior) return null;
    const first = await db.comment.findFirst({ where: { threadId: prior.threadId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: { id: true } });
    if (prior.thread.workspaceId !== workspaceId || prior.thread.datasetId !== input.datasetId || first?.id !== prior.id) throw reusedKey();
    return getThread(db, workspaceId, prior.threadId);
  };
  const earlier = await replay();
  if (earlier) return earlier;

  const ds = await datasetIn(db, workspaceId, input.datasetId);
  const a = input.anchor;
  let anchor: { hypothesisId: string | null; source: string | null; start: number | null; end: number | null; cells: number[] };
  if (a.kind === "hypothesis") {
    const h = await db.hypothesis.findUnique({ where: { id: a.hypothesisId }, select: { workspaceId: true, datasetId: true } });
    if (!h || h.workspaceId !== workspaceId || h.datasetId !== ds.id) throw new AppError("NOT_FOUND", `hypothesis ${a.hypothesisId} does not exist in dataset ${ds.id}`);
    anchor = { hypothesisId: a.hypothesisId, source: null, start: null, end: null, cells: [] };
  } else {
    const src = await findSource(db, workspaceId, ds.id, a.source);
    const where = `dataset ${ds.id}: source ${src.name}`;
    checkRange(`${where}: the comment's range`, a.start, a.end, src.steps);
    anchor = { hypothesisId: null, source: src.name, start: a.start, end: a.end, cells: checkCells(where, a.cells, src.cells) };
  }
  try {
    const threadId = await db.$transaction(async (tx) => {
      const t = await tx.commentThread.create({ data: { workspaceId, datasetId: ds.id, ...anchor, createdById: userId }, select: { id: true } });
      const c = await tx.comment.create({ data: { threadId: t.id, authorId: userId, body: input.body, idempotencyKey: input.idempotencyKey }, select: { id: true } });
      const mentions = await addMentions(tx, workspaceId, c.id, userId, input.body);
      await notifyRecord(tx, { workspaceId, datasetId: ds.id, kind: "comment", id: c.id, threadId: t.id, op: "created", userId });
      await notifyMentions(tx, workspaceId, ds.id, mentions);
      return t.id;
    });
    return getThread(db, workspaceId, threadId);
  } catch (e) {
    // A concurrent attempt with the same key committed first: answer with its thread.
    if (isUniqueViolation(e)) {
      const again = await replay();
      if (again) return again;
    }
    throw e;
  }
}

/**
 * A reply in one statement, the hot path of commenting (#14: 100 acknowledged comments/s): the
 * thread in this workspace, the idempotency check, the insert, the thread's activity time, the
 * mentions and their events all commit together, with no round trip between them. It commits
 * without waiting for the disk (so the notify lock it takes is not held through an fsync, see
 * server/db/wal-barrier.ts) and is acknowledged after the shared WAL barrier.
 * Rows: `thread` (null: no such thread in this workspace), `prior` (a comment this key already made,
 * committed before this statement began), `inserted` (the new comment's id; null with neither
 * above: an attempt with the same key committed meanwhile).
 */
const REPLY_SQL = `
WITH async AS (SELECT set_config('synchronous_commit', coalesce($8, current_setting('synchronous_commit')), true)),
thread AS (SELECT id, "datasetId" FROM "CommentThread" WHERE id = $2 AND "workspaceId" = $1),
prior AS (SELECT id, "threadId" FROM "Comment" WHERE "authorId" = $3 AND "idempotencyKey" = $4),
ins AS (
  INSERT INTO "Comment" (id, "threadId", "authorId", body, "idempotencyKey", "createdAt")
  SELECT $5, thread.id, $3, $6, $4, $7::timestamp(3) FROM thread, async WHERE NOT EXISTS (SELECT FROM prior)
  ON CONFLICT ("authorId", "idempotencyKey") DO NOTHING
  RETURNING id),
touched AS (UPDATE "CommentThread" SET "updatedAt" = $7::timestamp(3) WHERE id = (SELECT thread.id FROM thread, ins)),
mentioned AS (
  INSERT INTO "Mention" (id, "commentId", "userId", "createdAt")
  SELECT m.id, ins.id, m."userId", $7::timestamp(3) FROM ins, unnest($9::text[], $10::text[]) AS m(id, "userId")
  RETURNING id, "userId"),
events AS (
  SELECT json_build_object('workspaceId', $1::text, 'datasetId', thread."datasetId", 'kind', 'comment', 'id', ins.id, 'op', 'created', 'threadId', thread.id, 'userId', $3::text) AS e, 0 AS n
    FROM thread, ins
  UNION ALL
  SELECT json_build_object('workspaceId', $1::text, 'datasetId', thread."datasetId", 'kind', 'mention', 'id', mentioned.id, 'op', 'created', 'userId', mentioned."userId"), 1
    FROM thread, mentioned),
notified AS (SELECT pg_notify($11, e::text) FROM (SELECT e FROM events ORDER BY n) AS ordered)
SELECT (SELECT id FROM thread) AS thread, (SELECT id FROM prior) AS prior, (SELECT "threadId" FROM prior) AS "priorThread",
       (SELECT id FROM ins) AS inserted, (SELECT count(*) FROM notified) AS notified,
       (SELECT json_build_object('id', id, 'name', name, 'email', email) FROM "User" WHERE id = $3) AS author`;

interface ReplyRow {
  thread: string | null;
  prior: string | null;
  priorThread: string | null;
  inserted: string | null;
  author: { id: string; name: string | null; email: string } | null;
}

export async function reply(db: Db, workspaceId: string, userId: string, raw: z.input<typeof ZReply>): Promise<CommentOut> {
  const input = parseInput(ZReply, raw, "reply");
  const pool = pgPool(db);
  const barrier = walBarrierOf(pool);
  const answerPrior = async (prior: { id: string; threadId: string }) => {
    if (prior.threadId !== input.threadId) throw reusedKey();
    // an attempt's commit may be on its way to the disk still: acknowledge it once it is there
    await barrier.durable();
    return readComment(db, prior.id);
  };
  const mentioned = parseMentions(input.body).length > 0 ? await mentionedMembers(db, workspaceId, userId, input.body) : [];
  const id = newRecordId();
  const createdAt = new Date();
  const r = await pool.query<ReplyRow>(REPLY_SQL, [
    workspaceId,
    input.threadId,
    userId,
    input.idempotencyKey,
    id,
    input.body,
    createdAt.toISOString().slice(0, -1), // UTC wall time, as Prisma stores DateTime
    barrier.commitSetting,
    mentioned.map(() => newRecordId()),
    mentioned.map((u) => u.id),
    RECORD_EVENTS.name,
  ]);
  const row = r.rows[0]!;
  if (row.prior) return answerPrior({ id: row.prior, threadId: row.priorThread! });
  if (!row.thread) throw threadNotFound(input.threadId);
  if (!row.inserted) {
    // an attempt with the same key committed after this statement began: answer with its comment
    const prior = await priorAttempt(db, userId, input.idempotencyKey);
    if (!prior) throw new Error(`reply ${input.idempotencyKey}: neither stored nor found`);
    return answerPrior(prior);
  }
  await barrier.durable();
  return {
    id,
    threadId: input.threadId,
    author: userRef(row.author),
    body: input.body,
    createdAt,
    editedAt: null,
    deletedAt: null,
    mentions: mentioned.map((u) => userRef(u)!),
  };
}

/** The author edits their comment; members newly mentioned get a mention, those edited out lose theirs. */
export async function editComment(db: Db, workspaceId: string, userId: string, raw: z.input<typeof ZEditComment>): Promise<CommentOut> {
  const input = parseInput(ZEditComment, raw, "comment edit");
  const c = await findComment(db, workspaceId, input.commentId);
  if (c.authorId !== userId) throw new AppError("FORBIDDEN", `comment ${c.id} can be edited by its author only`);
  if (c.deletedAt) throw new AppError("CONFLICT", `comment ${c.id} was deleted: it cannot be edited`);
  if (c.body === input.body) return readComment(db, c.id); // a retry, or no change
  await db.$transaction(async (tx) => {
    await tx.comment.update({ where: { id: c.id }, data: { body: input.body, editedAt: new Date() } });
    await tx.commentThread.update({ where: { id: c.thread.id }, data: { updatedAt: new Date() } });
    const members = await tx.membership.findMany({ where: { workspaceId }, select: { user: { select: { id: true, email: true } } } });
    const keep = new Set(resolveMentions(input.body, members.map((m) => m.user)).map((u) => u.id));
    const dropped = await tx.mention.findMany({ where: { commentId: c.id, userId: { notIn: [...keep] } }, select: { id: true, userId: true } });
    await tx.mention.deleteMany({ where: { id: { in: dropped.map((d) => d.id) } } });
    const added = await addMentions(tx, workspaceId, c.id, userId, input.body);
    await notifyRecord(tx, { workspaceId, datasetId: c.thread.datasetId, kind: "comment", id: c.id, threadId: c.thread.id, op: "updated", userId });
    for (const d of dropped) await notifyRecord(tx, { workspaceId, datasetId: c.thread.datasetId, kind: "mention", id: d.id, op: "deleted", userId: d.userId });
    await notifyMentions(tx, workspaceId, c.thread.datasetId, added);
  });
  return readComment(db, c.id);
}

/** Soft delete by the author: the text and mentions go, the comment's place in the thread stays. */
export async function deleteComment(db: Db, workspaceId: string, userId: string, raw: z.input<typeof ZDeleteComment>): Promise<CommentOut> {
  const input = parseInput(ZDeleteComment, raw, "comment deletion");
  const c = await findComment(db, workspaceId, input.commentId);
  if (c.authorId !== userId) throw new AppError("FORBIDDEN", `comment ${c.id} can be deleted by its author only`);
  if (c.deletedAt) return readComment(db, c.id);
  await db.$transaction(async (tx) => {
    await tx.comment.update({ where: { id: c.id }, data: { body: "", deletedAt: new Date() } });
    await tx.commentThread.update({ where: { id: c.thread.id }, data: { updatedAt: new Date() } });
    const dropped = await tx.mention.findMany({ where: { commentId: c.id }, select: { id: true, userId: true } });
    await tx.mention.deleteMany({ where: { commentId: c.id } });
    await notifyRecord(tx, { workspaceId, datasetId: c.thread.datasetId, kind: "comment", id: c.id, threadId: c.thread.id, op: "deleted", userId });
    for (const d of dropped) await notifyRecord(tx, { workspaceId, datasetId: c.thread.datasetId, kind: "mention", id: d.id, op: "deleted", userId: d.userId });
  });
  return readComment(db, c.id);
}

/**
 * Resolve or reopen a thread: an EDITOR or OWNER any thread, a VIEWER the threads they started
 * (a viewer's comments are their own; the team's other threads are not theirs to close).
 */
export async function setResolved(db: Db, workspaceId: string, userId: string, role: Role, raw: z.input<typeof ZSetResolved>): Promise<ThreadSummary> {
  const input = parseInput(ZSetResolved, raw, "resolve request");
  const t = await findThread(db, workspaceId, input.threadId);
  if (ROLE_RANK[role] < ROLE_RANK.EDITOR && t.createdById !== userId) {
    throw new AppError("FORBIDDEN", `comment thread ${t.id} was started by someone else: a VIEWER can resolve or reopen only the threads they started`);
  }
  await db.$transaction(async (tx) => {
    const r = await tx.commentThread.updateMany({
      where: { id: t.id, resolvedAt: input.resolved ? null : { not: null } },
      data: input.resolved ? { resolvedAt: new Date(), resolvedById: userId } : { resolvedAt: null, resolvedById: null },
    });
    if (r.count > 0) await notifyRecord(tx, { workspaceId, datasetId: t.datasetId, kind: "comment", id: t.id, threadId: t.id, op: "updated", userId });
  });
  return threadOut(await db.commentThread.findUniqueOrThrow({ where: { id: t.id }, select: THREAD_SELECT }));
}

// ---------------------------------------------------------------------------
// Inbox

const INBOX_SELECT = {
  id: true,
  readAt: true,
  createdAt: true,
  comment: { select: { ...COMMENT_SELECT, thread: { select: { id: true, datasetId: true, hypothesisId: true, source: true, start: true, end: true, cells: true } } } },
} as const;

function inboxOut(m: { id: string; readAt: Date | null; createdAt: Date; comment: CommentRow & { thread: InboxItem["thread"] } }): InboxItem {
  const { thread, ...comment } = m.comment;
  return { id: m.id, readAt: m.readAt, createdAt: m.createdAt, comment: commentOut(comment), thread };
}

function inboxWhere(workspaceId: string, userId: string) {
  return { userId, comment: { deletedAt: null, thread: { workspaceId } } };
}

/** The caller's mentions in this workspace: unread first, each group newest first. */
export async function inbox(db: Db, workspaceId: string, userId: string, raw: z.input<typeof ZInboxInput>): Promise<{ unread: number; items: InboxItem[] }> {
  const input = parseInput(ZInboxInput, raw, "inbox request");
  const where = inboxWhere(workspaceId, userId);
  const unread = await db.mention.findMany({ where: { ...where, readAt: null }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: input.limit, select: INBOX_SELECT });
  const unreadCount = await db.mention.count({ where: { ...where, readAt: null } });
  const read =
    input.unreadOnly || unread.length >= input.limit
      ? []
      : await db.mention.findMany({ where: { ...where, readAt: { not: null } }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: input.limit - unread.length, select: INBOX_SELECT });
  return { unread: unreadCount, items: [...unread, ...read].map(inboxOut) };
}

/** One inbox item of `userId` (for the live inbox), or null if it is gone or not theirs. */
export async function inboxItem(db: Db, workspaceId: string, userId: string, mentionId: string): Promise<InboxItem | null> {
  const m = await db.mention.findFirst({ where: { ...inboxWhere(workspaceId, userId), id: mentionId }, select: INBOX_SELECT });
  return m ? inboxOut(m) : null;
}

export async function markRead(db: Db, workspaceId: string, userId: string, raw: z.input<typeof ZMarkRead>): Promise<{ updated: number }> {
  const input = parseInput(ZMarkRead, raw, "mark-read request");
  return db.$transaction(async (tx) => {
    const r = await tx.mention.updateMany({
      where: { ...inboxWhere(workspaceId, userId), readAt: null, ...(input.ids ? { id: { in: input.ids } } : {}) },
      data: { readAt: new Date() },
    });
    if (r.count > 0) await notifyRecord(tx, { workspaceId, datasetId: "", kind: "mention", id: "*", op: "updated", userId });
    return { updated: r.count };
  });
}
