import { describe, expect, it } from "vitest";
import { selectCells } from "../matching/select-cells";
import {
  applyManualEdits,
  categoricalColor,
  countOnPerStep,
  decodeViewState,
  defaultViewState,
  encodeViewState,
  matchResultsCsv,
  onRuns,
  snapBrush,
  stepAt,
  valueDomain,
  type ExplorerViewState,
} from "../index";

// the worked example of matching.md: T = 8, D = 3
const V = {
  steps: 8,
  cells: 3,
  data: new Float32Array([0, 0, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 1, 0]),
};

describe("snapBrush", () => {
  it("covers every token the drag touches", () => {
    expect(snapBrush(35, 95, 30, 10)).toEqual([1, 4]);
    expect(snapBrush(95, 35, 30, 10)).toEqual([1, 4]);
  });
  it("a click selects the token under it", () => {
    expect(snapBrush(45, 45, 30, 10)).toEqual([1, 2]);
    expect(snapBrush(60, 60, 30, 10)).toEqual([2, 3]);
  });
  it("clamps to the window and rejects spans outside it", () => {
    expect(snapBrush(-50, 40, 30, 10)).toEqual([0, 2]);
    expect(snapBrush(250, 9999, 30, 10)).toEqual([8, 10]);
    expect(snapBrush(-50, -10, 30, 10)).toBeNull();
    expect(snapBrush(300, 400, 30, 10)).toBeNull();
    expect(snapBrush(0, 10, 0, 10)).toBeNull();
  });
  it("stepAt", () => {
    expect(stepAt(29.9, 30, 3)).toBe(0);
    expect(stepAt(30, 30, 3)).toBe(1);
    expect(stepAt(-1, 30, 3)).toBe(-1);
    expect(stepAt(90, 30, 3)).toBe(-1);
  });
});

describe("onRuns", () => {
  it("finds maximal on-runs, including ones touching the window edges", () => {
    expect(onRuns(V, 0, 0.5)).toEqual([[1, 4], [5, 7]]);
    expect(onRuns(V, 1, 0.5)).toEqual([[1, 3], [5, 8]]);
    expect(onRuns(V, 2, 0.5)).toEqual([[0, 2], [5, 7]]);
  });
  it("is empty for a cell never on, an unknown cell, or an impossible tanh threshold", () => {
    expect(onRuns(V, 0, 2)).toEqual([]);
    expect(onRuns(V, 7, 0.5)).toEqual([]);
    expect(onRuns(V, 0, 1.5, "tanh")).toEqual([]);
  });
  it("agrees with the on-test of selectCells: a one-step brush selects exactly the cells on there", () => {
    for (let t = 1; t < V.steps; t++) {
      const sel = selectCells(V, [t, t + 1], 0.5, [0, 0]);
      for (let c = 0; c < V.cells; c++) {
        const on = onRuns(V, c, 0.5).some(([a, b]) => a <= t && t < b);
        expect(sel.includes(c)).toBe(on);
      }
    }
  });
});

describe("countOnPerStep", () => {
  it("matches the worked example's count", () => {
    expect([...countOnPerStep(V, [0, 1], 0.5)]).toEqual([0, 2, 2, 1, 0, 2, 2, 1]);
  });
  it("applies the float32 threshold and tanh", () => {
    const m = { steps: 2, cells: 1, data: new Float32Array([0.7, 0.69]) };
    expect([...countOnPerStep(m, [0], 0.7)]).toEqual([1, 0]);
    expect([...countOnPerStep(m, [0], 0.6, "tanh")]).toEqual([1, 0]); // tanh(0.7) ≈ 0.604, tanh(0.69) ≈ 0.598
  });
});

describe("valueDomain", () => {
  it("is symmetric with negatives, [0, max] otherwise, never empty", () => {
    expect(valueDomain(-0.4, 0.9)).toEqual([-0.9, 0.9]);
    expect(valueDomain(-2, 0.5)).toEqual([-2, 2]);
    expect(valueDomain(0, 3)).toEqual([0, 3]);
    expect(valueDomain(0, 0)).toEqual([0, 1]);
  });
});

describe("applyManualEdits", () => {
  it("adds, excludes, sorts, drops out-of-range cells", () => {
    expect(applyManualEdits([5, 1, 3], [7, 2, 99], [3], 10)).toEqual([1, 2, 5, 7]);
    expect(applyManualEdits([1], [1], [], 10)).toEqual([1]);
  });
});

describe("view state URL", () => {
  it("round-trips a full state", () => {
    const s: ExplorerViewState = {
      layers: [
        { source: "states::states1", threshold: 0.45, add: [3, 9], exclude: [12], pinned: null },
        { source: "output::layer 2", threshold: 0.3, add: [], exclude: [], pinned: [1, 4, 8] },
      ],
      pos: 12345,
      brush: [12350, 12354],
      pad: [2, 1],
      zoom: 18,
      tracks: ["pos", "top-k"],
      mask: true,
      match: { mode: "fast", length: 4, before: 5, after: 30, align: "end", map: "pos", run: true, layer: 1 },
    };
    const q = encodeViewState(s);
    expect(decodeViewState(q)).toEqual(s);
    expect(decodeViewState("?" + q)).toEqual(s);
  });
  it("keeps defaults out of the URL", () => {
    const s = defaultViewState(["states1"]);
    expect(encodeViewState(s)).toBe("s0=states1");
    expect(decodeViewState("s0=states1")).toEqual(s);
  });
  it("falls back to defaults for invalid fields", () => {
    const d = decodeViewState("s0=a&t0=abc&pos=-4&b=9-3&z=2&mm=slow&len=1&ml=5&c1=3&add0=1,x,1,2");
    expect(d.layers).toHaveLength(1);
    expect(d.layers[0]).toEqual({ source: "a", threshold: 0.3, add: [1, 2], exclude: [], pinned: null });
    expect(d.pos).toBe(0);
    expect(d.brush).toBeNull();
    expect(d.zoom).toBe(30);
    expect(d.match.mode).toBe("precise");
    expect(d.match.length).toBe(0);
    expect(d.match.layer).toBe(0);
  });
  it("opens a brush without a position 3 tokens before it, and leaves that position out of the URL", () => {
    const d = decodeViewState("s0=x&b=100-104");
    expect(d.pos).toBe(97);
    expect(decodeViewState("s0=x&b=1-3").pos).toBe(0);
    expect(decodeViewState("s0=x&b=100-104&pos=0").pos).toBe(0);
    expect(encodeViewState(d)).toBe("s0=x&b=100-104");
    expect(encodeViewState({ ...d, pos: 0 })).toBe("s0=x&pos=0&b=100-104");
    expect(decodeViewState(encodeViewState({ ...d, pos: 0 })).pos).toBe(0);
  });
  it("writes the threshold with 3 decimals", () => {
    const s = defaultViewState(["x"]);
    s.layers[0]!.threshold = 0.1234;
    expect(encodeViewState(s)).toBe("s0=x&t0=0.123");
  });
});

describe("palette and CSV", () => {
  it("assigns stable colours", () => {
    expect(categoricalColor(0)).toBe(categoricalColor(20));
    expect(categoricalColor(-1)).toBe(categoricalColor(19));
  });
  it("quotes text fields", () => {
    const csv = matchResultsCsv([{ pos: 4, length: 2, I: 2, U: 3, text: 'say "hi", then' }], { source: "s", cells: [1, 2], threshold: 0.3 });
    expect(csv).toBe('rank,pos,length,I,U,jaccard,text,source,cells,threshold\r\n1,4,2,2,3,0.6667,"say ""hi"", then",s,1 2,0.3\r\n');
  });
});
