/**
 * The contract of room storage and of the relay between sync processes, as one suite run against
 * both implementations: Postgres (the `SyncUpdate` table, NOTIFY/LISTEN on a real server) and
 * memory (storage.ts, the in-memory pub/sub hub). Several relays on one world are several sync
 * processes. The room logic relies on exactly what is tested here, whichever is underneath.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import * as awarenessProtocol from "y-protocols/awareness";
import { z } from "zod";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { createMemoryHub } from "../pubsub/memory";
import { createPgPubSub, LISTENER_APPLICATION_NAME } from "../pubsub/pg";
import { defineChannel, type PubSub } from "../pubsub/pubsub";
import { createRelay, SYNC_UPDATES, type RelayPeer, type RelayRoom, type RoomRelay } from "./relay";
import { createMemoryStorage, type RoomStorage } from "./storage";
import { createPgStorage } from "./storage-pg";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => {
  await t.drop();
});

/** One "database": its storage and any number of processes' pub/sub ends. */
interface World {
  storage: RoomStorage;
  connect(log?: (l: string) => void): PubSub;
  /** Lose `end`'s listening connection, as a database restart would. */
  cut(end: PubSub): Promise<void>;
  close(): Promise<void>;
}

const worlds: [string, () => World][] = [
  [
    "postgres",
    () => {
      const pool = new pg.Pool({ connectionString: t.url, max: 4 });
      const ends: PubSub[] = [];
      return {
        storage: createPgStorage({ pool, origin: "contract" }),
        connect(log) {
          const end = createPgPubSub({ connectionString: t.url, pool, log });
          ends.push(end);
          return end;
        },
        async cut() {
          await t.db.$queryRawUnsafe(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and datname = current_database()`, LISTENER_APPLICATION_NAME);
        },
        async close() {
          await Promise.all(ends.map((e) => e.close()));
          await pool.end();
        },
      };
    },
  ],
  [
    "memory",
    () => {
      const hub = createMemoryHub();
      return {
        storage: createMemoryStorage(hub),
        connect: (log) => hub.connect({ log }),
        async cut(end) {
          (end as ReturnType<typeof hub.connect>).interrupt();
        },
        close: async () => undefined,
      };
    },
  ],
];

const room = () => `ws:contract:${randomBytes(4).toString("hex")}`;

/** Updates as hex, to compare: a deep equality walks megabytes element by element. */
const hex = (us: readonly Uint8Array[]) => us.map((u) => Buffer.from(u).toString("hex"));

/** A document update that sets `key` (plus `filler` random bytes, which do not compress). */
function update(key: string, filler = 0): Uint8Array {
  const doc = new Y.Doc();
  doc.getMap("m").set(key, filler > 0 ? randomBytes(filler).toString("base64") : 1);
  return Y.encodeStateAsUpdate(doc);
}

function docOf(updates: readonly Uint8Array[]): Record<string, unknown> {
  const doc = new Y.Doc();
  for (const u of updates) Y.applyUpdate(doc, u);
  return doc.getMap("m").toJSON();
}

const PROBE = defineChannel("contract_probe", z.object({ room: z.string(), n: z.number().int() }));

describe.each(worlds)("room storage contract: %s", (_name, make) => {
  it("keeps each room's updates in the order they were appended; a new room is empty", async () => {
    const w = make();
    try {
      const [r1, r2] = [room(), room()];
      expect(await w.storage.load(r1)).toEqual([]);
      const u = [update("a"), update("b"), update("c")];
      await w.storage.append(r1, u[0]!, []);
      await w.storage.append(r2, u[1]!, []);
      await w.storage.append(r1, u[2]!, []);
      expect(await w.storage.load(r1)).toEqual([u[0], u[2]]);
      expect(await w.storage.load(r2)).toEqual([u[1]]);
    } finally {
      await w.close();
    }
  });

  it("sends an append's announcements together, once the update is stored (a subscriber reading on arrival finds it)", async () => {
    const w = make();
    const ps = w.connect();
    try {
      const r = room();
      const arrived: number[] = [];
      const storedOnArrival: Promise<number>[] = [];
      await ps.subscribe(PROBE, {
        message: (m) => {
          arrived.push(m.n);
          storedOnArrival.push(w.storage.load(m.room).then((s) => s.length));
        },
      });
      await w.storage.append(r, update("a"), [PROBE.notification({ room: r, n: 1 }), PROBE.notification({ room: r, n: 2 })]);
      await w.storage.append(r, update("b"), [PROBE.notification({ room: r, n: 3 })]);
      await expect.poll(() => arrived, { timeout: 5000 }).toEqual([1, 2, 3]);
      const stored = await Promise.all(storedOnArrival);
      expect(stored[0]).toBeGreaterThanOrEqual(1);
      expect(stored[2]).toBe(2);
    } finally {
      await w.close();
    }
  });

  it("compacts a log into one update holding the same document, and keeps what is appended afterwards", async () => {
    const w = make();
    try {
      const r = room();
      await w.storage.compact(r); // nothing to compact
      expect(await w.storage.load(r)).toEqual([]);
      const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
      for (const k of keys) await w.storage.append(r, update(k), []);
      const before = docOf(await w.storage.load(r));
      await w.storage.compact(r);
      const after = await w.storage.load(r);
      expect(after).toHaveLength(1);
      expect(docOf(after)).toEqual(before);
      await w.storage.append(r, update("late"), []);
      expect(docOf(await w.storage.load(r))).toEqual({ ...before, late: 1 });
      expect(await w.storage.load(r)).toHaveLength(2);
    } finally {
      await w.close();
    }
  });

  it("loses nothing appended while a compaction runs", async () => {
    const w = make();
    try {
      const r = room();
      const keys: string[] = [];
      for (let round = 0; round < 5; round++) {
        const batch = Array.from({ length: 8 }, (_, i) => `r${round}-${i}`);
        keys.push(...batch);
        await Promise.all([w.storage.compact(r), ...batch.map((k) => w.storage.append(r, update(k), []))]);
      }
      await w.storage.compact(r);
      expect(Object.keys(docOf(await w.storage.load(r))).sort()).toEqual(keys.sort());
    } finally {
      await w.close();
    }
  });
});

/** A joined room's view of what the relay delivered to it. */
function recorder(local: () => Uint8Array | null = () => null) {
  const r = { updates: [] as Uint8Array[], presence: [] as Uint8Array[], dropped: [] as number[][], reloads: 0, asked: 0 };
  const peer: RelayPeer = {
    update: (u) => void r.updates.push(u),
    reload: () => void r.reloads++,
    presence: (u) => void r.presence.push(u),
    dropClients: (ids) => void r.dropped.push(ids),
    localPresence: () => {
      r.asked++;
      return local();
    },
  };
  return { ...r, get: () => r, peer };
}

/** An awareness update of client `id` with `state`, as a room encodes its clients' presence. */
function presenceOf(id: number, state: unknown): Uint8Array {
  const a = new awarenessProtocol.Awareness(new Y.Doc());
  a.clientID = id;
  a.setLocalState(state as Record<string, unknown>);
  const u = awarenessProtocol.encodeAwarenessUpdate(a, [id]);
  a.destroy();
  return u;
}

describe.each(worlds)("relay contract: %s", (_name, make) => {
  /** `n` sync processes' relays on the world; `ends` are their pub/sub connections. */
  const ends = new Map<RoomRelay, PubSub>();
  async function processes(w: World, n: number, o: { heartbeatMs?: number; goneMs?: number; logs?: string[] } = {}): Promise<RoomRelay[]> {
    return Array.from({ length: n }, (_, i) => {
      const end = w.connect((l) => o.logs?.push(l));
      const relay = createRelay(end, { origin: `process-${i}-${randomBytes(2).toString("hex")}`, heartbeatMs: o.heartbeatMs, goneMs: o.goneMs, log: (l) => o.logs?.push(l) });
      ends.set(relay, end);
      return relay;
    });
  }

  /** Store an update as a room does: appended, announced by the relay with the row. */
  const store = (w: World, r: string, joined: RelayRoom, u: Uint8Array) => w.storage.append(r, u, joined.announce(u));

  it("delivers a stored update to the other processes in that room only, never back to its sender", async () => {
    const w = make();
    const [a, b] = await processes(w, 2);
    try {
      const [r, other] = [room(), room()];
      const onA = recorder();
      const onB = recorder();
      const onBOther = recorder();
      const ja = await a!.join(r, onA.peer);
      await b!.join(r, onB.peer);
      await b!.join(other, onBOther.peer);
      const u = update("x");
      await store(w, r, ja, u);
      await expect.poll(() => onB.get().updates.length, { timeout: 5000 }).toBe(1);
      expect(onB.get().updates[0]).toEqual(u);
      await store(w, r, ja, update("y"));
      await expect.poll(() => onB.get().updates.length, { timeout: 5000 }).toBe(2);
      expect(onA.get().updates).toEqual([]);
      expect(onBOther.get().updates).toEqual([]);
    } finally {
      await Promise.all([a!.close(), b!.close()]);
      await w.close();
    }
  });

  it("carries updates of any size intact (inline, deflated, in parts), and asks for a re-read past the largest", async () => {
    const w = make();
    const [a, b] = await processes(w, 2);
    try {
      const r = room();
      const onB = recorder();
      const ja = await a!.join(r, recorder().peer);
      await b!.join(r, onB.peer);
      const sizes = [update("small"), update("compressible", 0), update("random-30k", 30_000), update("random-600k", 600_000)];
      const text = new Y.Doc();
      text.getText("t").insert(0, "a".repeat(100_000)); // 100 KB that deflates to almost nothing
      sizes.push(Y.encodeStateAsUpdate(text));
      for (const u of sizes) await store(w, r, ja, u);
      await expect.poll(() => onB.get().updates.length, { timeout: 10_000 }).toBe(sizes.length);
      expect(hex(onB.get().updates)).toEqual(hex(sizes));
      // 3 MB of random bytes fits no number of parts: the others are told to read the room again
      await store(w, r, ja, update("huge", 3_000_000));
      await expect.poll(() => onB.get().reloads, { timeout: 10_000 }).toBe(1);
      expect(onB.get().updates).toHaveLength(sizes.length);
    } finally {
      await Promise.all([a!.close(), b!.close()]);
      await w.close();
    }
  });

  it("relays presence, large presence in parts, and answers a process that joins later with its own clients' presence", async () => {
    const w = make();
    const [a, b, c] = await processes(w, 3);
    try {
      const r = room();
      const mine = presenceOf(7, { user: { id: "ada" }, cells: [1, 2, 3] });
      let aHasClients = false;
      const onA = recorder(() => (aHasClients ? mine : null));
      const onB = recorder();
      const ja = await a!.join(r, onA.peer);
      await b!.join(r, onB.peer);
      await expect.poll(() => onA.get().asked, { timeout: 5000 }).toBe(1); // B asked; A had no clients yet
      aHasClients = true;
      ja.publishPresence(mine);
      const big = presenceOf(8, { junk: randomBytes(20_000).toString("base64") });
      ja.publishPresence(big);
      await expect.poll(() => onB.get().presence.length, { timeout: 5000 }).toBe(2);
      // (separate publishes may commit in either order: awareness clocks, not arrival, decide what is newer)
      expect(hex(onB.get().presence).sort()).toEqual(hex([mine, big]).sort());
      // C loads the room: A and B are asked, A (with a client) answers, B (without) stays quiet
      const onC = recorder();
      const askedB = onB.get().asked; // (A's own join may have reached B too)
      await c!.join(r, onC.peer);
      await expect.poll(() => onC.get().presence, { timeout: 5000 }).toEqual([mine]);
      await expect.poll(() => onB.get().asked, { timeout: 5000 }).toBe(askedB + 1);
      expect(onA.get().presence).toEqual([]);
    } finally {
      await Promise.all([a!.close(), b!.close(), c!.close()]);
      await w.close();
    }
  });

  it("removes the presence of a process that falls silent, except clients that moved to another process", async () => {
    const w = make();
    const logs: string[] = [];
    const [a, b, c] = await processes(w, 3, { heartbeatMs: 50, goneMs: 400, logs });
    try {
      const r = room();
      const onB = recorder();
      const ja = await a!.join(r, recorder().peer);
      await b!.join(r, onB.peer);
      const jc = await c!.join(r, recorder().peer);
      ja.publishPresence(presenceOf(1, { n: 1 }));
      ja.publishPresence(presenceOf(2, { n: 2 }));
      await expect.poll(() => onB.get().presence.length, { timeout: 5000 }).toBe(2);
      jc.publishPresence(presenceOf(2, { n: 3 })); // client 2 reconnected through C
      await expect.poll(() => onB.get().presence.length, { timeout: 5000 }).toBe(3);
      const t0 = Date.now();
      await a!.close(); // a crash: no goodbye, only silence
      await expect.poll(() => onB.get().dropped, { timeout: 5000 }).toEqual([[1]]);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
      expect(logs.some((l) => /fell silent; removing the presence of its 1 client\(s\)/.test(l))).toBe(true);
    } finally {
      await Promise.all([a!.close(), b!.close(), c!.close()]);
      await w.close();
    }
  });

  it("after losing its connection, makes every joined room re-read its storage and exchange presence again", async () => {
    const w = make();
    const [a, b] = await processes(w, 2);
    try {
      const r = room();
      const mine = presenceOf(3, { n: 1 });
      const onA = recorder(() => mine);
      const onB = recorder();
      const ja = await a!.join(r, onA.peer);
      await b!.join(r, onB.peer);
      await expect.poll(() => onA.get().asked, { timeout: 5000 }).toBe(1); // B's join
      await expect.poll(() => onB.get().presence, { timeout: 5000 }).toEqual([mine]);
      await w.cut(ends.get(b!)!);
      await expect.poll(() => onB.get().reloads, { timeout: 10_000 }).toBe(1);
      // (on Postgres both lose the connection: A's clients come back whether A or B reconnects first)
      await expect.poll(() => onB.get().presence.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
      expect(onB.get().presence.every((p) => Buffer.from(p).equals(Buffer.from(mine)))).toBe(true);
      // and it hears new updates again
      await store(w, r, ja, update("after"));
      await expect.poll(() => onB.get().updates.length, { timeout: 5000 }).toBe(1);
    } finally {
      await Promise.all([a!.close(), b!.close()]);
      await w.close();
    }
  });

  it("drops a relay message that does not parse, logs it, and keeps relaying", async () => {
    const w = make();
    const logs: string[] = [];
    const [a, b] = await processes(w, 2, { logs });
    const rogue = w.connect();
    try {
      const r = room();
      const onB = recorder();
      const ja = await a!.join(r, recorder().peer);
      await b!.join(r, onB.peer);
      await rogue.publish([
        { channel: SYNC_UPDATES.name, payload: JSON.stringify({ kind: "update", room: r, origin: "rogue", data: "!!not base64!!", deflated: false }) },
        { channel: SYNC_UPDATES.name, payload: JSON.stringify({ kind: "update", room: r, origin: "rogue", data: Buffer.from("garbage").toString("base64"), deflated: true }) },
      ]);
      await store(w, r, ja, update("fine"));
      await expect.poll(() => onB.get().updates.length, { timeout: 5000 }).toBe(1);
      expect(docOf(onB.get().updates)).toEqual({ fine: 1 });
      expect(logs.some((l) => /dropped a malformed statescope_sync message \(data: not base64\)/.test(l))).toBe(true);
      // undecodable bytes that pass the schema make the room re-read storage instead
      expect(onB.get().reloads).toBe(1);
    } finally {
      await Promise.all([a!.close(), b!.close(), rogue.close()]);
      await w.close();
    }
  });
});
