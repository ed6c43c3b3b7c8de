/**
 * A classroom session's room over real sockets: the presenter's writes reach every student, a
 * student's writes are dropped, students' presence reaches the instructor only (never another
 * student), stored answers signal the staff (never the students) across sync processes, and a
 * removed student's socket is closed by the membership re-check.
 */
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import * as decoding from "lib0/decoding";
import { COLLAB_SCHEMA_VERSION, MESSAGE_ROLE, MESSAGE_SIGNAL, type Presence } from "@statescope/collab";
import { createTestSyncServer, fileSyncServer, presenceAt, seedClassSession, seedMembers } from "../../tests/setup/sync-server";
import { findParticipant, syncRoleOf } from "../services/classroom/sessions";
import { poseTask, submitAnswer } from "../services/classroom/tasks";
import { signSyncToken } from "../services/sync-tokens";

const SECRET = "classroom-sync-secret-classroom-sync";
let room = "";
let sessionId = "";
const ids: Record<string, string> = {};

const sync = fileSyncServer(SECRET, async (db) => {
  await seedMembers(db, "wc", { teacher: "OWNER" });
  const s = await seedClassSession(db, "wc", { code: "ACDEFGH", archiveToken: "archive-token", students: ["Ann", "Bob"] });
  Object.assign(ids, s.ids);
  sessionId = s.sessionId;
  room = s.room;
}, { recheckMs: 200 });

