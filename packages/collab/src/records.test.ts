import { describe, expect, it } from "vitest";
import { applyManualEdits, decodeViewState, defaultLayer, defaultViewState, encodeViewState } from "@statescope/core";
import { assignLanes, hypothesisFromView, hypothesisViewState, mentionQueryAt, rangeViewState, visibleSpans } from "./records";

describe("hypothesis views", () => {
  const base = { ...defaultViewState(["states::a"]), zoom: 44, tracks: ["pos"] };

  it("saves the match layer's range, padding, threshold, cells and edits, and refuses without a brush", () => {
    const s = {
      ...base,
      layers: [defaultLayer("states::a"), { ...defaultLayer("states::b"), threshold: 0.25, add: [9, 4], exclude: [7] }],
      brush: [10, 14] as [number, number],
      pad: [2, 1] as [number, number],
      match: { ...base.match, layer: 1, mode: "fast" as const, length: 4 },
    };
    const r = hypothesisFromView(s, [[1], [9, 3, 4]]);
    expect(r).toEqual({
      ok: true,
      view: { source: "states::b", start: 10, end: 14, padLeft: 2, padRight: 1, threshold: 0.25, cells: [3, 4, 9], addedCells: [4, 9], excludedCells: [7], mode: "fast", length: 4 },
    });
    expect(hypothesisFromView({ ...s, brush: null }, [[1], [3]])).toMatchObject({ ok: false, reason: expect.stringContaining("brush") });
    expect(hypothesisFromView(s, [[1], null])).toMatchObject({ ok: false, reason: expect.stringContaining("loading") });
    expect(hypothesisFromView(s, [[1], []])).toMatchObject({ ok: false, reason: expect.stringContaining("no cells") });
  });

  it("opens as exactly the saved cells with the edits marked, and survives the URL round trip", () => {
    const h = { source: "states::b", start: 40, end: 46, padLeft: 0, padRight: 2, threshold: 0.125, cells: [3, 9, 12], addedCells: [12], excludedCells: [5], mode: "fast", length: null };
    const v = hypothesisViewState(h, base);
    expect(v.brush).toEqual([40, 46]);
    expect(v.pos).toBe(37);
    expect(v.pad).toEqual([0, 2]);
    expect(v.zoom).toBe(44);
    expect(v.tracks).toEqual(["pos"]);
    expect(v.match).toMatchObject({ mode: "fast", length: 0, layer: 0 });
    const l = v.layers[0]!;
    expect(l).toMatchObject({ source: "states::b", threshold: 0.125, add: [12], exclude: [5] });
    expect(applyManualEdits(l.pinned!, l.add, l.exclude, 20)).toEqual([3, 9, 12]);
    const back = decodeViewState(encodeViewState(v));
    expect(back.layers).toEqual(v.layers);
    expect(back.brush).toEqual(v.brush);
    // saving the reopened view gives the same hypothesis
    expect(hypothesisFromView(back, [applyManualEdits(l.pinned!, l.add, l.exclude, 20)])).toEqual({ ok: true, view: { ...h } });
  });

  it("opens unpinned on request: the brush rule plus the same edits", () => {
    const h = { source: "s", start: 4, end: 6, padLeft: 1, padRight: 0, threshold: 0.3, cells: [1, 2], addedCells: [2], excludedCells: [0], mode: "precise", length: 3 };
    const l = hypothesisViewState(h, base, { pin: false }).layers[0]!;
    expect(l).toEqual({ source: "s", threshold: 0.3, add: [2], exclude: [0], pinned: null });
    expect(hypothesisViewState(h, base, { pin: false }).match).toMatchObject({ mode: "precise", length: 3 });
  });

  it("a range anchor keeps the layer and pins the anchored cells (or keeps the edits without cells)", () => {
    const s = { ...base, layers: [{ ...defaultLayer("states::a"), add: [1] }] };
    expect(rangeViewState({ start: 2, end: 5 }, s).layers[0]).toMatchObject({ source: "states::a", add: [1], pinned: null });
    const v = rangeViewState({ source: "states::b", start: 100, end: 103, cells: [8, 2] }, s);
    expect(v.brush).toEqual([100, 103]);
    expect(v.layers[0]).toMatchObject({ source: "states::b", add: [], pinned: [2, 8] });
  });
});

describe("spans and lanes", () => {
  it("clips ranges to the visible steps", () => {
    const r = [{ start: 0, end: 5 }, { start: 8, end: 30 }, { start: 30, end: 31 }];
    expect(visibleSpans(r, 4, 20).map(({ a, b }) => [a, b])).toEqual([[0, 1], [4, 16]]);
  });
  it("stacks overlapping spans and reuses a lane once it is free", () => {
    expect(assignLanes([{ a: 0, b: 4 }, { a: 2, b: 6 }, { a: 4, b: 8 }, { a: 3, b: 4 }])).toEqual([0, 1, 0, 2]);
  });
});

describe("mention typing", () => {
  it("finds the @handle being typed at the caret, only at a word start", () => {
    expect(mentionQueryAt("hi @al", 6)).toEqual({ start: 3, query: "al" });
    expect(mentionQueryAt("@", 1)).toEqual({ start: 0, query: "" });
    expect(mentionQueryAt("mail a@b", 8)).toBeNull();
    expect(mentionQueryAt("hi @al there", 12)).toBeNull();
  });
});
