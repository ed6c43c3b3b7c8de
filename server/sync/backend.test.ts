/**
 * The backend's write batching, on the in-memory storage and relay (their contract suite proves
 * them equal to the Postgres ones): the first update after a quiet spell is written — and so
 * announced to the other sync processes — as it is stored, not a turn of the event loop later
 * (where a class's joins queue their work); updates that follow within `flushMs` go together.
 */
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { createMemoryHub } from "../pubsub/memory";
import { createBackend, type RoomPeer } from "./backend";
import { createRelay } from "./relay";
import { createMemoryStorage } from "./storage";

// long enough that a loaded machine (a process descheduled for tens of ms) cannot turn "right
// behind it" into "after a quiet spell"; the behaviour does not depend on the value
const FLUSH_MS = 400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("backend batching", () => {
  it("writes the first update after a quiet spell at once, and batches the ones that follow", async () => {
    const hub = createMemoryHub();
    const storage = createMemoryStorage(hub);
    const pubsub = hub.connect({});
    const backend = createBackend({ storage, relay: createRelay(pubsub), flushMs: FLUSH_MS, release: () => pubsub.close() });
    // another process on the same hub: what it hears of the room
    const otherPubsub = hub.connect({});
    const other = createBackend({ storage, relay: createRelay(otherPubsub), flushMs: FLUSH_MS, release: () => otherPubsub.close() });
    const heard: Uint8Array[] = [];
    const peer = (onUpdate: (u: Uint8Array) => void): RoomPeer => ({ applyRelayed: onUpdate, applyRelayedAwareness: () => undefined, dropRelayedClients: () => undefined, localAwareness: () => null });
    try {
      const link = await backend.open("r", peer(() => undefined));
      await other.open("r", peer((u) => heard.push(u)));
      const doc = new Y.Doc();
      const updates: Uint8Array[] = [];
      doc.on("update", (u: Uint8Array) => updates.push(u));
      await sleep(2 * FLUSH_MS);

      doc.getMap("view").set("position", 1);
      link.store(updates[0]!);
      // in the same turn: written with its announcement (the memory storage appends as it is
      // called, and hands the announcement to the hub, which delivers it a turn later, as Postgres would)
      const rows = storage.load("r");
      expect(await rows).toHaveLength(1);

      // more right behind it (well within FLUSH_MS): one batch after FLUSH_MS, not a row each
      doc.getMap("view").set("position", 2);
      doc.getMap("view").set("position", 3);
      link.store(updates[1]!);
      link.store(updates[2]!);
      expect(await storage.load("r")).toHaveLength(1);
      await expect.poll(() => storage.load("r").then((r) => r.length), { timeout: 5000 }).toBe(2);
      await expect.poll(() => heard.length, { timeout: 5000 }).toBe(2);
      const replica = new Y.Doc();
      for (const u of heard) Y.applyUpdate(replica, u);
      expect(replica.getMap("view").get("position")).toBe(3);
    } finally {
      await backend.close();
      await other.close();
    }
  });
});
