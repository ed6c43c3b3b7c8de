/**
 * Admission checks the member's current role, not only the token: a token lives a minute, and a
 * membership can end or change within it.
 */
import { beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { COLLAB_SCHEMA_VERSION } from "@statescope/collab";
import { fileSyncServer, seedMembers } from "../../tests/setup/sync-server";
import { loopTurns } from "../../tests/setup/loop-turns";
import { createDb } from "../db/client";
import { memberRoles, type MemberKey } from "../services/authz";
import { signSyncToken, verifyRoomToken } from "../services/sync-tokens";
import { createPgBackend } from "./pg-backend";
import { ADMISSION_GATHER_MS, ADMIT_SLICE, batchedRoles, CLOSE_FORBIDDEN, createSyncServer, RECHECK_SLICES } from "./server";

const SECRET = "admission-secret-admission-secret-admission";
const V = String(COLLAB_SCHEMA_VERSION);

const sync = fileSyncServer(SECRET, (db) => seedMembers(db, "w1", { owner: "OWNER", demoted: "EDITOR", removed: "EDITOR" }));

/** Connect with `token`; resolves with how the server closed the socket, or "admitted" at the first document bytes. */
function attempt(room: string, token: string): Promise<{ code: number; reason: string; bytes: number } | "admitted"> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${sync.port}/${room}?token=${token}&v=${V}`);
    let bytes = 0;
    ws.on("message", (d: Buffer) => {
      bytes += d.length;
      resolve("admitted");
      ws.close();
    });
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString(), bytes }));
  });
}

describe("sync admission", () => {
  it("refuses a demoted editor's still-valid EDITOR token (no write gets in), and admits them with a new token as a viewer", async () => {
    const room = "ws:w1:demoted";
    const stale = signSyncToken(SECRET, { u: "demoted", w: "w1", r: room, role: "EDITOR" });
    expect(await attempt(room, stale)).toBe("admitted");
    await sync.t.db.membership.update({ where: { workspaceId_userId: { workspaceId: "w1", userId: "demoted" } }, data: { role: "VIEWER" } });
    expect(await attempt(room, stale)).toEqual({ code: CLOSE_FORBIDDEN, reason: "your role in this workspace is now VIEWER: reconnect with a new token", bytes: 0 });

    // and the write they try with it reaches nobody
    const ownerDoc = new Y.Doc();
    const owner = new WebsocketProvider(`ws://127.0.0.1:${sync.port}`, room, ownerDoc, { WebSocketPolyfill: WebSocket as never, disableBc: true, params: { token: signSyncToken(SECRET, { u: "owner", w: "w1", r: room, role: "OWNER" }), v: V } });
    const writerDoc = new Y.Doc();
    writerDoc.getMap("view").set("written-by-demoted", true);
    const writer = new WebsocketProvider(`ws://127.0.0.1:${sync.port}`, room, writerDoc, { WebSocketPolyfill: WebSocket as never, disableBc: true, shouldReconnect: () => false, params: { token: stale, v: V } });
    let refused = false;
    writer.on("connection-close", () => (refused = true));
    try {
      await expect.poll(() => owner.synced, { timeout: 5000 }).toBe(true);
      // the writer is through: refused, or (were the token enough) synced with its edit sent
      await expect.poll(() => refused || writer.synced, { timeout: 5000 }).toBe(true);
      ownerDoc.getMap("view").set("marker", 1);
      // the owner's own edit went round the server and back to a fresh reader; the demoted write did not
      const check = new Y.Doc();
      const reader = new WebsocketProvider(`ws://127.0.0.1:${sync.port}`, room, check, { WebSocketPolyfill: WebSocket as never, disableBc: true, params: { token: signSyncToken(SECRET, { u: "owner", w: "w1", r: room, role: "OWNER" }), v: V } });
      await expect.poll(() => check.getMap("view").get("marker"), { timeout: 5000 }).toBe(1);
      expect(check.getMap("view").get("written-by-demoted")).toBeUndefined();
      reader.destroy();
    } finally {
      owner.destroy();
      writer.destroy();
    }

    const fresh = signSyncToken(SECRET, { u: "demoted", w: "w1", r: room, role: "VIEWER" });
    expect(await attempt(room, fresh)).toBe("admitted");
  });

  it("refuses a removed member's still-valid token", async () => {
    const room = "ws:w1:removed";
    const token = signSyncToken(SECRET, { u: "removed", w: "w1", r: room, role: "EDITOR" });
    expect(await attempt(room, token)).toBe("admitted");
    await sync.t.db.membership.delete({ where: { workspaceId_userId: { workspaceId: "w1", userId: "removed" } } });
    expect(await attempt(room, token)).toEqual({ code: CLOSE_FORBIDDEN, reason: "you are not a member of this workspace any more", bytes: 0 });
    // nor a token for a workspace they never belonged to
    expect(await attempt("ws:w2:x", signSyncToken(SECRET, { u: "owner", w: "w2", r: "ws:w2:x", role: "OWNER" }))).toMatchObject({ code: CLOSE_FORBIDDEN, bytes: 0 });
  });
});

