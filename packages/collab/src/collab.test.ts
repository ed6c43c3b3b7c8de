import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { checkSchema, colorFor, COLLAB_SCHEMA_VERSION, memberColors, notesText, PALETTE, readPresence, readSpotlight, ROOT, writeSpotlight } from "./index";

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
