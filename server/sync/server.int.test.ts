import net from "node:net";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { CLOSE_SCHEMA_MISMATCH, COLLAB_SCHEMA_VERSION, type Presence } from "@statescope/collab";
import { createTestSyncServer, fileSyncServer, presenceAt, seedMembers } from "../../tests/setup/sync-server";
import { signSyncToken } from "../services/sync-tokens";
import { CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, JOIN_LOG_MS } from "./server";

const SECRET = "test-secret-test-secret-test-secret";
const V = String(COLLAB_SCHEMA_VERSION);

const sync = fileSyncServer(SECRET, async (db) => {
  const editors = ["a", "b", "e", "g", "c", "big", "ok", "alice", "bob", ...Array.from({ length: 40 }, (_, i) => `bad${i}`)];
  await seedMembers(db, "w1", { ...Object.fromEntries(editors.map((u) => [u, "EDITOR" as const])), v: "VIEWER", first: "EDITOR", second: "EDITOR", ...Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`class${i}`, "VIEWER" as const])) });
});

function closeOf(url: string): Promise<{ code: number; reason: string; bytes: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    let bytes = 0;
    ws.on("message", (d: Buffer) => (bytes += d.length));
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString(), bytes }));
  });
}

// disableBc: providers in one process would otherwise sync through BroadcastChannel, not the server.
describe("sync server", () => {
  it("refuses a missing, forged or foreign token with 4401/4403 before any document bytes", async () => {
    const none = await closeOf(`ws://127.0.0.1:${sync.port}/ws:w1:d1?v=${V}`);
    expect(none).toEqual({ code: CLOSE_UNAUTHENTICATED, reason: "no realtime token: reload the page to get one", bytes: 0 });
    const forged = signSyncToken("another-secret-another-secret!!", { u: "u", w: "w1", r: "ws:w1:d1", role: "OWNER" });
    expect((await closeOf(`ws://127.0.0.1:${sync.port}/ws:w1:d1?token=${forged}&v=${V}`)).code).toBe(CLOSE_UNAUTHENTICATED);
    const other = signSyncToken(SECRET, { u: "u", w: "w1", r: "ws:w1:other", role: "OWNER" });
    const foreign = await closeOf(`ws://127.0.0.1:${sync.port}/ws:w1:d1?token=${other}&v=${V}`);
    expect(foreign).toEqual({ code: CLOSE_FORBIDDEN, reason: "this token is for another room", bytes: 0 });
    const expired = signSyncToken(SECRET, { u: "u", w: "w1", r: "ws:w1:d1", role: "OWNER" }, Date.now() - 3600_000);
    expect((await closeOf(`ws://127.0.0.1:${sync.port}/ws:w1:d1?token=${expired}&v=${V}`)).reason).toMatch(/expired/);
  });

  it("refuses a page speaking another (or no) schema version with 4426 and tells it to reload", async () => {
    const token = signSyncToken(SECRET, { u: "u", w: "w1", r: "ws:w1:d1", role: "OWNER" });
    const old = await closeOf(`ws://127.0.0.1:${sync.port}/ws:w1:d1?token=${token}&v=0`);
    expect(old.code).toBe(CLOSE_SCHEMA_MISMATCH);
    expect(old.reason).toMatch(/schema version 0.*reload the page/);
    expect(old.bytes).toBe(0);
    const none = await closeOf(`ws://127.0.0.1:${sync.port}/ws:w1:d1?token=${token}`);
    expect(none).toMatchObject({ code: CLOSE_SCHEMA_MISMATCH, bytes: 0 });
    expect(none.reason).toMatch(/no schema version.*reload/);
  });

  it("converges two documents in the same room over real sockets", async () => {
    const room = "ws:w1:dataset-1";
    const token = (u: string) => signSyncToken(SECRET, { u, w: "w1", r: room, role: "EDITOR" });
    const docA = new Y.Doc();
    const docB = new Y.Doc();
    const a = new WebsocketProvider(`ws://127.0.0.1:${sync.port}`, room, docA, { WebSocketPolyfill: WebSocket as never, disableBc: true, params: { token: token("a"), v: V } });
    const b = new WebsocketProvider(`ws://127.0.0.1:${sync.port}`, room, docB, { WebSocketPolyfill: WebSocket as never, disableBc: true, params: { token: token("b"), v: V } });
    docA.getMap("view").set("threshold", 0.42);
    docB.getMap("view").set("position", 1200);
    await expect.poll(() => docB.getMap("view").get("threshold"), { timeout: 5000 }).toBe(0.42);
    await expect.poll(() => docA.getMap("view").get("position"), { timeout: 5000 }).toBe(1200);
    a.destroy();
    b.destroy();
  });
});

