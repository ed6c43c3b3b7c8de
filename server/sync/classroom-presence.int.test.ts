/**
 * Students' presence in a classroom's room, over real sockets speaking the protocol by hand: it
 * reaches the staff in the order sent and never another student, it goes to the staff together
 * (at most one frame per STAFF_PRESENCE_MS, not one per turn of the event loop), and what the
 * staff's page echoes back (y-websocket sends every update it receives) is skipped without being
 * read, while a genuinely newer state is still read and checked.
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { COLLAB_SCHEMA_VERSION } from "@statescope/collab";
import { fileSyncServer, presenceAt, seedClassSession, seedMembers } from "../../tests/setup/sync-server";
import { syncRoleOf } from "../services/classroom/sessions";
import { signSyncToken } from "../services/sync-tokens";
import { CLOSE_MALFORMED, MESSAGE_AWARENESS } from "./frames";
import { PRESENCE_BURST, readAwarenessEntries } from "./presence-gate";
import { PRESENCE_QUEUE, STAFF_PRESENCE_MS } from "./rooms";

const SECRET = "class-presence-secret-class-presence-se";
const STUDENTS = 30;
let room = "";
const ids: Record<string, string> = {};

const sync = fileSyncServer(SECRET, async (db) => {
  await seedMembers(db, "wp", { teacher: "OWNER" });
  const s = await seedClassSession(db, "wp", { code: "PRSNCEQ", archiveToken: "archive-token-presence", students: Array.from({ length: STUDENTS }, (_, i) => `S${i}`) });
  Object.assign(ids, s.ids);
  room = s.room;
});

interface Seen {
  at: number;
  entries: { clientId: number; clock: number; json: string }[];
}

/** A participant's socket by hand: every awareness frame it receives is kept, in order. */
async function join(name: string) {
  const role = syncRoleOf({ id: ids[name]!, role: name === "Teacher" ? "INSTRUCTOR" : "STUDENT" }, null);
  const token = signSyncToken(SECRET, { u: ids[name]!, w: room, r: room, role, n: name });
  const ws = new WebSocket(`ws://127.0.0.1:${sync.port}/${encodeURIComponent(room)}?token=${token}&v=${COLLAB_SCHEMA_VERSION}`);
  ws.on("error", () => undefined);
  sync.cleanup.push(() => ws.terminate());
  const seen: Seen[] = [];
  let closed: { code: number; reason: string } | null = null;
  ws.on("close", (code, reason) => (closed = { code, reason: reason.toString() }));
  ws.on("message", (data: Buffer) => {
    const d = decoding.createDecoder(new Uint8Array(data));
    if (decoding.readVarUint(d) !== MESSAGE_AWARENESS) return;
    seen.push({ at: performance.now(), entries: readAwarenessEntries(decoding.readVarUint8Array(d)) });
  });
  await new Promise<void>((ok, fail) => {
    ws.once("message", () => ok());
    ws.once("close", (code) => fail(new Error(`${name} refused: ${code}`)));
  });
  return {
    ws,
    seen,
    closed: () => closed,
    /** Entries this socket received for `clientId`, in order. */
    of: (clientId: number) => seen.flatMap((s) => s.entries.filter((e) => e.clientId === clientId)),
  };
}

/** An awareness frame of one entry whose state is `state` (JSON text, or any bytes). */
function frame(clientId: number, clock: number, state: string | Uint8Array): Uint8Array {
  const inner = encoding.createEncoder();
  encoding.writeVarUint(inner, 1);
  encoding.writeVarUint(inner, clientId);
  encoding.writeVarUint(inner, clock);
  if (typeof state === "string") encoding.writeVarString(inner, state);
  else encoding.writeVarUint8Array(inner, state);
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MESSAGE_AWARENESS);
  encoding.writeVarUint8Array(e, encoding.toUint8Array(inner));
  return encoding.toUint8Array(e);
}

