/**
 * Rooms in Postgres and across processes: two sync servers (each with its own
 * pool and LISTEN connection, as two processes would have) on one database,
 * restarts, idle unloading, compaction and the crash bound of a real process
 * killed with SIGKILL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { COLLAB_SCHEMA_VERSION, type Presence } from "@statescope/collab";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { createTestSyncServer, presenceAt, seedMembers, spawnSyncProcess } from "../../tests/setup/sync-server";
import { signSyncToken } from "../services/sync-tokens";
import type { PgBackendOptions } from "./pg-backend";
import type { SyncServer } from "./server";

const SECRET = "persist-secret-persist-secret-persist";
let t: TestDatabase;
const open: SyncServer[] = [];
const providers: WebsocketProvider[] = [];

beforeAll(async () => {
  t = await freshDatabase();
  await seedMembers(t.db, "w1", { alice: "EDITOR", bob: "EDITOR", carol: "EDITOR", observer: "EDITOR", watcher: "EDITOR" });
});
afterAll(async () => {
  for (const p of providers) p.destroy();
  await Promise.all(open.map((s) => s.close()));
  await t.drop();
});

async function startServer(o: { idleMs?: number } & Partial<PgBackendOptions> = {}): Promise<{ server: SyncServer; port: number }> {
  const { idleMs, ...backend } = o;
  const server = createTestSyncServer(t.url, SECRET, { idleMs, backend });
  open.push(server);
  return { server, port: await server.listen(0, "127.0.0.1") };
}

async function stopServer(server: SyncServer): Promise<void> {
  open.splice(open.indexOf(server), 1);
  await server.close();
}

function client(port: number, room: string, user: string) {
  const doc = new Y.Doc();
  const token = signSyncToken(SECRET, { u: user, w: "w1", r: room, role: "EDITOR" });
  // disableBc: providers in one process would otherwise sync through BroadcastChannel, not the servers.
  const provider = new WebsocketProvider(`ws://127.0.0.1:${port}`, room, doc, {
    WebSocketPolyfill: WebSocket as never,
    disableBc: true,
    params: { token, v: String(COLLAB_SCHEMA_VERSION) },
  });
  providers.push(provider);
  return { doc, provider, map: doc.getMap("view"), text: doc.getText("notes") };
}

/** How many entries of the "log" array a room's stored updates hold. */
async function storedEdits(room: string): Promise<number> {
  const doc = new Y.Doc();
  for (const r of await t.db.syncUpdate.findMany({ where: { room }, orderBy: { id: "asc" }, select: { data: true } })) Y.applyUpdate(doc, r.data);
  return doc.getArray("log").length;
}

const synced = (p: WebsocketProvider) => expect.poll(() => p.synced, { timeout: 10_000 }).toBe(true);

async function rows(room: string): Promise<{ n: number; compacted: number }> {
  const r = await t.db.syncUpdate.findMany({ where: { room }, select: { compacted: true } });
  return { n: r.length, compacted: r.filter((x) => x.compacted).length };
}

