/**
 * Rooms at unit level: real sockets and the room logic, with storage and relay in memory (their
 * contract suite proves them equal to the Postgres ones; the sync server's own integration
 * tests run on Postgres). Two room sets on one hub are two sync processes.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { COLLAB_SCHEMA_VERSION, type Presence } from "@statescope/collab";
import { presenceAt } from "../../tests/setup/sync-server";
import { createMemoryHub } from "../pubsub/memory";
import { createMemoryBackend } from "./memory-backend";
import { createRooms, sendToAll, type Rooms } from "./rooms";
import { guardFrames } from "./server";
import { createMemoryStorage } from "./storage";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

/** A "process": rooms on a memory backend, each socket joining as the user named in its URL (`onSocket` sees it first). */
async function syncProcess(
  hub: ReturnType<typeof createMemoryHub>,
  storage: ReturnType<typeof createMemoryStorage>,
  idleMs = 30_000,
  onSocket?: (socket: WebSocket, user: string) => void,
): Promise<{ port: number; rooms: Rooms }> {
  const rooms = createRooms({ backend: createMemoryBackend(hub, { storage, flushMs: 5 }), idleMs, log: () => undefined });
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  wss.on("connection", (socket, req) => {
    const u = new URL(req.url ?? "/", "http://x");
    const user = u.searchParams.get("user")!;
    onSocket?.(socket, user);
    const guard = guardFrames(socket, { readOnly: false, log: () => undefined, who: user });
    socket.pause();
    void rooms.join(socket, decodeURIComponent(u.pathname.slice(1)), { id: user, name: user.toUpperCase(), color: "#1f77b4", role: "EDITOR" }, guard).then(() => socket.resume());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  open.push({
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => server.close(() => r())));
      await rooms.close();
    },
  });
  return { port: (server.address() as AddressInfo).port, rooms };
}

function client(port: number, room: string, user: string) {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`ws://127.0.0.1:${port}`, room, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true, params: { user, v: String(COLLAB_SCHEMA_VERSION) } });
  open.push({ close: async () => provider.destroy() });
  return { doc, provider };
}

describe("rooms on an in-memory backend", () => {
  it("two processes converge a room's document and relay presence with the server's identity", async () => {
    const hub = createMemoryHub();
    const storage = createMemoryStorage(hub);
    const [p1, p2] = [await syncProcess(hub, storage), await syncProcess(hub, storage)];
    const a = client(p1.port, "r", "ada");
    a.doc.getMap("view").set("threshold", 0.3);
    a.provider.awareness.setLocalState(presenceAt(4));
    const b = client(p2.port, "r", "bo");
    await expect.poll(() => b.doc.getMap("view").get("threshold"), { timeout: 5000 }).toBe(0.3);
    b.doc.getText("notes").insert(0, "from bo");
    await expect.poll(() => a.doc.getText("notes").toString(), { timeout: 5000 }).toBe("from bo");
    await expect.poll(() => (b.provider.awareness.getStates().get(a.doc.clientID) as Presence | undefined)?.user, { timeout: 5000 }).toEqual({ id: "ada", name: "ADA", color: "#1f77b4", role: "EDITOR" });
  }, 30_000);

  it("writes out, compacts and unloads an idle room, and loads it back on the next join", async () => {
    const hub = createMemoryHub();
    const storage = createMemoryStorage(hub);
    const p = await syncProcess(hub, storage, 50);
    const a = client(p.port, "idle", "ada");
    // two edits stored as two updates (the second waits for the first to be stored)
    for (const [i, w] of ["one ", "two "].entries()) {
      a.doc.getText("notes").insert(0, w);
      await expect.poll(async () => (await storage.load("idle")).length, { timeout: 5000 }).toBe(i + 1);
    }
    a.provider.destroy();
    await expect.poll(() => p.rooms.loaded().has("idle"), { timeout: 3000 }).toBe(false);
    expect(await storage.load("idle")).toHaveLength(1);
    const b = client(p.port, "idle", "bo");
    await expect.poll(() => b.doc.getText("notes").toString(), { timeout: 5000 }).toBe("two one ");
  }, 30_000);
});

