import { describe, expect, it } from "vitest";
import { displayToken, fitToken, resultRows, tokenColumns } from "./match-layout";

const opts = { charPx: 7, padPx: 8, minPx: 16, maxPx: 92 };

describe("tokenColumns", () => {
  it("sizes each column for the longest token any row shows there", () => {
    const rows = [
      ["(", "the", "cat"],
      ["a", "elephant", undefined],
    ];
    const l = tokenColumns(2, 3, (r, c) => rows[r]![c], opts);
    expect(Array.from(l.w)).toEqual([16, 8 * 7 + 8, 3 * 7 + 8]);
    expect(Array.from(l.x)).toEqual([0, 16, 16 + 64, 16 + 64 + 29]);
    expect(l.chars[1]).toBe(8);
  });
  it("caps very long tokens, which are then cut", () => {
    const l = tokenColumns(1, 1, () => "x".repeat(40), opts);
    expect(l.w[0]).toBe(92);
    expect(fitToken("x".repeat(40), l.chars[0]!)).toBe("x".repeat(11) + "…");
  });
  it("a 3/20 context of single characters fits in well under 500 px", () => {
    const l = tokenColumns(50, 23, () => "(", opts);
    expect(l.x[23]).toBe(23 * 16);
  });
});

describe("displayToken / fitToken", () => {
  it("makes whitespace visible and keeps short tokens whole", () => {
    expect(displayToken("\n")).toBe("⏎");
    expect(displayToken(" ")).toBe("␣");
    // character-level dictionaries name them (words.dict "<space> 3")
    expect(displayToken("<space>")).toBe("␣");
    expect(displayToken("<nl>")).toBe("⏎");
    expect(displayToken("<tab>")).toBe("⇥");
    expect(displayToken("toString")).toBe("toString");
    expect(fitToken("cat", 3)).toBe("cat");
    expect(fitToken("kitten", 3)).toBe("ki…");
  });
});

describe("resultRows", () => {
  const results = [
    { pos: 10, length: 4 },
    { pos: 1, length: 2 },
    { pos: 90, length: 10 },
  ];
  it("starts `before` steps ahead of each match, `before + after` wide, clipped to the data", () => {
    expect(resultRows(results, { before: 3, after: 5, align: "start" }, 100)).toEqual([
      { start: 7, range: [7, 15] },
      { start: -2, range: [0, 6] },
      { start: 87, range: [87, 95] },
    ]);
  });
  it("aligned at the end, every match ends where the longest shown one (≤ after) ends", () => {
    // longest shown = min(after 5, 10) = 5: a row starts at pos + length − (3 + 5)
    expect(resultRows(results, { before: 3, after: 5, align: "end" }, 100)).toEqual([
      { start: 6, range: [6, 14] },
      { start: -5, range: [0, 3] },
      { start: 92, range: [92, 100] },
    ]);
  });
});
