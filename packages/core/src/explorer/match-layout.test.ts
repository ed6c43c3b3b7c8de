import { describe, expect, it } from "vitest";
import { displayToken, fitToken, resultRows, tokenColumns, tokenTextRuns } from "./match-layout";

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

describe("tokenTextRuns", () => {
  // a monospace font: 6 px a character; "⏎" from another font, 9 px
  const advanceOf = (ch: string) => (ch === "⏎" ? 9 : 6);
  const runsOf = (text: (string | null)[], style: (string | null)[], columns: number, w: number[]) =>
    tokenTextRuns(text, style, columns, w, advanceOf, 6).map((r) => [r.row, r.col, r.text, r.cells, r.first]);

  it("joins the single characters of a row's equal columns with one style into one run", () => {
    const text = ["(", "(", ")", "a", "b", "c"];
    expect(runsOf(text, Array(6).fill("s"), 3, [16, 16, 16])).toEqual([
      [0, 0, "(()", 3, 0],
      [1, 0, "abc", 3, 3],
    ]);
  });
  it("breaks a run at a new style, a gap, a wider column, a longer token or a character of another advance", () => {
    const text = ["a", "b", "c", null, "d", "e", "f", "cat", "g", "⏎", "h", "i"];
    const style = ["s", "s", "bold", null, "s", "s", "s", "s", "s", "s", "s", "s"];
    const w = [16, 16, 16, 16, 16, 16, 24, 24, 24, 16, 16, 16];
    expect(runsOf(text, style, 12, w)).toEqual([
      [0, 0, "ab", 2, 0],
      [0, 2, "c", 1, 2],
      [0, 4, "de", 2, 4],
      [0, 6, "f", 1, 6],
      [0, 7, "cat", 1, 7],
      [0, 8, "g", 1, 8],
      [0, 9, "⏎", 1, 9],
      [0, 10, "hi", 2, 10],
    ]);
  });
  it("places every character where a centred single token would be", () => {
    // columns of 16 px at x = 0, 16, 32; advance 6: a run starting at (16 − 6) / 2 with a 10 px letter spacing
    const [r] = tokenTextRuns(["x", "y", "z"], ["s", "s", "s"], 3, [16, 16, 16], advanceOf, 6);
    const left = (i: number) => (r!.width - 6) / 2 + i * r!.width;
    for (let i = 0; i < 3; i++) expect(left(i) + 3).toBe(i * 16 + 8);
  });
  it("draws nothing where a cell has no text, and never joins across rows", () => {
    expect(runsOf(["a", "b", "c", "d"], ["s", "s", "s", "s"], 2, [16, 16])).toEqual([
      [0, 0, "ab", 2, 0],
      [1, 0, "cd", 2, 2],
    ]);
    expect(runsOf([null, null], [null, null], 2, [16, 16])).toEqual([]);
  });
});