describe("read-only members", () => {
  it("drops a VIEWER's document writes but still sends them the document", async () => {
    const room = "ws:w1:dataset-2";
    const tok = (u: string, role: "EDITOR" | "VIEWER") => signSyncToken(SECRET, { u, w: "w1", r: room, role });
    const editorDoc = new Y.Doc();
    const viewerDoc = new Y.Doc();
    const editor = new WebsocketProvider(`ws://127.0.0.1:${sync.port}`, room, editorDoc, { WebSocketPolyfill: WebSocket as never, disableBc: true, params: { token: tok("e", "EDITOR"), v: V } });
    const viewer = new WebsocketProvider(`ws://127.0.0.1:${sync.port}`, room, viewerDoc, { WebSocketPolyfill: WebSocket as never, disableBc: true, params: { token: tok("v", "VIEWER"), v: V } });
    editorDoc.getMap("view").set("threshold", 0.5);
    await expect.poll(() => viewerDoc.getMap("view").get("threshold"), { timeout: 5000 }).toBe(0.5);
    viewerDoc.getMap("view").set("threshold", 0.9);
    viewerDoc.getMap("view").set("hijack", true);
    // a round trip proves the server has read those writes: the viewer's presence, sent on the
    // same socket after them, reaches the editor (the server handles one socket's frames in order)
    viewer.awareness.setLocalState(presenceAt(77));
    await expect.poll(() => (editor.awareness.getStates().get(viewerDoc.clientID) as Presence | undefined)?.view?.position, { timeout: 5000 }).toBe(77);
    expect(editorDoc.getMap("view").get("threshold")).toBe(0.5);
    expect(editorDoc.getMap("view").get("hijack")).toBeUndefined();
    editor.destroy();
    viewer.destroy();
  });
});

describe("malformed frames", () => {
  it("closes only the sender after a few malformed frames and merges nothing", async () => {
    const room = "ws:w1:dataset-3";
    const tok = (u: string) => signSyncToken(SECRET, { u, w: "w1", r: room, role: "EDITOR" });
    const goodDoc = new Y.Doc();
    const good = new WebsocketProvider(`ws://127.0.0.1:${sync.port}`, room, goodDoc, { WebSocketPolyfill: WebSocket as never, disableBc: true, params: { token: tok("g"), v: V } });
    goodDoc.getMap("view").set("threshold", 0.25);
    await expect.poll(() => good.synced, { timeout: 5000 }).toBe(true);

    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    let closes = 0;
    for (let round = 0; round < 40; round++) {
      const raw = new WebSocket(`ws://127.0.0.1:${sync.port}/${room}?token=${tok(`bad${round}`)}&v=${V}`);
      await new Promise<void>((r) => raw.once("open", () => r()));
      const closed = new Promise<number>((r) => raw.once("close", (code) => r(code)));
      // ~50 random frames each (2,000 in all): random bytes and corrupted sync updates
      for (let i = 0; i < 50 && raw.readyState === raw.OPEN; i++) {
        const body = Uint8Array.from({ length: 1 + (rnd() % 30) }, rnd);
        raw.send(i % 2 ? body : Uint8Array.from([0, 2, body.length, ...body]));
      }
      const code = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 3000))]);
      if (code === 4400) closes++;
      raw.terminate();
    }
    expect(closes).toBe(40);
    // the good client is still connected and its document is intact and still syncing
    goodDoc.getMap("view").set("position", 7);
    const checkDoc = new Y.Doc();
    const check = new WebsocketProvider(`ws://127.0.0.1:${sync.port}`, room, checkDoc, { WebSocketPolyfill: WebSocket as never, disableBc: true, params: { token: tok("c"), v: V } });
    await expect.poll(() => checkDoc.getMap("view").get("position"), { timeout: 5000 }).toBe(7);
    expect(checkDoc.getMap("view").toJSON()).toEqual({ threshold: 0.25, position: 7 });
    good.destroy();
    check.destroy();
  });
});

describe("frame size limit", () => {
  it("closes a socket that sends a frame over the limit (1009) and keeps serving the others", async () => {
    const room = "ws:w1:dataset-big";
    const tok = (u: string) => signSyncToken(SECRET, { u, w: "w1", r: room, role: "EDITOR" });
    const raw = new WebSocket(`ws://127.0.0.1:${sync.port}/${room}?token=${tok("big")}&v=${V}`);
    await new Promise<void>((r) => raw.once("open", () => r()));
    const closed = new Promise<number>((r) => raw.once("close", (code) => r(code)));
    raw.on("error", () => undefined);
    raw.send(new Uint8Array(2 << 20));
    expect(await closed).toBe(1009);
    const doc = new Y.Doc();
    const p = new WebsocketProvider(`ws://127.0.0.1:${sync.port}`, room, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true, params: { token: tok("ok"), v: V } });
    await expect.poll(() => p.synced, { timeout: 5000 }).toBe(true);
    p.destroy();
  });
});

