import { describe, expect, it } from "vitest";
import { decodeViewState, defaultViewState } from "./view-state";
import { initialWindow, resolveView, stepsThatFit, viewWindow } from "./initial-window";
import { MAX_WINDOW, WINDOW_CHUNK, WINDOW_MARGIN } from "./window";

const shape = { steps: 10_000, sources: [{ name: "states::a" }, { name: "states::b" }], tracks: [{ name: "pos" }, { name: "depth" }] };

describe("resolveView", () => {
  it("opens the first source when the URL names none, and clamps the position", () => {
    const v = resolveView(decodeViewState("pos=99999"), shape);
    expect(v.layers.map((l) => l.source)).toEqual(["states::a"]);
    expect(v.pos).toBe(9_999);
  });
  it("returns the state itself when there is nothing to resolve (no new identity)", () => {
    const s = decodeViewState("s0=states::b&pos=40");
    expect(resolveView(s, shape)).toBe(s);
  });
  it("keeps an empty layer list on a dataset without sources", () => {
    expect(resolveView(defaultViewState(), { ...shape, sources: [] }).layers).toEqual([]);
  });
});

describe("stepsThatFit / viewWindow", () => {
  it("fits whole steps and stops at the end of the data", () => {
    expect(stepsThatFit(989, 30, 0, 10_000)).toBe(32);
    expect(stepsThatFit(989, 30, 9_990, 10_000)).toBe(10);
    expect(stepsThatFit(10, 30, 0, 10_000)).toBe(0);
  });
  it("loads the visible steps plus a margin, chunk-aligned", () => {
    const s = decodeViewState("s0=states::a&pos=1000");
    const w = viewWindow(s, 10_000, 300);
    expect(w.visible).toBe(10);
    expect(w.from).toBe(Math.floor((1000 - WINDOW_MARGIN) / WINDOW_CHUNK) * WINDOW_CHUNK);
    expect(w.to).toBe(Math.ceil((1010 + WINDOW_MARGIN) / WINDOW_CHUNK) * WINDOW_CHUNK);
    expect(w.from).toBeLessThanOrEqual(1000);
    expect(w.to).toBeGreaterThanOrEqual(1010);
  });
  it("never reads more than MAX_WINDOW steps, however wide the screen", () => {
    const w = viewWindow(decodeViewState("s0=states::a&z=5"), 100_000, 50_000);
    expect(w.to - w.from).toBeLessThanOrEqual(MAX_WINDOW);
  });
});

describe("initialWindow", () => {
  it("reads the sources and tracks the URL shows that the dataset has, once each", () => {
    const w = initialWindow("s0=states::b&s1=states::b&s2=nope&tr=depth&tr=gone&pos=500", shape, 600)!;
    expect(w.sources).toEqual(["states::b"]);
    expect(w.tracks).toEqual(["depth"]);
    expect(w.state.pos).toBe(500);
    expect(w).toMatchObject(viewWindow(w.state, shape.steps, 600));
  });
  it("is the explorer's own window for the same URL and width", () => {
    const q = "pos=77&z=12";
    const w = initialWindow(q, shape, 900)!;
    const s = resolveView(decodeViewState(q), shape);
    expect(w.state).toEqual(s);
    expect({ visible: w.visible, from: w.from, to: w.to }).toEqual(viewWindow(s, shape.steps, 900));
  });
  it("is null for a dataset with nothing to show", () => {
    expect(initialWindow("", { ...shape, steps: 0 }, 900)).toBeNull();
    expect(initialWindow("", { ...shape, sources: [] }, 900)).toBeNull();
  });
});
