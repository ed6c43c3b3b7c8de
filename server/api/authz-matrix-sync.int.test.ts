/**
 * The realtime part of the authorization matrix: the sync server's join and write (SYNC_ACCESS in
 * access.ts) tried over real sockets by every role of workspace A, by the owner of workspace B,
 * and by B's owner holding a token that names B but A's room. Each either gets exactly what its
 * role allows or is refused; a refused write reaches nobody. The same for a classroom session's
 * room (CLASS_SYNC_ROLES): every session role with the ticket the app issues it (instructor, TA,
 * the presenter, a signed-in student, a guest), a removed student and a participant of an ended
 * session with the tickets they held before, and forged or misissued tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { classRoomName, COLLAB_SCHEMA_VERSION, roomName } from "@statescope/collab";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { createTestSyncServer, seedMembers } from "../../tests/setup/sync-server";
import { ROLE_RANK } from "../services/authz";
import type { Role } from "../services/schemas";
import { findParticipant } from "../services/classroom/sessions";
import { issueClassTicket } from "../services/classroom/sync";
import { signSyncToken } from "../services/sync-tokens";
import type { SyncServer } from "../sync/server";
import { CLASS_SYNC_ROLES, SYNC_ACCESS } from "./access";

const SECRET = "matrix-sync-secret-matrix-sync-secret-0123";
const V = String(COLLAB_SCHEMA_VERSION);
const ROLES: Role[] = ["VIEWER", "EDITOR", "OWNER"];
const ROOM = roomName("wa", "dataset-a");
let t: TestDatabase;
let server: SyncServer;
let port = 0;
const open: WebsocketProvider[] = [];

beforeAll(async () => {
  t = await freshDatabase();
  await seedMembers(t.db, "wa", { "a-viewer": "VIEWER", "a-editor": "EDITOR", "a-owner": "OWNER" });
  await seedMembers(t.db, "wb", { "b-owner": "OWNER" });
  server = createTestSyncServer(t.url, SECRET);
  port = await server.listen(0, "127.0.0.1");
});
afterAll(async () => {
  for (const p of open) p.destroy();
  await server.close();
  await t.drop();
});

interface Caller {
  name: string;
  token: string;
  /** The role the table compares with (null: not a member of the room's workspace). */
  role: Role | null;
}

const member = (role: Role): Caller => ({ name: `A's ${role}`, token: signSyncToken(SECRET, { u: `a-${role.toLowerCase()}`, w: "wa", r: ROOM, role }), role });
const CALLERS: Caller[] = [
  ...ROLES.map(member),
  // a member of another workspace holding a token for our room, as a forged or misissued one would be
  { name: "B's owner, token naming workspace A", token: signSyncToken(SECRET, { u: "b-owner", w: "wa", r: ROOM, role: "OWNER" }), role: null },
  { name: "B's owner, token naming workspace B", token: signSyncToken(SECRET, { u: "b-owner", w: "wb", r: ROOM, role: "OWNER" }), role: null },
];

const allowed = (c: Caller, minimum: Role) => c.role !== null && ROLE_RANK[c.role] >= ROLE_RANK[minimum];

function connect(token: string, room = ROOM, doc = new Y.Doc()) {
  let closed = false;
  const provider = new WebsocketProvider(`ws://127.0.0.1:${port}`, room, doc, {
    WebSocketPolyfill: WebSocket as never,
    disableBc: true,
    shouldReconnect: () => false,
    params: { token, v: V },
  });
  provider.on("connection-close", () => (closed = true));
  open.push(provider);
  return { doc, provider, closed: () => closed };
}

/** Admitted (the document arrived) or refused (closed before it). */
async function join(token: string, room = ROOM): Promise<"admitted" | "refused"> {
  const c = connect(token, room);
  await expect.poll(() => c.provider.synced || c.closed(), { timeout: 10_000 }).toBe(true);
  const out = c.provider.synced ? "admitted" : "refused";
  c.provider.destroy();
  return out;
}

describe("authorization matrix: the realtime room", () => {
  it(`join needs ${SYNC_ACCESS.join}: every role of the workspace at or above it is admitted, everyone else refused`, async () => {
    const got = Object.fromEntries(await Promise.all(CALLERS.map(async (c) => [c.name, await join(c.token)] as const)));
    expect(got).toEqual(Object.fromEntries(CALLERS.map((c) => [c.name, allowed(c, SYNC_ACCESS.join) ? "admitted" : "refused"])));
  });

  it(`write needs ${SYNC_ACCESS.write}: only those callers' document updates reach a fresh reader`, { timeout: 60_000 }, async () => {
    for (const c of CALLERS) {
      const w = connect(c.token);
      await expect.poll(() => w.provider.synced || w.closed(), { timeout: 10_000 }).toBe(true);
      w.doc.getMap("view").set(c.name, true);
      w.doc.getMap("view").set("last", c.name);
      // an owner's marker after it: once a fresh reader sees the marker, the caller's write had its chance
      const marker = connect(member("OWNER").token);
      await expect.poll(() => marker.provider.synced, { timeout: 10_000 }).toBe(true);
      marker.doc.getMap("marks").set(c.name, true);
      const reader = connect(member("OWNER").token);
      await expect.poll(() => reader.doc.getMap("marks").get(c.name), { timeout: 10_000 }).toBe(true);
      expect({ caller: c.name, wrote: reader.doc.getMap("view").get(c.name) === true }).toEqual({ caller: c.name, wrote: allowed(c, SYNC_ACCESS.write) });
      for (const p of [w, marker, reader]) p.provider.destroy();
    }
  });
});