const presence = (position: number) => JSON.stringify(presenceAt(position));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("students' presence in a classroom", () => {
  it("reaches the staff in the order sent, the last state last, and never another student", async () => {
    const teacher = await join("Teacher");
    const ann = await join("S0");
    const bob = await join("S1");
    const annId = 1001;
    // more frames than may wait (PRESENCE_QUEUE), sent together: some admitted at once, the rest after the broadcast
    const n = Math.min(PRESENCE_BURST, 3 * PRESENCE_QUEUE);
    for (let k = 1; k <= n; k++) ann.ws.send(frame(annId, k, presence(k)));
    await expect.poll(() => teacher.of(annId).at(-1)?.clock, { timeout: 5000 }).toBe(n);
    const clocks = teacher.of(annId).map((e) => e.clock);
    // in order: every state the staff got is newer than the one before, and the last is the last sent
    expect(clocks).toEqual([...clocks].sort((a, b) => a - b));
    expect(new Set(clocks).size).toBe(clocks.length);
    expect(JSON.parse(teacher.of(annId).at(-1)!.json)).toMatchObject({ user: { id: ids.S0, name: "S0", role: "VIEWER" }, view: { position: n } });
    // a later one as well
    ann.ws.send(frame(annId, n + 1, presence(99)));
    await expect.poll(() => teacher.of(annId).at(-1)?.clock, { timeout: 5000 }).toBe(n + 1);
    expect(JSON.parse(teacher.of(annId).at(-1)!.json)).toMatchObject({ view: { position: 99 } });
    // the other student never got any of it
    await sleep(3 * STAFF_PRESENCE_MS);
    expect(bob.of(annId)).toEqual([]);
    expect(ann.closed()).toBeNull();
    for (const s of [teacher, ann, bob]) s.ws.close();
  });

  it(`goes to the staff together: at most one frame every ${STAFF_PRESENCE_MS} ms, not one per turn of the event loop`, async () => {
    const teacher = await join("Teacher");
    const students = await Promise.all(Array.from({ length: STUDENTS - 2 }, (_, i) => join(`S${i + 2}`)));
    const before = teacher.seen.length;
    // the students' first presence, one every 5 ms (a class joining: each a frame of its own)
    const t0 = performance.now();
    for (const [i, s] of students.entries()) {
      s.ws.send(frame(2000 + i, 1, presence(i)));
      await sleep(5);
    }
    await expect.poll(() => students.every((_, i) => teacher.of(2000 + i).length > 0), { timeout: 5000 }).toBe(true);
    const spread = performance.now() - t0;
    const frames = teacher.seen.slice(before).filter((s) => s.entries.some((e) => e.clientId >= 2000));
    // one per STAFF_PRESENCE_MS at most (+1: a window already open when the first came); before: about one per student
    expect(frames.length).toBeLessThanOrEqual(Math.ceil(spread / STAFF_PRESENCE_MS) + 1);
    expect(frames.length).toBeLessThan(students.length / 2);
    for (let k = 1; k < frames.length; k++) expect(frames[k]!.at - frames[k - 1]!.at).toBeGreaterThan(STAFF_PRESENCE_MS / 2);
    for (const s of [teacher, ...students]) s.ws.close();
  });

  it("skips the staff page's echo without reading it; a newer state is read and checked", async () => {
    const teacher = await join("Teacher");
    const ann = await join("S0");
    const annId = 3001;
    ann.ws.send(frame(annId, 7, presence(7)));
    await expect.poll(() => teacher.of(annId).at(-1)?.clock, { timeout: 5000 }).toBe(7);
    // the page sends back what it received: the same clock — whatever the bytes, they are not read
    // (here not even UTF-8: reading them would count as malformed frames and close the socket)
    const garbled = Uint8Array.from([0xff, 0xfe, 0xfd, 0x80]);
    for (let k = 0; k < 5; k++) teacher.ws.send(frame(annId, 7, garbled));
    // the teacher's own presence, after the echoes, is applied and reaches the student
    const teacherId = 3002;
    teacher.ws.send(frame(teacherId, 1, presence(5)));
    await expect.poll(() => ann.of(teacherId).length, { timeout: 5000 }).toBe(1);
    expect(JSON.parse(ann.of(teacherId)[0]!.json)).toMatchObject({ user: { name: "Teacher", role: "OWNER" }, view: { position: 5 } });
    expect(teacher.closed()).toBeNull();
    // a genuinely newer state from the student still goes through, and the echo changed nothing
    ann.ws.send(frame(annId, 8, presence(8)));
    await expect.poll(() => teacher.of(annId).at(-1)?.clock, { timeout: 5000 }).toBe(8);
    expect(JSON.parse(teacher.of(annId).at(-1)!.json)).toMatchObject({ view: { position: 8 } });
    // a newer state is read: not UTF-8 there is malformed, and a few of those close the socket
    for (let clock = 2; clock <= 4; clock++) teacher.ws.send(frame(teacherId, clock, garbled));
    await expect.poll(() => teacher.closed()?.code, { timeout: 5000 }).toBe(CLOSE_MALFORMED);
    expect(ann.closed()).toBeNull();
    ann.ws.close();
  });
});
