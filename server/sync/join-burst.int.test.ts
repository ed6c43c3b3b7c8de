/**
 * A class joining at once, over real sockets: the upgrade handshakes of a burst are completed a
 * slice per turn of the event loop, in the order they came (so what the presenter's update
 * scheduled in between goes out before the burst is through), a socket that leaves while waiting
 * holds up no one, and the sync step 1 a joining socket gets (encoded once per version of the document)
 * is always the document's current state vector. A presenter's update after a quiet spell goes out
 * in the turn it is read, ahead of what that turn has queued.
 */
import http from "node:http";
import { Worker } from "node:worker_threads";
import net, { type AddressInfo, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import * as Y from "yjs";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as syncProtocol from "y-protocols/sync";
import { WebsocketProvider } from "y-websocket";
import { COLLAB_SCHEMA_VERSION } from "@statescope/collab";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { createTestSyncServer, seedMembers } from "../../tests/setup/sync-server";
import { loopTurns } from "../../tests/setup/loop-turns";
import { signSyncToken } from "../services/sync-tokens";
import { MESSAGE_SYNC } from "./frames";
import { QUIET_UPDATE_MS } from "./rooms";
import { createUpgradeQueue, UPGRADE_SLICE, type SyncServer } from "./server";

const SECRET = "join-burst-secret-join-burst-secret-join";
const V = String(COLLAB_SCHEMA_VERSION);

/** A plain HTTP server whose upgrades go through the queue; `completed` lists each handshake's number and turn. */
async function queuedServer() {
  const wss = new WebSocketServer({ noServer: true });
  const server = http.createServer();
  const turns = loopTurns();
  const arrived: number[] = [];
  const completed: { n: number; turn: number }[] = [];
  const queue = createUpgradeQueue(
    (req, socket, head) => {
      completed.push({ n: Number(new URL(req.url!, "http://x").searchParams.get("n")), turn: turns.count });
      wss.handleUpgrade(req, socket, head, (ws) => ws.send("hi"));
    },
    () => undefined,
  );
  server.on("upgrade", (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    arrived.push(Number(new URL(req.url!, "http://x").searchParams.get("n")));
    queue.upgrade(req, socket, head);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    arrived,
    completed,
    queue,
    async close() {
      turns.stop();
      queue.close();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * `n` raw connections that send their upgrade requests at the same moment, once all are
 * connected and accepted: the server reads them all in one poll of its sockets, as it does a
 * class's joins. Resolves when every one but `reset` (reset right after its request) has its 101.
 */
async function burst(port: number, n: number, reset = -1): Promise<Socket[]> {
  const sockets = await Promise.all(
    Array.from({ length: n }, () => new Promise<Socket>((ok, fail) => {
      const s = net.connect(port, "127.0.0.1", () => ok(s));
      s.once("error", fail);
    })),
  );
  await new Promise((r) => setTimeout(r, 50));
  const switched = sockets.map((s, i) => i === reset ? Promise.resolve() : new Promise<void>((ok) => {
    let got = "";
    s.on("data", (d: Buffer) => {
      got += d.toString("latin1");
      if (got.includes("101 Switching Protocols")) ok();
    });
  }));
  sockets.forEach((s, i) => s.write(`GET /?n=${i} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`));
  // this one leaves (a reset) right behind its request, before its turn
  if (reset >= 0) sockets[reset]!.resetAndDestroy();
  await Promise.all(switched);
  return sockets;
}

describe("upgrade queue", () => {
  it(`completes a burst of handshakes ${UPGRADE_SLICE} per turn of the event loop, in the order they came`, async () => {
    const s = await queuedServer();
    try {
      const n = 6 * UPGRADE_SLICE;
      const sockets = await burst(s.port, n);
      expect(s.completed.map((c) => c.n)).toEqual(s.arrived);
      expect(s.completed).toHaveLength(n);
      const perTurn = new Map<number, number>();
      for (const c of s.completed) perTurn.set(c.turn, (perTurn.get(c.turn) ?? 0) + 1);
      // the first of a burst is completed as it comes, the rest a slice per turn
      expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(UPGRADE_SLICE + 1);
      expect(perTurn.size).toBeGreaterThanOrEqual(Math.ceil((n - 1) / UPGRADE_SLICE));
      for (const c of sockets) c.destroy();
    } finally {
      await s.close();
    }
  });

  it("a socket reset while it waits holds up no one and takes nothing down", async () => {
    const s = await queuedServer();
    try {
      const n = 4 * UPGRADE_SLICE;
      const leaver = n - 1;
      const sockets = await burst(s.port, n, leaver);
      await expect.poll(() => s.queue.waiting(), { timeout: 5000 }).toBe(0);
      expect(s.arrived).toContain(leaver);
      // (a socket not being read does not learn of the reset: its handshake fails when written, in ws)
      expect(s.completed.filter((c) => c.n !== leaver)).toHaveLength(n - 1);
      for (const c of sockets) c.destroy();
    } finally {
      await s.close();
    }
  });
});

describe("a joining socket's sync step 1", () => {
  let t: TestDatabase;
  let server: SyncServer;
  let port = 0;
  beforeAll(async () => {
    t = await freshDatabase();
    await seedMembers(t.db, "wj", { owner: "OWNER", viewer: "VIEWER" });
    server = createTestSyncServer(t.url, SECRET);
    port = await server.listen(0, "127.0.0.1");
  });
  afterAll(async () => {
    await server.close();
    await t.drop();
  });

  /** The state vector in the first sync step 1 the server sends a new socket of `user`. */
  const firstStateVector = (room: string, user: string, role: "OWNER" | "VIEWER") =>
    new Promise<Map<number, number>>((ok, fail) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/${room}?token=${signSyncToken(SECRET, { u: user, w: "wj", r: room, role })}&v=${V}`);
      ws.on("message", (data: Buffer) => {
        const d = decoding.createDecoder(new Uint8Array(data));
        if (decoding.readVarUint(d) !== MESSAGE_SYNC || decoding.readVarUint(d) !== syncProtocol.messageYjsSyncStep1) return;
        ok(Y.decodeStateVector(decoding.readVarUint8Array(d)));
        ws.close();
      });
      ws.once("close", (code, reason) => fail(new Error(`closed ${code} ${reason.toString()}`)));
    });

  it("is the document's current state vector: what a join before a change was sent is not reused after it", async () => {
    const room = "ws:wj:step-one";
    const doc = new Y.Doc();
    const writer = new WebsocketProvider(`ws://127.0.0.1:${port}`, room, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true, params: { token: signSyncToken(SECRET, { u: "owner", w: "wj", r: room, role: "OWNER" }), v: V } });
    try {
      await expect.poll(() => writer.synced, { timeout: 5000 }).toBe(true);
      doc.getMap("view").set("position", 1);
      await expect.poll(async () => (await firstStateVector(room, "viewer", "VIEWER")).get(doc.clientID), { timeout: 5000 }).toBe(1);
      // two joins in a row on an unchanged document get the same; a change is in the next join's
      expect((await firstStateVector(room, "viewer", "VIEWER")).get(doc.clientID)).toBe(1);
      for (let k = 2; k <= 4; k++) {
        doc.getMap("view").set("position", k);
        const clock = Y.decodeStateVector(Y.encodeStateVector(doc)).get(doc.clientID);
        await expect.poll(async () => (await firstStateVector(room, "viewer", "VIEWER")).get(doc.clientID), { timeout: 5000 }).toBe(clock);
        expect(clock).toBe(k);
      }
    } finally {
      writer.destroy();
    }
  });
});

/**
 * A reader on a thread of its own (its own event loop: it reads while the server's is busy): the
 * time (ms since the epoch) a frame holding `marker` reached it.
 */
function readerThread(url: string, marker: string): { ready: Promise<void>; received: Promise<number>; stop: () => Promise<number> } {
  const w = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     const WebSocket = require("ws");
     const ws = new WebSocket(workerData.url);
     ws.on("message", (d) => {
       if (d.includes(workerData.marker)) parentPort.postMessage({ at: performance.timeOrigin + performance.now() });
       else parentPort.postMessage({ ready: true });
     });`,
    { eval: true, workerData: { url, marker } },
  );
  let ready!: () => void;
  let received!: (at: number) => void;
  const r = { ready: new Promise<void>((ok) => (ready = ok)), received: new Promise<number>((ok) => (received = ok)), stop: () => w.terminate() };
  w.on("message", (m: { ready?: boolean; at?: number }) => (m.at ? received(m.at) : ready()));
  w.on("error", (e) => console.error("reader thread failed", e));
  return r;
}

describe("a presenter's update after a quiet spell", () => {
  let t: TestDatabase;
  let server: SyncServer;
  let port = 0;
  beforeAll(async () => {
    t = await freshDatabase();
    await seedMembers(t.db, "wq", { presenter: "OWNER", student: "VIEWER" });
    server = createTestSyncServer(t.url, SECRET);
    port = await server.listen(0, "127.0.0.1");
  });
  afterAll(async () => {
    await server.close();
    await t.drop();
  });

  it(`goes out in the turn it is read, not after the work that turn queued (${QUIET_UPDATE_MS} ms quiet)`, async () => {
    const room = "ws:wq:quiet";
    const url = (u: string, role: "OWNER" | "VIEWER") => `ws://127.0.0.1:${port}/${room}?token=${signSyncToken(SECRET, { u, w: "wq", r: room, role })}&v=${V}`;
    const reader = readerThread(url("student", "VIEWER"), "quiet-marker");
    const presenter = new WebSocket(url("presenter", "OWNER"));
    const admitted = new Promise<void>((ok) => presenter.once("message", () => ok()));
    try {
      await reader.ready;
      await admitted;
      await new Promise((r) => setTimeout(r, 2 * QUIET_UPDATE_MS));
      const doc = new Y.Doc();
      let update: Uint8Array | null = null;
      doc.on("update", (u: Uint8Array) => (update = u));
      doc.getMap("view").set("query", "quiet-marker");
      const e = encoding.createEncoder();
      encoding.writeVarUint(e, MESSAGE_SYNC);
      syncProtocol.writeUpdate(e, update!);
      const sentAt = performance.timeOrigin + performance.now();
      presenter.send(encoding.toUint8Array(e));
      // the server's loop (this one) is busy at every turn for the next 0.6 s: work queued before the
      // presenter's frame is read, as a class's joins queue handshakes and admissions
      const BUSY_MS = 150;
      let turns = 4;
      const busy = () => {
        const end = performance.now() + BUSY_MS;
        while (performance.now() < end) {
          /* the queued work */
        }
        if (--turns > 0) setImmediate(busy);
      };
      setImmediate(busy);
      const latency = (await reader.received) - sentAt;
      // before: the broadcast waited for the busy turn (≥ BUSY_MS); now it is written as the frame is read
      expect(latency).toBeLessThan(BUSY_MS / 2);
    } finally {
      presenter.close();
      await reader.stop();
    }
  });
});