describe("revocation", () => {
  it("closes a revoked member's socket with 4403 within the recheck period", async () => {
    const srv = createTestSyncServer(sync.t.url, SECRET, { recheckMs: 200 });
    const p = await srv.listen(0, "127.0.0.1");
    try {
      const room = "ws:w1:dataset-4";
      const sock = (u: string) => new WebSocket(`ws://127.0.0.1:${p}/${room}?token=${signSyncToken(SECRET, { u, w: "w1", r: room, role: "EDITOR" })}&v=${V}`);
      const a = sock("alice");
      const b = sock("bob");
      // admitted (the first document bytes arrive), not merely connected
      await Promise.all([a, b].map((s) => new Promise<void>((r) => s.once("message", () => r()))));
      const closedAt = new Promise<{ code: number; reason: string; ms: number }>((r) => {
        const t0 = Date.now();
        a.once("close", (code, reason) => r({ code, reason: reason.toString(), ms: Date.now() - t0 }));
      });
      await sync.t.db.membership.delete({ where: { workspaceId_userId: { workspaceId: "w1", userId: "alice" } } });
      const c = await closedAt;
      expect(c.code).toBe(4403);
      expect(c.reason).toMatch(/revoked/);
      expect(c.ms).toBeLessThan(5000);
      expect(b.readyState).toBe(b.OPEN);
      b.close();
    } finally {
      await srv.close();
    }
  });
});

describe("the join log", () => {
  it("logs a lone join at once and gathers the joins that follow into one line per room and role, naming every user", async () => {
    const lines: string[] = [];
    const srv = createTestSyncServer(sync.t.url, SECRET, { log: (l) => lines.push(l) });
    const p = await srv.listen(0, "127.0.0.1");
    const open: WebSocket[] = [];
    try {
      const room = "ws:w1:join-log";
      const admitted = (u: string, role: "EDITOR" | "VIEWER") => {
        const ws = new WebSocket(`ws://127.0.0.1:${p}/${room}?token=${signSyncToken(SECRET, { u, w: "w1", r: room, role })}&v=${V}`);
        open.push(ws);
        return new Promise<void>((r) => ws.once("message", () => r()));
      };
      await admitted("first", "EDITOR");
      // the first join is in the log before the next one comes
      expect(lines.filter((l) => l.includes("joined"))).toEqual([`user first joined ${room} as EDITOR`]);
      const students = Array.from({ length: 6 }, (_, i) => `class${i}`);
      const t0 = performance.now();
      await Promise.all([admitted("second", "EDITOR"), ...students.map((u) => admitted(u, "VIEWER"))]);
      // (all within the first's period, so each role's joins are in one line)
      expect(performance.now() - t0).toBeLessThan(JOIN_LOG_MS / 2);
      await expect.poll(() => lines.filter((l) => l.includes("joined")).length, { timeout: JOIN_LOG_MS * 3 }).toBe(3);
      const [, ...gathered] = lines.filter((l) => l.includes("joined"));
      const viewers = gathered.find((l) => l.includes("as VIEWER"));
      expect(viewers).toMatch(new RegExp(`^6 users joined ${room} as VIEWER: `));
      expect(viewers!.slice(viewers!.indexOf(": ") + 2).split(", ").sort()).toEqual(students);
      expect(gathered).toContain(`user second joined ${room} as EDITOR`);
    } finally {
      for (const ws of open) ws.terminate();
      await srv.close();
    }
  });
});

describe("an upgrade to a target the URL parser refuses", () => {
  it("is refused and the server keeps serving (it ended the sync process)", async () => {
    const answer = await new Promise<string>((resolve) => {
      const s = net.connect(sync.port, "127.0.0.1", () =>
        s.write(`GET //[ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`),
      );
      let got = "";
      s.on("data", (d: Buffer) => (got += d.toString("latin1")));
      s.on("close", () => resolve(got));
      s.on("error", () => resolve(got));
    });
    // accepted and closed at once (no schema version: reload), as any socket naming nothing
    expect(answer).toMatch(/^HTTP\/1\.1 101 /);
    const room = "ws:w1:after-bad-target";
    const ok = new WebSocket(`ws://127.0.0.1:${sync.port}/${room}?token=${signSyncToken(SECRET, { u: "ok", w: "w1", r: room, role: "EDITOR" })}&v=${V}`);
    await new Promise<void>((r) => ok.once("message", () => r()));
    ok.terminate();
  });
});
