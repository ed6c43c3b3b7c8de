import { describe, expect, it } from "vitest";
import { fitPresence, MAX_PRESENCE_BYTES, presenceFromClient } from "./presence-wire";
import { COLLAB_SCHEMA_VERSION, readPresence, type Presence, type PresenceUser } from "./schema";

const server: PresenceUser = { id: "u-viewer", name: "Vera", color: "#2ca02c", role: "VIEWER" };
const view = { source: "states::states1", position: 10, window: 60, brush: [12, 16] as [number, number], padding: [1, 0] as [number, number], threshold: 0.3, cells: [3, 17] };
const state = (extra: Record<string, unknown> = {}) => ({ schemaVersion: COLLAB_SCHEMA_VERSION as typeof COLLAB_SCHEMA_VERSION, view, following: null, ...extra });

describe("presenceFromClient", () => {
  it("takes the view from the client and the identity from the server", () => {
    const spoof = { id: "u-owner", name: "The Owner", color: "url(//evil.example/x)", role: "OWNER" };
    const r = presenceFromClient(JSON.stringify(state({ user: spoof, extra: "dropped" })), server);
    expect(r).toEqual({ ok: true, presence: { schemaVersion: COLLAB_SCHEMA_VERSION, user: server, view, following: null } });
    // a client that sends no user at all is fine: the server supplies it
    expect(presenceFromClient(JSON.stringify(state()), server).ok).toBe(true);
  });

  it("refuses hostile text (too deep, too large, not JSON) and schema violations, naming the problem", () => {
    const deep = `{"schemaVersion":1,"view":null,"x":${"[".repeat(3000)}${"]".repeat(3000)}}`;
    expect(presenceFromClient(deep, server)).toEqual({ ok: false, hostile: true, problem: "presence state refused: JSON nested deeper than 8 levels" });
    const big = JSON.stringify(state({ view: { ...view, source: "s".repeat(MAX_PRESENCE_BYTES) } }));
    expect(presenceFromClient(big, server)).toMatchObject({ ok: false, hostile: true, problem: expect.stringMatching(/bytes of JSON; the limit is 8192$/) });
    expect(presenceFromClient("{", server)).toMatchObject({ ok: false, hostile: true });
    expect(presenceFromClient(JSON.stringify(state({ view: { ...view, threshold: "high" } })), server)).toEqual({
      ok: false,
      hostile: false,
      problem: "presence state refused: view.threshold: Invalid input: expected number, received string",
    });
    expect(presenceFromClient(JSON.stringify({ ...state(), schemaVersion: 99 }), server)).toMatchObject({ ok: false, hostile: false });
  });

  it("only lets a #rrggbb colour through the schema others read", () => {
    const p = (color: string) => readPresence({ ...state(), user: { ...server, color } });
    expect(p("#1f77b4")).not.toBeNull();
    for (const bad of ["url(//host/x)", "red", "#12345", "#1f77b4; background:url(x)"]) expect(p(bad)).toBeNull();
  });
});

describe("fitPresence", () => {
  const big = (cells: number, query?: string): Presence => ({ ...state(), user: server, view: { ...view, cells: Array.from({ length: cells }, (_, i) => 100_000 + i), ...(query ? { query } : {}) } });

  it("keeps a state within the bound as it is", () => {
    const p = big(100, "s0=states::states1&pos=10");
    expect(fitPresence(p)).toBe(p);
  });

  it("leaves out the query, then trailing cells, until the state fits", () => {
    const withQuery = big(900, "q".repeat(4000));
    const a = fitPresence(withQuery);
    expect(a.view?.query).toBeUndefined();
    expect(a.view?.cells).toHaveLength(900);
    const b = fitPresence(big(4000));
    expect(new TextEncoder().encode(JSON.stringify(b)).length).toBeLessThanOrEqual(MAX_PRESENCE_BYTES);
    // as many as fit: one more would not
    expect(b.view!.cells.length).toBeGreaterThan(1000);
    expect(JSON.stringify({ ...b, view: { ...b.view!, cells: big(4000).view!.cells.slice(0, b.view!.cells.length + 1) } }).length).toBeGreaterThan(MAX_PRESENCE_BYTES);
    expect(b.view!.cells).toEqual(big(4000).view!.cells.slice(0, b.view!.cells.length));
    expect(presenceFromClient(JSON.stringify(b), server).ok).toBe(true);
  });
});