describe("two sync processes on one database", () => {
  it("converge documents and presence, including a room loaded later and a client leaving", async () => {
    const s1 = await startServer();
    const s2 = await startServer();
    const room = "ws:w1:relay";
    const a = client(s1.port, room, "alice");
    a.provider.awareness.setLocalState(presenceAt(1));
    await synced(a.provider);
    a.map.set("threshold", 0.3);
    a.text.insert(0, "hello");

    // B's process loads the room now: it reads A's stored updates and asks for presence.
    const b = client(s2.port, room, "bob");
    await synced(b.provider);
    await expect.poll(() => b.map.get("threshold"), { timeout: 5000 }).toBe(0.3);
    // the name is the one the server knows (the token's), whatever the client put in its state
    await expect.poll(() => (b.provider.awareness.getStates().get(a.doc.clientID) as Presence | undefined)?.user.name, { timeout: 5000 }).toBe("alice");

    // concurrent edits on both processes
    b.provider.awareness.setLocalState(presenceAt(2));
    for (let i = 0; i < 20; i++) {
      a.text.insert(a.text.length, "a");
      b.text.insert(0, "b");
      if (i % 5 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    b.map.set("position", 99);
    await expect.poll(() => a.map.get("position"), { timeout: 5000 }).toBe(99);
    await expect.poll(() => a.text.toString() === b.text.toString() && a.text.length === 45, { timeout: 5000 }).toBe(true);
    await expect.poll(() => (a.provider.awareness.getStates().get(b.doc.clientID) as Presence | undefined)?.user.name, { timeout: 5000 }).toBe("bob");

    // Presence larger than a NOTIFY payload as plain base64 (1,000 selected cells) is deflated and still relayed.
    // (Larger ones, in parts, and the largest relayed size: the relay's contract suite, contract.int.test.ts.)
    const cells = Array.from({ length: 1000 }, (_, i) => i * 3);
    a.provider.awareness.setLocalState(presenceAt(1, cells));
    await expect.poll(() => (b.provider.awareness.getStates().get(a.doc.clientID) as Presence | undefined)?.view?.cells.length, { timeout: 5000 }).toBe(1000);
    a.provider.awareness.setLocalState(presenceAt(77));
    await expect.poll(() => (b.provider.awareness.getStates().get(a.doc.clientID) as Presence | undefined)?.view?.position, { timeout: 5000 }).toBe(77);

    // A leaves process 1: process 2 relays the removal to B long before the 30 s awareness timeout.
    const aId = a.doc.clientID;
    a.provider.destroy();
    await expect.poll(() => b.provider.awareness.getStates().has(aId), { timeout: 3000 }).toBe(false);
    expect(b.text.toString()).toMatch(/^b{20}helloa{20}$/);

    // Process 1 shuts down: its remaining clients' presence disappears on process 2 at once too.
    const c = client(s1.port, room, "carol");
    c.provider.awareness.setLocalState(presenceAt(3));
    await expect.poll(() => b.provider.awareness.getStates().has(c.doc.clientID), { timeout: 5000 }).toBe(true);
    c.provider.shouldConnect = false; // no reconnect to the stopped server
    await stopServer(s1.server);
    await expect.poll(() => b.provider.awareness.getStates().has(c.doc.clientID), { timeout: 3000 }).toBe(false);
  });
});

describe("relay outage", () => {
  it("reconnects a dropped LISTEN connection and catches up on what was written meanwhile", async () => {
    const logs: string[] = [];
    const s1 = await startServer();
    const s2 = await startServer({ log: (l) => logs.push(l) });
    const room = "ws:w1:outage";
    const a = client(s1.port, room, "alice");
    const b = client(s2.port, room, "bob");
    await Promise.all([synced(a.provider), synced(b.provider)]);
    a.map.set("before", 1);
    await expect.poll(() => b.map.get("before"), { timeout: 5000 }).toBe(1);

    const dbName = new URL(t.url).pathname.slice(1);
    const killed = await t.db.$queryRawUnsafe<{ ok: boolean }[]>(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'`,
      dbName,
    );
    expect(killed.length).toBeGreaterThanOrEqual(2); // ours, and those of servers still open from earlier tests
    a.map.set("during", 2); // its announcement may reach nobody
    await expect.poll(() => logs.some((l) => /relay connection \(re\)established/.test(l)), { timeout: 5000 }).toBe(true);
    a.map.set("after", 3);
    await expect.poll(() => b.map.toJSON(), { timeout: 5000 }).toEqual({ before: 1, during: 2, after: 3 });
  });
});

describe("persistence", () => {
  it("keeps everything across a restart", async () => {
    const s = await startServer();
    const room = "ws:w1:restart";
    const a = client(s.port, room, "alice");
    await synced(a.provider);
    for (let i = 0; i < 30; i++) a.map.set(`k${i}`, i);
    a.text.insert(0, "survives a restart");
    // the server has the last edit before it stops: another member in the room sees it
    const w = client(s.port, room, "watcher");
    await expect.poll(() => w.text.toString(), { timeout: 5000 }).toBe("survives a restart");
    await stopServer(s.server);
    a.provider.destroy();
    w.provider.destroy();
    expect((await rows(room)).n).toBeGreaterThan(0);

    const s2 = await startServer();
    const b = client(s2.port, room, "bob");
    await synced(b.provider);
    await expect.poll(() => b.text.toString(), { timeout: 5000 }).toBe("survives a restart");
    expect(b.map.toJSON()).toEqual(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i])));
  });

  it("unloads an idle room after the grace period and reloads it from Postgres on the next join", async () => {
    const s = await startServer({ idleMs: 300 });
    const room = "ws:w1:idle";
    const a = client(s.port, room, "alice");
    await synced(a.provider);
    for (const [i, word] of ["here", "still "].entries()) {
      a.text.insert(0, word);
      await expect.poll(async () => (await rows(room)).n, { timeout: 5000 }).toBe(i + 1); // separate batches
    }
    expect(s.server.loadedRooms().get(room)).toBe(1);
    a.provider.destroy();
    await expect.poll(() => s.server.loadedRooms().get(room), { timeout: 1000 }).toBe(0);
    await expect.poll(() => s.server.loadedRooms().has(room), { timeout: 3000 }).toBe(false);
    // unloading compacts the room's log into one row
    await expect.poll(() => rows(room), { timeout: 2000 }).toEqual({ n: 1, compacted: 1 });

    const b = client(s.port, room, "bob");
    await synced(b.provider);
    expect(s.server.loadedRooms().get(room)).toBe(1);
    await expect.poll(() => b.text.toString(), { timeout: 5000 }).toBe("still here");
  });

  it("compacts a long log into one row without losing anything, while another process keeps relaying", async () => {
    const s1 = await startServer({ compactRows: 10 });
    const s2 = await startServer({ compactRows: 10 });
    const room = "ws:w1:compact";
    const a = client(s1.port, room, "alice");
    const b = client(s2.port, room, "bob");
    await Promise.all([synced(a.provider), synced(b.provider)]);
    for (let i = 0; i < 60; i++) {
      (i % 2 ? a : b).map.set(`k${i}`, i);
      await new Promise((r) => setTimeout(r, 8)); // separate batches, so the log grows
    }
    const want = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i]));
    await expect.poll(() => a.map.toJSON(), { timeout: 5000 }).toEqual(want);
    await expect.poll(() => b.map.toJSON(), { timeout: 5000 }).toEqual(want);
    const r = await rows(room);
    expect(r.compacted).toBeGreaterThanOrEqual(1);
    expect(r.n).toBeLessThan(30);

    const s3 = await startServer();
    const c = client(s3.port, room, "carol");
    await synced(c.provider);
    await expect.poll(() => c.map.toJSON(), { timeout: 5000 }).toEqual(want);
  });
});