function join(name: string, at = sync.port) {
  const role = syncRoleOf({ id: ids[name]!, role: name === "Teacher" ? "INSTRUCTOR" : "STUDENT" }, null);
  const token = signSyncToken(SECRET, { u: ids[name]!, w: room, r: room, role, n: name });
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`ws://127.0.0.1:${at}`, room, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true, params: { token, v: String(COLLAB_SCHEMA_VERSION) } });
  sync.cleanup.push(() => provider.destroy());
  return { doc, provider };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whose presence a client sees (the others', as the server stamped them). */
const names = (p: WebsocketProvider) => [...p.awareness.getStates()].filter(([id]) => id !== p.awareness.clientID).map(([, s]) => (s as Presence).user.name).sort();

describe("classroom room", () => {
  it("one writer, many read-only listeners; students' presence goes to the staff only", async () => {
    const teacher = join("Teacher");
    const ann = join("Ann");
    const bob = join("Bob");
    await until(() => teacher.provider.synced && ann.provider.synced && bob.provider.synced, "all synced");
    teacher.provider.awareness.setLocalState(presenceAt(10));
    ann.provider.awareness.setLocalState(presenceAt(20));
    bob.provider.awareness.setLocalState(presenceAt(30));
    await until(() => names(teacher.provider).length === 2, "the teacher sees both students");
    expect(names(teacher.provider)).toEqual(["Ann", "Bob"]);
    // the presenter's view reaches the students
    teacher.doc.getMap("view").set("position", 42);
    await until(() => ann.doc.getMap("view").get("position") === 42 && bob.doc.getMap("view").get("position") === 42, "the presenter's write");
    // a student's write is dropped (never merged, never broadcast); the next presenter write still arrives
    ann.doc.getMap("view").set("position", 666);
    teacher.doc.getMap("view").set("position", 43);
    await until(() => bob.doc.getMap("view").get("position") === 43, "the second presenter write");
    await new Promise((r) => setTimeout(r, 200));
    expect(teacher.doc.getMap("view").get("position")).toBe(43);
    // a student sees the teacher's presence, never another student's — including after presence changes
    bob.provider.awareness.setLocalState(presenceAt(31));
    await until(() => (teacher.provider.awareness.getStates().get(bob.doc.clientID) as Presence | undefined)?.view?.position === 31, "Bob's move reaching the teacher");
    expect(names(ann.provider)).toEqual(["Teacher"]);
    expect(names(bob.provider)).toEqual(["Teacher"]);
    // a late student gets the staff's presence only
    const late = join("Ann");
    await until(() => late.provider.synced && names(late.provider).includes("Teacher"), "the late joiner's first presence");
    expect(names(late.provider)).toEqual(["Teacher"]);
    for (const p of [late, teacher, ann, bob]) p.provider.destroy();
  });

  it("a student made presenter writes on the same connection, and hands the role back without a reconnect", async () => {
    const teacher = join("Teacher");
    const ann = join("Ann");
    const bob = join("Bob");
    let annClosed: number | null = null;
    ann.provider.on("connection-close", (e) => (annClosed = (e as { code: number } | null)?.code ?? 0));
    const told: string[] = [];
    ann.provider.messageHandlers[MESSAGE_ROLE] = (_reply, d) => void told.push(decoding.readVarString(d));
    await until(() => teacher.provider.synced && ann.provider.synced && bob.provider.synced, "all synced");
    teacher.provider.awareness.setLocalState(presenceAt(10));
    ann.provider.awareness.setLocalState(presenceAt(20));
    bob.provider.awareness.setLocalState(presenceAt(30));
    await until(() => names(teacher.provider).length === 2 && names(ann.provider).length === 1, "the teacher sees both students, Ann the teacher");
    expect(names(ann.provider)).toEqual(["Teacher"]);

    await sync.t.db.classSession.update({ where: { id: sessionId }, data: { presenterId: ids.Ann } });
    await until(() => told.includes("EDITOR"), "Ann told she may write");
    // the presenter's writes reach everyone; as staff now, Ann gets the students' presence
    ann.doc.getMap("view").set("position", 77);
    await until(() => bob.doc.getMap("view").get("position") === 77 && teacher.doc.getMap("view").get("position") === 77, "Ann's write as presenter");
    await until(() => names(ann.provider).includes("Bob"), "Bob's presence reaching Ann");

    // handed back: read-only again on the same socket
    await sync.t.db.classSession.update({ where: { id: sessionId }, data: { presenterId: null } });
    await until(() => told.at(-1) === "VIEWER", "Ann told she is a student again");
    ann.doc.getMap("view").set("position", 78);
    teacher.doc.getMap("view").set("marker", 1);
    await until(() => bob.doc.getMap("view").get("marker") === 1, "the teacher's marker");
    await new Promise((r) => setTimeout(r, 200));
    expect(bob.doc.getMap("view").get("position")).toBe(77);
    expect(teacher.doc.getMap("view").get("position")).toBe(77);
    expect(annClosed).toBeNull();
    for (const p of [teacher, ann, bob]) p.provider.destroy();
  });

  it("stored answers signal the room's staff on every sync process, never a student", async () => {
    // a second sync process: the signal comes through Postgres to each process with the room loaded
    const other = createTestSyncServer(sync.t.url, SECRET, { recheckMs: 200 });
    const otherPort = await other.listen(0, "127.0.0.1");
    try {
      const teacher = join("Teacher");
      const ta = join("Teacher", otherPort);
      const ann = join("Ann");
      const bob = join("Bob", otherPort);
      const heard = new Map<WebsocketProvider, string[]>();
      for (const p of [teacher, ta, ann, bob]) {
        heard.set(p.provider, []);
        p.provider.messageHandlers[MESSAGE_SIGNAL] = (_reply, d) => void heard.get(p.provider)!.push(decoding.readVarString(d));
      }
      await until(() => [teacher, ta, ann, bob].every((p) => p.provider.synced), "all synced");
      const me = (await findParticipant(sync.t.db, { userId: "teacher", credential: null }, sessionId))!;
      const { taskId } = await poseTask(sync.t.db, me, { kind: "POLL", prompt: "which?", options: ["a", "b"] });
      await submitAnswer(sync.t.db, { userId: null, credential: { s: sessionId, p: ids.Ann!, exp: Date.now() + 60_000 } }, sessionId, { taskId, choice: 1 });
      await until(() => heard.get(teacher.provider)!.length > 0 && heard.get(ta.provider)!.length > 0, "the staff on both processes told");
      expect(heard.get(teacher.provider)).toEqual(["tasks"]);
      expect(heard.get(ta.provider)).toEqual(["tasks"]);
      // an answer that is not stored (a choice the poll does not have) signals nothing
      await expect(submitAnswer(sync.t.db, { userId: null, credential: { s: sessionId, p: ids.Bob!, exp: Date.now() + 60_000 } }, sessionId, { taskId, choice: 5 })).rejects.toThrow(/choose one of the 2 options/);
      await submitAnswer(sync.t.db, { userId: null, credential: { s: sessionId, p: ids.Bob!, exp: Date.now() + 60_000 } }, sessionId, { taskId, choice: 0 });
      await until(() => heard.get(teacher.provider)!.length === 2 && heard.get(ta.provider)!.length === 2, "the second answer told");
      await new Promise((r) => setTimeout(r, 300));
      expect(heard.get(teacher.provider)).toEqual(["tasks", "tasks"]);
      expect(heard.get(ann.provider)).toEqual([]);
      expect(heard.get(bob.provider)).toEqual([]);
      for (const p of [teacher, ta, ann, bob]) p.provider.destroy();
    } finally {
      await other.close();
    }
  });

  it("a removed student's socket is closed by the re-check", async () => {
    const bob = join("Bob");
    const closed = new Promise<number>((r) => bob.provider.on("connection-close", (e) => r((e as { code: number } | null)?.code ?? 0)));
    await until(() => bob.provider.synced, "Bob synced");
    await sync.t.db.classParticipant.update({ where: { id: ids.Bob! }, data: { removedAt: new Date() } });
    expect(await closed).toBe(4403);
  });
});
