import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerFor, collabFixture, trpcError, type CollabFixture } from "../../tests/fixtures/collab";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";

let t: TestDatabase;
let fx: CollabFixture;
let as: ReturnType<typeof callerFor>;

beforeAll(async () => {
  t = await freshDatabase();
  fx = await collabFixture(t.db, "talk");
  as = callerFor(t);
});
afterAll(async () => {
  await t.drop();
  await fx?.cleanup();
});

const range = (start: number, end: number, cells: number[] = []) => ({ kind: "range" as const, source: "states::states1", start, end, cells });

describe("comments", () => {
  it("opens threads on ranges and hypotheses, replies, lists them by range, hypothesis and resolved state", async () => {
    const w = { workspace: fx.ws, datasetId: fx.datasetId };
    const th = await as(fx.users.editor).comment.createThread({ ...w, anchor: range(10, 20, [3, 1]), body: "why does cell 3 flip here?", idempotencyKey: randomUUID() });
    expect(th).toMatchObject({ source: "states::states1", start: 10, end: 20, cells: [1, 3], hypothesisId: null, commentCount: 1, resolvedAt: null, createdBy: { id: fx.users.editor } });
    expect(th.comments.map((c) => c.body)).toEqual(["why does cell 3 flip here?"]);
    expect(th.first?.id).toBe(th.comments[0]!.id);

    const r = await as(fx.users.editor2).comment.reply({ workspace: fx.ws, threadId: th.id, body: "brackets, I think", idempotencyKey: randomUUID() });
    expect(r).toMatchObject({ threadId: th.id, body: "brackets, I think", author: { id: fx.users.editor2, handle: "editor2" }, editedAt: null, deletedAt: null });

    const h = await as(fx.users.editor).hypothesis.create({ ...w, name: "h", source: "states::states1", start: 0, end: 5, padLeft: 0, padRight: 0, threshold: 0.3, cells: [0] });
    const ht = await as(fx.users.editor2).comment.createThread({ ...w, anchor: { kind: "hypothesis", hypothesisId: h.id }, body: "nice", idempotencyKey: randomUUID() });
    expect(ht).toMatchObject({ hypothesisId: h.id, source: null, start: null, end: null });
    await as(fx.users.editor).comment.createThread({ ...w, anchor: range(300, 310), body: "far away", idempotencyKey: randomUUID() });

    const list = (extra: object) => as(fx.users.viewer).comment.threads({ ...w, ...extra });
    expect((await list({ range: { from: 15, to: 100 } })).map((x) => x.id)).toEqual([th.id]);
    expect((await list({ range: { source: "states::output1", from: 15, to: 100 } })).map((x) => x.id)).toEqual([]);
    expect((await list({ hypothesisId: h.id })).map((x) => x.id)).toEqual([ht.id]);
    expect(await list({})).toHaveLength(3);
    expect((await list({ range: { from: 0, to: 400 } })).find((x) => x.id === th.id)?.commentCount).toBe(2);

    const resolved = await as(fx.users.editor2).comment.setResolved({ workspace: fx.ws, threadId: th.id, resolved: true, idempotencyKey: randomUUID() });
    expect(resolved.resolvedAt).toBeInstanceOf(Date);
    expect(resolved.resolvedBy?.id).toBe(fx.users.editor2);
    expect((await list({ resolved: true })).map((x) => x.id)).toEqual([th.id]);
    expect(await list({ resolved: false })).toHaveLength(2);
    const reopened = await as(fx.users.editor).comment.setResolved({ workspace: fx.ws, threadId: th.id, resolved: false, idempotencyKey: randomUUID() });
    expect(reopened).toMatchObject({ resolvedAt: null, resolvedBy: null });

    const detail = await as(fx.users.viewer).comment.thread({ workspace: fx.ws, id: th.id });
    expect(detail.comments.map((c) => c.body)).toEqual(["why does cell 3 flip here?", "brackets, I think"]);
  });

  it("refuses bad anchors with clear messages, non-members and other workspaces", async () => {
    const w = { workspace: fx.ws, datasetId: fx.datasetId };
    const key = () => randomUUID();
    const cases: Array<[object, RegExp]> = [
      [{ anchor: range(20, 10) }, /start \(20\) must be less than end \(10\)/],
      [{ anchor: range(390, 401) }, /\[390, 401\) is out of range, the dataset has 400 steps/],
      [{ anchor: range(1, 2, [4]) }, /has 4 cells, the request selected cell 4/],
      [{ anchor: { ...range(1, 2), source: "nope" } }, /has no source "nope"/],
      [{ anchor: { kind: "hypothesis", hypothesisId: "nope" } }, /hypothesis nope does not exist/],
      [{ body: "   " }, /the comment is empty/],
      [{ idempotencyKey: "short" }, /idempotency key is shorter than 8 characters/],
    ];
    for (const [patch, msg] of cases) {
      const e = await trpcError(as(fx.users.editor).comment.createThread({ ...w, anchor: range(1, 2), body: "x", idempotencyKey: key(), ...patch } as never));
      expect(e.message, JSON.stringify(patch)).toMatch(msg);
    }
    expect((await trpcError(as(fx.users.outsider).comment.threads(w))).code).toBe("FORBIDDEN");
    // A thread id from another workspace is not found here.
    const { createWorkspace } = await import("../services/workspaces");
    await createWorkspace(t.db, fx.users.outsider, { slug: "elsewhere" });
    const th = await as(fx.users.editor).comment.createThread({ ...w, anchor: range(1, 2), body: "here", idempotencyKey: key() });
    expect((await trpcError(as(fx.users.outsider).comment.thread({ workspace: "elsewhere", id: th.id }))).code).toBe("NOT_FOUND");
  });

  it("a VIEWER comments: threads and replies, edits and deletes their own, resolves only the threads they started", async () => {
    const w = { workspace: fx.ws, datasetId: fx.datasetId };
    const viewer = as(fx.users.viewer);
    const mine = await viewer.comment.createThread({ ...w, anchor: range(60, 64, [1]), body: "is this the same cell as at 10?", idempotencyKey: randomUUID() });
    expect(mine).toMatchObject({ createdBy: { id: fx.users.viewer }, commentCount: 1 });
    const theirs = await as(fx.users.editor).comment.createThread({ ...w, anchor: range(70, 72), body: "editor's thread", idempotencyKey: randomUUID() });
    const reply = await viewer.comment.reply({ workspace: fx.ws, threadId: theirs.id, body: "a viewer's reply", idempotencyKey: randomUUID() });
    expect(reply.author?.id).toBe(fx.users.viewer);
    expect((await viewer.comment.edit({ workspace: fx.ws, commentId: reply.id, body: "a viewer's reply (edited)", idempotencyKey: randomUUID() })).body).toBe("a viewer's reply (edited)");
    // others' comments stay theirs
    const editorsFirst = theirs.comments[0]!.id;
    expect((await trpcError(viewer.comment.edit({ workspace: fx.ws, commentId: editorsFirst, body: "x", idempotencyKey: randomUUID() }))).code).toBe("FORBIDDEN");
    expect((await trpcError(viewer.comment.delete({ workspace: fx.ws, commentId: editorsFirst, idempotencyKey: randomUUID() }))).code).toBe("FORBIDDEN");
    expect((await viewer.comment.delete({ workspace: fx.ws, commentId: reply.id, idempotencyKey: randomUUID() })).deletedAt).toBeInstanceOf(Date);
    // resolve / reopen: their own thread yes, the editor's no (an editor may resolve the viewer's)
    expect((await viewer.comment.setResolved({ workspace: fx.ws, threadId: mine.id, resolved: true, idempotencyKey: randomUUID() })).resolvedBy?.id).toBe(fx.users.viewer);
    expect((await viewer.comment.setResolved({ workspace: fx.ws, threadId: mine.id, resolved: false, idempotencyKey: randomUUID() })).resolvedAt).toBeNull();
    const refused = await trpcError(viewer.comment.setResolved({ workspace: fx.ws, threadId: theirs.id, resolved: true, idempotencyKey: randomUUID() }));
    expect(refused.code).toBe("FORBIDDEN");
    expect(refused.message).toMatch(/a VIEWER can resolve or reopen only the threads they started/);
    expect((await as(fx.users.editor).comment.setResolved({ workspace: fx.ws, threadId: mine.id, resolved: true, idempotencyKey: randomUUID() })).resolvedBy?.id).toBe(fx.users.editor);
    // …and still cannot change the team's shared records
    const hyp = await trpcError(viewer.hypothesis.create({ ...w, name: "h", source: "states::states1", start: 0, end: 5, padLeft: 0, padRight: 0, threshold: 0.3, cells: [0] }));
    expect(hyp.code).toBe("FORBIDDEN");
    const label = await trpcError(viewer.annotation.create({ ...w, categoryId: "any", start: 0, end: 2 }));
    expect(label.code).toBe("FORBIDDEN");
  });

  it("lets only the author edit or delete a comment; a deletion keeps its place without text", async () => {
    const th = await as(fx.users.editor).comment.createThread({ workspace: fx.ws, datasetId: fx.datasetId, anchor: range(40, 41), body: "first", idempotencyKey: randomUUID() });
    const c = th.comments[0]!;
    const other = await trpcError(as(fx.users.editor2).comment.edit({ workspace: fx.ws, commentId: c.id, body: "hijack", idempotencyKey: randomUUID() }));
    expect(other.code).toBe("FORBIDDEN");
    expect(other.message).toMatch(/can be edited by its author only/);
    expect((await trpcError(as(fx.users.owner).comment.delete({ workspace: fx.ws, commentId: c.id, idempotencyKey: randomUUID() }))).message).toMatch(/deleted by its author only/);

    const edited = await as(fx.users.editor).comment.edit({ workspace: fx.ws, commentId: c.id, body: "first (edited)", idempotencyKey: randomUUID() });
    expect(edited.body).toBe("first (edited)");
    expect(edited.editedAt).toBeInstanceOf(Date);
    await as(fx.users.editor2).comment.reply({ workspace: fx.ws, threadId: th.id, body: "second", idempotencyKey: randomUUID() });

    const key = randomUUID();
    const del = await as(fx.users.editor).comment.delete({ workspace: fx.ws, commentId: c.id, idempotencyKey: key });
    expect(del).toMatchObject({ body: "", mentions: [] });
    expect(del.deletedAt).toBeInstanceOf(Date);
    expect(await as(fx.users.editor).comment.delete({ workspace: fx.ws, commentId: c.id, idempotencyKey: key })).toEqual(del);
    expect((await t.db.comment.findUniqueOrThrow({ where: { id: c.id } })).body).toBe("");
    const after = await as(fx.users.viewer).comment.thread({ workspace: fx.ws, id: th.id });
    expect(after.comments.map((x) => [x.body, x.deletedAt !== null])).toEqual([
      ["", true],
      ["second", false],
    ]);
    expect(after.commentCount).toBe(1);
    expect((await trpcError(as(fx.users.editor).comment.edit({ workspace: fx.ws, commentId: c.id, body: "again", idempotencyKey: randomUUID() }))).code).toBe("CONFLICT");
  });

  it("never duplicates a retried write: sequential retries and concurrent double submits return the first comment", async () => {
    const w = { workspace: fx.ws, datasetId: fx.datasetId };
    const input = { ...w, anchor: range(50, 60), body: "once only", idempotencyKey: randomUUID() };
    const first = await as(fx.users.editor).comment.createThread(input);
    const retry = await as(fx.users.editor).comment.createThread(input);
    expect(retry.id).toBe(first.id);
    expect(retry.comments.map((c) => c.id)).toEqual(first.comments.map((c) => c.id));

    const racing = { ...input, idempotencyKey: randomUUID(), body: "double click" };
    const threads = await Promise.all([1, 2, 3, 4].map(() => as(fx.users.editor).comment.createThread(racing)));
    expect(new Set(threads.map((x) => x.id)).size).toBe(1);
    expect(await t.db.commentThread.count({ where: { id: { in: threads.map((x) => x.id) } } })).toBe(1);
    expect(await t.db.comment.count({ where: { idempotencyKey: racing.idempotencyKey } })).toBe(1);
    // No orphan thread from the attempts that lost the race.
    expect(await t.db.commentThread.count({ where: { comments: { none: {} } } })).toBe(0);

    const replyInput = { workspace: fx.ws, threadId: first.id, body: "reply once", idempotencyKey: randomUUID() };
    const replies = await Promise.all([1, 2, 3].map(() => as(fx.users.editor2).comment.reply(replyInput)));
    expect(new Set(replies.map((r) => r.id)).size).toBe(1);
    expect((await as(fx.users.editor2).comment.reply(replyInput)).id).toBe(replies[0]!.id);
    expect(await t.db.comment.count({ where: { threadId: first.id } })).toBe(2);

    // The same key from another member is a different write.
    const samekey = await as(fx.users.editor).comment.reply({ ...replyInput, body: "mine" });
    expect(samekey.id).not.toBe(replies[0]!.id);
    // Reusing a key for a different thread is refused, not silently answered with the old comment.
    const other = await as(fx.users.editor).comment.createThread({ ...w, anchor: range(70, 71), body: "other", idempotencyKey: randomUUID() });
    const reused = await trpcError(as(fx.users.editor2).comment.reply({ ...replyInput, threadId: other.id }));
    expect(reused.code).toBe("CONFLICT");
    expect(reused.message).toMatch(/idempotency key was already used for a different comment/);
  });

  it("turns @handles of members into mentions: an inbox with unread first, mark read, edits and deletes update it", async () => {
    const w = { workspace: fx.ws, datasetId: fx.datasetId };
    const th = await as(fx.users.editor).comment.createThread({ ...w, anchor: range(80, 90), body: "@viewer @editor2 look (and @editor, and @outsider, and me@viewer.test)", idempotencyKey: randomUUID() });
    expect(th.comments[0]!.mentions.map((m) => m.handle).sort()).toEqual(["editor2", "viewer"]); // not the author, not non-members
    const older = await as(fx.users.editor2).comment.reply({ workspace: fx.ws, threadId: th.id, body: "cc @viewer.", idempotencyKey: randomUUID() });

    let box = await as(fx.users.viewer).comment.inbox({ workspace: fx.ws });
    expect(box.unread).toBe(2);
    expect(box.items.map((i) => i.comment.id)).toEqual([older.id, th.comments[0]!.id]);
    expect(box.items[0]!.thread).toEqual({ id: th.id, datasetId: fx.datasetId, hypothesisId: null, source: "states::states1", start: 80, end: 90, cells: [] });
    expect(await as(fx.users.outsider).comment.inbox({ workspace: "elsewhere" }).then((b) => b.items)).toEqual([]);

    // VIEWERs can mark their own mentions read; unread stay first.
    expect(await as(fx.users.viewer).comment.markRead({ workspace: fx.ws, ids: [box.items[1]!.id] })).toEqual({ updated: 1 });
    const later = await as(fx.users.editor).comment.reply({ workspace: fx.ws, threadId: th.id, body: "@VIEWER one more", idempotencyKey: randomUUID() });
    box = await as(fx.users.viewer).comment.inbox({ workspace: fx.ws });
    expect(box.unread).toBe(2);
    expect(box.items.map((i) => [i.comment.id, i.readAt === null])).toEqual([
      [later.id, true],
      [older.id, true],
      [th.comments[0]!.id, false],
    ]);
    expect((await as(fx.users.viewer).comment.inbox({ workspace: fx.ws, unreadOnly: true })).items).toHaveLength(2);

    // An edit that drops the mention removes it; a deleted comment leaves the inbox.
    await as(fx.users.editor).comment.edit({ workspace: fx.ws, commentId: later.id, body: "one more (never mind)", idempotencyKey: randomUUID() });
    await as(fx.users.editor2).comment.delete({ workspace: fx.ws, commentId: older.id, idempotencyKey: randomUUID() });
    box = await as(fx.users.viewer).comment.inbox({ workspace: fx.ws });
    expect(box.unread).toBe(0);
    expect(box.items.map((i) => i.comment.id)).toEqual([th.comments[0]!.id]);
    expect(await as(fx.users.editor2).comment.markRead({ workspace: fx.ws })).toEqual({ updated: 1 });
    expect((await as(fx.users.editor2).comment.inbox({ workspace: fx.ws })).unread).toBe(0);
  });
});