/** A sync server whose membership queries (the real ones) are recorded: how many members each asked about, and which. */
async function countedServer(recheckMs: number) {
  const db = createDb(sync.t.url);
  const asked: { at: number; keys: string[] }[] = [];
  const server = createSyncServer({
    backend: createPgBackend({ connectionString: sync.t.url }),
    recheckMs,
    authorize: async (token, room) => verifyRoomToken(SECRET, token, room),
    memberRoles: (keys: readonly MemberKey[]) => {
      asked.push({ at: performance.now(), keys: keys.map((k) => k.userId) });
      return memberRoles(db, keys);
    },
  });
  const port = await server.listen(0, "127.0.0.1");
  const room = "ws:w3:lecture";
  /** Connect as `user`: "admitted" at the first document bytes (the socket stays open unless `leave`), else the close code. */
  const tryJoin = (user: string, leave = true) =>
    new Promise<string>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/${room}?token=${signSyncToken(SECRET, { u: user, w: "w3", r: room, role: "VIEWER" })}&v=${V}`);
      ws.once("message", () => (resolve("admitted"), leave && ws.close()));
      ws.once("close", (code) => resolve(String(code)));
    });
  return {
    asked,
    tryJoin,
    async close() {
      await server.close();
      await db.$disconnect();
    },
  };
}

const crowd = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`crowd-${i}`, "VIEWER" as const]));

describe("sync admission and re-check under a crowd", () => {
  beforeAll(() => seedMembers(sync.t.db, "w3", crowd));

  it("sockets arriving together share membership queries, and each still gets its own answer", { timeout: 60_000 }, async () => {
    const s = await countedServer(60_000); // only admissions are counted here
    try {
      // 80 members and one stranger (not a member of w3) at once
      const got = await Promise.all([...Object.keys(crowd), "stranger"].map((u) => s.tryJoin(u)));
      expect(got.filter((g) => g === "admitted")).toHaveLength(80);
      expect(got.at(-1)).toBe(String(CLOSE_FORBIDDEN));
      // one query per socket before: 81 queries of one member each
      expect(s.asked.reduce((a, b) => a + b.keys.length, 0)).toBe(81);
      expect(s.asked.length).toBeLessThanOrEqual(27);
      // queries start at most every ADMISSION_GATHER_MS (timers fire a little early at times)
      const gaps = s.asked.slice(1).map((q, i) => q.at - s.asked[i]!.at);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(ADMISSION_GATHER_MS - 2);
    } finally {
      await s.close();
    }
  });

  it("the re-check reads the members in slices spread over the period, each member once per period", { timeout: 60_000 }, async () => {
    const period = 800;
    const s = await countedServer(period);
    try {
      const got = await Promise.all(Object.keys(crowd).map((u) => s.tryJoin(u, false)));
      expect(got.every((g) => g === "admitted")).toBe(true);
      const from = s.asked.length;
      await new Promise((r) => setTimeout(r, 2 * period + 100));
      const rechecks = s.asked.slice(from);
      // before: one query of all 80 members every period
      expect(Math.max(...rechecks.map((q) => q.keys.length))).toBeLessThan(80);
      expect(rechecks.length).toBeGreaterThanOrEqual(RECHECK_SLICES);
      // within any one period every member was checked
      const lastPeriod = rechecks.filter((q) => q.at >= rechecks.at(-1)!.at - period + 50);
      expect(new Set(lastPeriod.flatMap((q) => q.keys)).size).toBe(80);
    } finally {
      await s.close();
    }
  });
});

describe("a batch of admissions", () => {
  it("joins its sockets a few per turn of the event loop, so the presenter's updates are not held behind a whole batch", async () => {
    // each query answers a millisecond later, as a database does (not within the same turn)
    const roleOf = batchedRoles(async (keys) => (await new Promise((r) => setTimeout(r, 1)), keys.map(() => "VIEWER" as const)), 0);
    // a turn counter: one setImmediate per turn of the loop, as long as admissions are pending
    const turns = loopTurns();
    const settledAt: number[] = [];
    await Promise.all(Array.from({ length: 5 * ADMIT_SLICE }, (_, i) => roleOf({ workspaceId: "w1", userId: `u${i}` }).then(() => settledAt.push(turns.count))));
    turns.stop();
    const perTurn = new Map<number, number>();
    for (const t of settledAt) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    expect(settledAt).toHaveLength(5 * ADMIT_SLICE);
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(ADMIT_SLICE);
    expect(perTurn.size).toBeGreaterThanOrEqual(5);
  });
});
