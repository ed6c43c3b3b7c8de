import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { inspectFrame } from "./frames";

function syncFrame(step: number, payload: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint(e, step);
  encoding.writeVarUint8Array(e, payload);
  return encoding.toUint8Array(e);
}

describe("inspectFrame", () => {
  it("recognises well-formed sync and awareness frames", () => {
    const doc = new Y.Doc();
    doc.getMap("m").set("a", 1);
    expect(inspectFrame(syncFrame(0, Y.encodeStateVector(doc)))).toEqual({ type: "sync-step1" });
    expect(inspectFrame(syncFrame(2, Y.encodeStateAsUpdate(doc)))).toEqual({ type: "sync-update" });
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 1);
    const inner = encoding.createEncoder();
    encoding.writeVarUint(inner, 1);
    encoding.writeVarUint(inner, 42);
    encoding.writeVarUint(inner, 3);
    encoding.writeVarString(inner, JSON.stringify({ user: "a" }));
    encoding.writeVarUint8Array(e, encoding.toUint8Array(inner));
    expect(inspectFrame(encoding.toUint8Array(e))).toEqual({ type: "awareness" });
  });

  it("names what is wrong with malformed frames", () => {
    expect(inspectFrame(new Uint8Array([]))).toHaveProperty("problem");
    expect(inspectFrame(new Uint8Array([7, 1, 2]))).toEqual({ problem: "unknown message type 7" });
    expect(inspectFrame(syncFrame(5, new Uint8Array([0])))).toEqual({ problem: "unknown sync step 5" });
    expect(inspectFrame(syncFrame(2, new Uint8Array([1, 2, 3, 250, 250])))).toHaveProperty("problem");
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const f = Uint8Array.from({ length: 1 + (rnd() % 40) }, rnd);
      expect(() => inspectFrame(f)).not.toThrow();
    }
  });
});