describe("crash bound", () => {
  it("a sync process killed with SIGKILL loses at most its last batch (every update older than 100 ms survives), and its clients' presence leaves the other processes within seconds", async () => {
    const { child, port, exited } = await spawnSyncProcess(t.url, SECRET, { SYNC_FLUSH_MS: "20" });
    try {
      const room = "ws:w1:crash";
      const a = client(port, room, "alice");
      // The observer sees an update when the server has accepted it (it is broadcast as it is queued for storage).
      const observer = client(port, room, "observer");
      await Promise.all([synced(a.provider), synced(observer.provider)]);
      // a member on another process sees alice's presence, relayed through Postgres
      const other = await startServer();
      const watcher = client(other.port, room, "watcher");
      await synced(watcher.provider);
      a.provider.awareness.setLocalState(presenceAt(1));
      await expect.poll(() => watcher.provider.awareness.getStates().has(a.doc.clientID), { timeout: 5000 }).toBe(true);
      const seenAt = new Map<number, number>();
      observer.doc.getArray<number>("log").observe((ev) => {
        const now = performance.now();
        for (const item of ev.changes.added) for (const v of item.content.getContent() as number[]) seenAt.set(v, now);
      });
      const arr = a.doc.getArray<number>("log");
      let sent = 0;
      const tick = setInterval(() => arr.push([sent++]), 2);
      let killedAt = 0;
      try {
        // Crash in the middle of the stream of edits, once the server has accepted 250 and committed 200 of them
        // (read back from the table), however fast this machine is today.
        await expect.poll(async () => seenAt.size >= 250 && (await storedEdits(room)) >= 200, { timeout: 40_000, interval: 50 }).toBe(true);
      } finally {
        killedAt = performance.now();
        child.kill("SIGKILL");
        clearInterval(tick);
      }
      await exited;
      a.provider.destroy();
      observer.provider.destroy();
      // the killed process falls silent: the other one removes alice's presence after PROCESS_GONE_MS (8 s), not the 30 s awareness timeout
      await expect.poll(() => watcher.provider.awareness.getStates().has(a.doc.clientID), { timeout: 15_000, interval: 250 }).toBe(false);
      const goneAfter = performance.now() - killedAt;
      console.log(`crash bound: alice's presence left the other process ${(goneAfter / 1000).toFixed(1)} s after the kill`);
      expect(goneAfter).toBeLessThan(15_000);
      watcher.provider.destroy();

      const s = await startServer();
      const b = client(s.port, room, "bob");
      await synced(b.provider);
      const got = new Set(b.doc.getArray<number>("log").toArray());
      const lost = [...seenAt.keys()].filter((i) => !got.has(i));
      const age = (i: number) => killedAt - seenAt.get(i)!;
      console.log(`crash bound: ${sent} sent, ${seenAt.size} accepted by the server, ${got.size} stored, ${lost.length} lost (accepted ${lost.length ? `${age(lost[lost.length - 1]!).toFixed(0)}–${age(lost[0]!).toFixed(0)}` : "-"} ms before the kill)`);
      expect(lost.filter((i) => age(i) > 100)).toEqual([]);
      // what was stored is a prefix of what was sent: nothing in the middle is missing
      expect(got.size).toBeGreaterThanOrEqual(200);
      expect([...got].every((i) => i < got.size)).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 90_000);
});
