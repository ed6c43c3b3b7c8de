/**
 * The realtime part of the authorization matrix: the sync server's join and write (SYNC_ACCESS in
 * access.ts) tried over real sockets by every role of workspace A, by the owner of workspace B,
 * and by B's owner holding a token that names B but A's room. Each either gets exactly what its
 * role allows or is refused; a refused write reaches nobody.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { COLLAB_SCHEMA_VERSION, roomName } from "@statescope/collab";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { createTestSyncServer, seedMembers } from "../../tests/setup/sync-server";
import { ROLE_RANK } from "../services/authz";
import type { Role } from "../services/schemas";
import { signSyncToken } from "../services/sync-tokens";
import type { SyncServer } from "../sync/server";
import { SYNC_ACCESS } from "./access";

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

function connect(token: string, doc = new Y.Doc()) {
  let closed = false;
  const provider = new WebsocketProvider(`ws://127.0.0.1:${port}`, ROOM, doc, {
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
async function join(token: string): Promise<"admitted" | "refused"> {
  const c = connect(token);
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