describe("authorization matrix: a classroom session's room", () => {
  /** Session roles with the tickets the app issued them; `role` is what the table gives (null: refused). */
  let CLASS: (Caller & { room: string })[] = [];
  let CLASS_ROOM = "";
  let instructorToken = "";

  beforeAll(async () => {
    const ds = await t.db.dataset.create({ data: { workspaceId: "wa", name: "class data", status: "READY" }, select: { id: true } });
    const signedIn = await t.db.user.create({ data: { email: "student@sync.test", name: "Signed-in student" }, select: { id: true } });
    const session = (title: string, code: string, people: { name: string; role: "INSTRUCTOR" | "TA" | "STUDENT"; userId?: string }[]) =>
      t.db.classSession.create({
        data: { workspaceId: "wa", datasetId: ds.id, code, title, archiveToken: `archive-${code}`, participants: { create: people } },
        select: { id: true, participants: { select: { id: true, name: true } } },
      });
    const live = await session("live", "ACDEFGH", [
      { name: "Instructor", role: "INSTRUCTOR", userId: "a-owner" },
      { name: "TA", role: "TA", userId: "a-editor" },
      { name: "Presenter", role: "STUDENT" },
      { name: "Signed-in student", role: "STUDENT", userId: signedIn.id },
      { name: "Guest", role: "STUDENT" },
      { name: "Removed", role: "STUDENT" },
    ]);
    const ended = await session("ended", "JKMNPQR", [{ name: "Ended student", role: "STUDENT" }]);
    const id = (s: typeof live, name: string) => s.participants.find((p) => p.name === name)!.id;
    await t.db.classSession.update({ where: { id: live.id }, data: { presenterId: id(live, "Presenter") } });
    CLASS_ROOM = classRoomName(live.id);
    const settings = { secret: SECRET, requestOrigin: "http://127.0.0.1:3000", syncPort: port };
    // the ticket the app issues each participant (classroom.ticket), while they are all still in
    const ticket = async (s: typeof live, name: string) => issueClassTicket((await findParticipant(t.db, { userId: null, credential: { s: s.id, p: id(s, name), exp: Math.floor(Date.now() / 1000) + 600 } }, s.id))!, settings).token;
    const issued = Object.fromEntries(await Promise.all([...live.participants.map((p) => p.name), "Ended student"].map(async (n) => [n, await ticket(n === "Ended student" ? ended : live, n)] as const)));
    instructorToken = issued.Instructor!;
    await t.db.classParticipant.update({ where: { id: id(live, "Removed") }, data: { removedAt: new Date() } });
    await t.db.classSession.update({ where: { id: ended.id }, data: { endedAt: new Date() } });
    const other = (u: string, w: string, role: Role) => signSyncToken(SECRET, { u, w, r: CLASS_ROOM, role });
    const caller = (name: string, token: string, role: Role | null, room = CLASS_ROOM) => ({ name, token, role, room });
    CLASS = [
      caller("instructor", issued.Instructor!, CLASS_SYNC_ROLES.INSTRUCTOR),
      caller("TA", issued.TA!, CLASS_SYNC_ROLES.TA),
      caller("presenter (a student)", issued.Presenter!, CLASS_SYNC_ROLES.presenter),
      caller("signed-in student", issued["Signed-in student"]!, CLASS_SYNC_ROLES.STUDENT),
      caller("guest student", issued.Guest!, CLASS_SYNC_ROLES.STUDENT),
      caller("removed student, ticket from before", issued.Removed!, null),
      caller("participant of an ended session, ticket from before", issued["Ended student"]!, null, classRoomName(ended.id)),
      caller("participant of another session, token naming this room", other(id(ended, "Ended student"), CLASS_ROOM, "VIEWER"), null),
      caller("a guest with a token claiming OWNER", other(id(live, "Guest"), CLASS_ROOM, "OWNER"), null),
      caller("workspace A's owner, not as a participant", other("a-owner", CLASS_ROOM, "OWNER"), null),
      caller("workspace A's owner, token naming workspace A", other("a-owner", "wa", "OWNER"), null),
    ];
  });

  it(`join needs ${SYNC_ACCESS.join} (CLASS_SYNC_ROLES): every session role is admitted; removed, ended and forged are refused`, async () => {
    const got: Record<string, string> = {};
    for (const c of CLASS) got[c.name] = await join(c.token, c.room);
    expect(got).toEqual(Object.fromEntries(CLASS.map((c) => [c.name, allowed(c, SYNC_ACCESS.join) ? "admitted" : "refused"])));
  });

  it(`write needs ${SYNC_ACCESS.write}: the instructor, TAs and the presenter write; students' and refused callers' writes reach nobody`, { timeout: 90_000 }, async () => {
    for (const c of CLASS.filter((x) => x.room === CLASS_ROOM)) {
      const w = connect(c.token, CLASS_ROOM);
      await expect.poll(() => w.provider.synced || w.closed(), { timeout: 10_000 }).toBe(true);
      w.doc.getMap("view").set(c.name, true);
      const marker = connect(instructorToken, CLASS_ROOM);
      await expect.poll(() => marker.provider.synced, { timeout: 10_000 }).toBe(true);
      marker.doc.getMap("marks").set(c.name, true);
      const reader = connect(instructorToken, CLASS_ROOM);
      await expect.poll(() => reader.doc.getMap("marks").get(c.name), { timeout: 10_000 }).toBe(true);
      expect({ caller: c.name, wrote: reader.doc.getMap("view").get(c.name) === true }).toEqual({ caller: c.name, wrote: allowed(c, SYNC_ACCESS.write) });
      for (const p of [w, marker, reader]) p.provider.destroy();
    }
  });
});
