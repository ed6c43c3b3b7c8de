/**
 * Merging a room's log (compaction, room load, re-read) when its rows are not in causal order:
 * two sync processes store 20 ms batches without waiting for each other's commits, and row ids
 * are not commit order, so a log read `ORDER BY id` can hold a batch before one it depends on.
 */
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { createMemoryHub } from "../pubsub/memory";
import { loopTurns } from "../../tests/setup/loop-turns";
import { createMemoryStorage, mergeLog, mergeUpdatesYielding } from "./storage";

/** Two "processes" editing one map in rounds, each round's edits one stored batch; returns the batches in commit order. */
function twoProcessLog(rounds: number): Uint8Array[] {
  const docs = [new Y.Doc(), new Y.Doc()];
  const pending: Uint8Array[][] = [[], []];
  docs.forEach((d, i) => d.on("update", (u: Uint8Array, origin: unknown) => origin !== "relay" && pending[i]!.push(u)));
  const batches: Uint8Array[] = [];
  let key = 0;
  for (let r = 0; r < rounds; r++) {
    for (const d of docs) {
      for (let k = 0; k < 5; k++) d.getMap("bench").set(`k${key++}`, r);
      d.getMap("view").set("position", r); // the presenter's view: one key overwritten every round
    }
    docs.forEach((d, i) => {
      const batch = Y.mergeUpdates(pending[i]!);
      pending[i] = [];
      batches.push(batch);
      Y.applyUpdate(docs[1 - i]!, batch, "relay");
    });
  }
  return batches;
}

/** The same batches as a log read by id: neighbours swapped now and then, one early batch committed late. */
function outOfOrder(batches: Uint8Array[]): Uint8Array[] {
  const log = [...batches];
  for (let i = 0; i + 1 < log.length; i += 7) [log[i], log[i + 1]] = [log[i + 1]!, log[i]!];
  log.splice(Math.floor(log.length * 0.6), 0, ...log.splice(2, 1));
  return log;
}

function contents(update: Uint8Array): { keys: number; position: unknown } {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, update);
  return { keys: doc.getMap("bench").size, position: doc.getMap("view").get("position") };
}

describe("merging a room's log", () => {
  it("gives the same document whatever the order of the rows", async () => {
    const batches = twoProcessLog(200);
    const inOrder = await mergeLog(batches);
    const shuffled = await mergeLog(outOfOrder(batches));
    expect(contents(shuffled)).toEqual({ keys: 2000, position: 199 });
    expect(contents(shuffled)).toEqual(contents(inOrder));
    expect(Buffer.from(shuffled).equals(Buffer.from(inOrder))).toBe(true);
    expect(contents(await mergeUpdatesYielding(outOfOrder(batches)))).toEqual({ keys: 2000, position: 199 });
  });

  it("lets the event loop turn while it merges a long out-of-order log (a compaction never holds up deliveries)", async () => {
    // applying 1,000 out-of-order rows one by one held one sync process's loop 0.7–0.9 s (bench:sync)
    const log = outOfOrder(twoProcessLog(500));
    const turns = loopTurns();
    const merged = await mergeLog(log);
    turns.stop();
    expect(contents(merged)).toEqual({ keys: 5000, position: 499 });
    // one turn per slice of 64 rows at least (1,000 rows: 16 slices, then the slices' merge)
    expect(turns.count).toBeGreaterThanOrEqual(16);
  });

  it("keeps an update appended while a compaction merges (in-memory storage)", async () => {
    const storage = createMemoryStorage(createMemoryHub());
    const batches = twoProcessLog(100);
    for (const b of batches.slice(0, -1)) await storage.append("room", b, []);
    const compacting = storage.compact("room");
    await storage.append("room", batches.at(-1)!, []);
    await compacting;
    const log = await storage.load("room");
    expect(log.length).toBe(2);
    expect(contents(Y.mergeUpdates(log))).toEqual({ keys: 1000, position: 99 });
  });
});
