import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { checkSchema, colorFor, COLLAB_SCHEMA_VERSION, memberColors, notesText, PALETTE, readClassControls, readPresence, readSpotlight, ROOT, writeClassControls, writeSpotlight } from "./index";

const view = { source: "states::states1", position: 10, window: 60, brush: [12, 16] as [number, number], padding: [1, 0] as [number, number], threshold: 0.3, cells: [3, 17] };
const user = { id: "u1", name: "Ada", color: "#1f77b4", role: "EDITOR" as const };

describe("collab schema", () => {
  it("reads a valid presence and rejects garbage or another version", () => {
    expect(readPresence({ schemaVersion: COLLAB_SCHEMA_VERSION, user, view, following: null })?.view?.cells).toEqual([3, 17]);
    expect(readPresence({ schemaVersion: COLLAB_SCHEMA_VERSION, user, view: null })?.following).toBeNull();
    expect(readPresence({ schemaVersion: 99, user, view })).toBeNull();
    expect(readPresence({ user, view: { ...view, threshold: "x" } })).toBeNull();
    expect(readPresence(null)).toBeNull();
  });

  it("stamps a fresh document and refuses one from another version", () => {
    const doc = new Y.Doc();
    expect(checkSchema(doc, false)).toBeNull();
    expect(doc.getMap(ROOT.meta).size).toBe(0);
    expect(checkSchema(doc, true)).toBeNull();
    expect(doc.getMap(ROOT.meta).get("schemaVersion")).toBe(COLLAB_SCHEMA_VERSION);
    doc.getMap(ROOT.meta).set("schemaVersion", COLLAB_SCHEMA_VERSION + 1);
    expect(checkSchema(doc, true)).toMatch(/reload the page/);
  });

  it("round-trips the spotlight through a second document", () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    writeSpotlight(a, { ...view, by: { id: "u1", name: "Ada" }, at: 1 });
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(readSpotlight(b)).toMatchObject({ brush: [12, 16], by: { name: "Ada" } });
    writeSpotlight(a, null);
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(readSpotlight(b)).toBeNull();
    notesText(a).insert(0, "depth cells: 3, 17");
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(notesText(b).toString()).toBe("depth cells: 3, 17");
  });

  it("a presenter's move writes only what changed: a few bytes per update, not the whole view", () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    const sizes: number[] = [];
    a.on("update", (u: Uint8Array) => {
      sizes.push(u.length);
      Y.applyUpdate(b, u);
    });
    const cells = Array.from({ length: 200 }, (_, i) => i * 3);
    writeSpotlight(a, { ...view, cells, query: "x".repeat(500), by: { id: "u1", name: "Ada" }, at: 1 });
    writeSpotlight(a, { ...view, cells, query: "x".repeat(500), position: 11, by: { id: "u1", name: "Ada" }, at: 1 });
    expect(sizes[0]).toBeGreaterThan(800);
    expect(sizes[1]).toBeLessThan(60);
    expect(readSpotlight(b)).toMatchObject({ position: 11, cells, query: "x".repeat(500) });
    // a field the new view lacks is gone, not left over
    writeSpotlight(a, { ...view, position: 12, by: { id: "u1", name: "Ada" }, at: 1 });
    expect(readSpotlight(b)?.query).toBeUndefined();
    expect(sizes.length).toBe(3);
    // unchanged: nothing is sent
    writeSpotlight(a, { ...view, position: 12, by: { id: "u1", name: "Ada" }, at: 1 });
    expect(sizes.length).toBe(3);
  });

  it("classroom controls default to nothing and round-trip", () => {
    const a = new Y.Doc();
    expect(readClassControls(a)).toEqual({ recall: 0, audience: 0, tasks: 0, roles: 0 });
    writeClassControls(a, { recall: 5, audience: 300 });
    const b = new Y.Doc();
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(readClassControls(b)).toEqual({ recall: 5, audience: 300, tasks: 0, roles: 0 });
  });

  it("gives each user a stable palette colour", () => {
    expect(colorFor("u1")).toBe(colorFor("u1"));
    // members by join order: twelve members, twelve colours; the thirteenth starts over
    const ids = Array.from({ length: 13 }, (_, i) => `member-${i}`);
    const c = memberColors(ids);
    expect(new Set(ids.slice(0, 12).map((id) => c[id])).size).toBe(12);
    expect(c["member-0"]).toBe(PALETTE[0]);
    expect(c["member-12"]).toBe(PALETTE[0]);
    expect(c["someone-else"]).toBeUndefined();
    expect(PALETTE).toContain(colorFor("someone-else"));
  });
});