describe("broadcast framing", () => {
  it("a message framed once reaches every socket byte for byte, at every length encoding, in order with ordinary sends", async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    open.push({ close: () => new Promise<void>((r) => (wss.clients.forEach((c) => c.terminate()), wss.close(() => server.close(() => r())))) });
    const port = (server.address() as AddressInfo).port;
    const got: Buffer[][] = [[], [], []];
    await Promise.all(
      got.map(
        (list) =>
          new Promise<void>((ok) => {
            const ws = new WebSocket(`ws://127.0.0.1:${port}`);
            ws.on("message", (d: Buffer) => list.push(d));
            ws.on("open", () => ok());
          }),
      ),
    );
    await expect.poll(() => wss.clients.size).toBe(3);
    // 7-bit, 16-bit and 64-bit lengths, and their edges
    const sizes = [0, 1, 125, 126, 65_535, 65_536, 200_000];
    const payloads = sizes.map((n, i) => Uint8Array.from({ length: n }, (_, k) => (k * 31 + i) & 255));
    for (const p of payloads) {
      sendToAll(wss.clients, p);
      for (const s of wss.clients) s.send(Buffer.from("after"));
    }
    const want = payloads.flatMap((p) => [Buffer.from(p), Buffer.from("after")]);
    await expect.poll(() => got.map((l) => l.length)).toEqual([want.length, want.length, want.length]);
    for (const list of got) expect(list.map((b) => b.toString("hex"))).toEqual(want.map((b) => b.toString("hex")));
  });
});

describe("a joining socket's first frames", () => {
  it("sync step 1 and the others' presence reach a joining socket in one write, as two intact frames", async () => {
    // the writes to each server-side connection after its handshake, by user
    const writes = new Map<string, number>();
    const hub = createMemoryHub();
    const { port } = await syncProcess(hub, createMemoryStorage(hub), 30_000, (socket, user) => {
      const raw = (socket as unknown as { _socket: { write: (...a: unknown[]) => boolean } })._socket;
      const write = raw.write.bind(raw);
      writes.set(user, 0);
      raw.write = (...a: unknown[]) => (writes.set(user, writes.get(user)! + 1), write(...a));
    });
    const ada = client(port, "r", "ada");
    ada.provider.awareness.setLocalState(presenceAt(4));
    await expect.poll(() => ada.provider.synced, { timeout: 5000 }).toBe(true);
    // a protocol-level member joining: what it receives before it sends anything
    const frames: Buffer[] = [];
    const bo = new WebSocket(`ws://127.0.0.1:${port}/r?user=bo`);
    open.push({ close: async () => bo.terminate() });
    bo.on("message", (d: Buffer) => frames.push(d));
    await expect.poll(() => frames.length, { timeout: 5000 }).toBe(2);
    expect(frames.map((f) => f[0])).toEqual([0, 1]); // sync step 1, then presence (ada's)
    expect(frames[1]!.toString("latin1")).toContain('"ada"');
    expect(writes.get("bo")).toBe(1);
  });
});

describe("relayed batches", () => {
  it("students on another process see every presenter move of a merged batch, not only the last", async () => {
    const hub = createMemoryHub();
    const storage = createMemoryStorage(hub);
    const [p1, p2] = [await syncProcess(hub, storage), await syncProcess(hub, storage)];
    const presenter = client(p1.port, "class", "ada");
    await expect.poll(() => presenter.provider.synced, { timeout: 5000 }).toBe(true);
    // a protocol-level student on the other process: the bytes of every frame it gets
    const seen: string[] = [];
    const student = new WebSocket(`ws://127.0.0.1:${p2.port}/class?user=bo`);
    open.push({ close: async () => student.terminate() });
    student.on("message", (d: Buffer) => seen.push(d.toString("latin1")));
    await expect.poll(() => seen.length, { timeout: 5000 }).toBeGreaterThan(0);
    const view = presenter.doc.getMap("view");
    view.set("query", "#@0@#");
    await expect.poll(() => seen.join("").includes("#@0@#"), { timeout: 5000 }).toBe(true);
    // two moves within one write batch (the backend stores and relays them merged), each overwriting the other
    view.set("query", "#@1@#");
    view.set("query", "#@2@#");
    await expect.poll(() => seen.join("").includes("#@2@#"), { timeout: 5000 }).toBe(true);
    expect(seen.join("").includes("#@1@#")).toBe(true);
  }, 30_000);
});
