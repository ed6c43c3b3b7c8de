import { describe, expect, it } from "vitest";
import { PLOT_H, plotY } from "./layout";
import { FONT_FACE_SLOT, paperSelectGeometry, renderCard, renderFigure } from "./figure";
import { packStates, SNAPSHOT_MAX_STATE_BYTES, SNAPSHOT_MAX_STEPS, snapshotWindow, unpackStates } from "./snapshot";
import { approximateMeasure, displayText, esc, fitText, GlyphSet, num } from "./svg";
import { sampleFinding } from "./testing";

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

describe("figures", () => {
  it("are a pure function of the snapshot and the options: same input, same bytes", () => {
    const a = renderFigure(sampleFinding(), { view: "both", width: "two" });
    const b = renderFigure(sampleFinding(), { view: "both", width: "two" });
    expect(a.svg).toBe(b.svg);
    expect(renderFigure(sampleFinding(), { view: "both", width: "one" }).svg).not.toBe(a.svg);
  });

  it("are sized for a paper column in inches, with the viewBox in user units and a slot for the embedded fonts", () => {
    const one = renderFigure(sampleFinding(), { view: "select", width: "one" });
    const m = /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" version="1.1" width="3.3in" height="([\d.]+)in" viewBox="0 0 ([\d.]+) ([\d.]+)">/.exec(one.svg);
    expect(m).not.toBeNull();
    // the height in inches keeps the viewBox's aspect ratio
    expect(Number(m![1])).toBeCloseTo((3.3 * Number(m![3])) / Number(m![2]), 2);
    expect(one.svg).toContain(`<style>${FONT_FACE_SLOT}text{font-family:"DejaVu Sans",sans-serif}</style>`);
    expect(renderFigure(sampleFinding(), { view: "select", width: "two" }).svg).toContain('width="7in"');
  });

  it("shows the brush with its padding and 3 tokens before, then as many as the width holds", () => {
    const data = sampleFinding();
    const s = data.snapshot;
    const g = paperSelectGeometry(data, 400);
    expect(g.s0).toBe(s.brush[0] - s.pad[0] - 3);
    expect(g.s0 + g.n).toBeGreaterThanOrEqual(s.brush[1] + s.pad[1]);
    expect(64 + g.n * g.zoom + 48).toBeLessThanOrEqual(400);
    const wide = paperSelectGeometry(data, 860);
    expect(wide.n).toBeGreaterThan(g.n);
    // every shown token is text, whitespace with a visible mark
    const svg = renderFigure(data, { view: "select", width: "two" }).svg;
    for (let t = wide.s0; t < wide.s0 + wide.n; t++) {
      const tok = s.window.tokens[t - s.window.from]!;
      expect(svg).toContain(`>${tok === " " ? "␣" : esc(tok)}</text>`);
    }
  });

  it("draws one faint path per unselected cell, the selected ones on top, and the threshold at the plot's scale", () => {
    const data = sampleFinding({ cells: 40 });
    const svg = renderFigure(data, { view: "select", width: "two" }).svg;
    const faint = /<g fill="none" stroke="#334155"[^>]*>(.*?)<\/g>/.exec(svg)![1]!;
    const strong = /<g fill="none" stroke="#2f6fde"[^>]*>(.*?)<\/g>/.exec(svg)![1]!;
    expect(count(faint, /<path /g)).toBe(40 - 3);
    expect(count(strong, /<path /g)).toBe(3);
    expect(svg).toContain('stroke-opacity="0.16"'); // 1/sqrt(40)
    const l = data.snapshot.layers[0]!;
    const y = num(plotY([-1.5, 1.5], PLOT_H)(l.threshold));
    expect(svg).toContain(`y1="${y}" y2="${y}" stroke="#c23b3b" stroke-width="1.5" stroke-dasharray="6 3"`);
    // interactive figures keep every cell's line (for hover), tagged with its cell
    const page = renderFigure(data, { view: "select", width: "screen", interactive: true }).svg;
    expect(count(page, /<path d="[^"]*" data-c="\d+"\/>/g)).toBe(40 + 3);
  });

  it("breaks a line where a value is NaN", () => {
    const data = sampleFinding({ cells: 4 });
    const w = data.states[0]!;
    const s = data.snapshot;
    const t = s.brush[0] - s.window.from + 1;
    w[t * 4 + 0] = NaN;
    const svg = renderFigure(data, { view: "select", width: "two" }).svg;
    expect(svg).toMatch(/<path d="M[^"]*m[\d.-]+ [\d.-]+l[^"]*"\/>/);
  });

  it("lays the Match view out with as many context columns as fit and the requested rows", () => {
    const data = sampleFinding({ rows: 30 });
    const ten = renderFigure(data, { view: "match", width: "two" }).svg;
    expect(ten).toContain("Top 10 of 30 matches");
    const five = renderFigure(data, { view: "match", width: "one", rows: 5 }).svg;
    expect(five).toContain("Top 5 of 30 matches");
    const screen = renderFigure(data, { view: "match", width: "screen" }).svg;
    expect(screen).toContain(">30 matches");
    expect(() => renderFigure({ ...data, snapshot: { ...data.snapshot, match: null } }, { view: "both", width: "two" })).toThrow(/no match results/);
  });

  it("escapes tokens for XML and records the glyphs each font must embed", () => {
    const data = sampleFinding();
    const s = data.snapshot;
    s.window.tokens[s.brush[0] - s.window.from] = "<&\u0001";
    const f = renderFigure(data, { view: "select", width: "two" });
    expect(f.svg).toContain(">&lt;&amp;␁</text>");
    expect(f.glyphs.chars("mono-regular")).toContain("␁");
    expect(f.glyphs.chars("mono-regular")).toContain("<");
    expect(f.glyphs.chars("sans-bold")).toContain("0"); // the threshold tag
  });

  it("renders a dark theme and a 1200 × 630 preview card", () => {
    const dark = renderFigure(sampleFinding(), { view: "both", width: "two", theme: "dark" }).svg;
    expect(dark).toContain('fill="#0f1419"');
    const card = renderCard(sampleFinding(), { subtitle: "Ada · parens · v1" });
    expect(card.svg).toMatch(/^<svg [^>]*width="1200" height="630"/);
    expect(card.svg).toContain(">Cells that track nesting depth ≥ 2</text>");
  });
});

describe("snapshot", () => {
  it("packs the state windows as float32 LE and back, refusing a size mismatch", () => {
    const data = sampleFinding({ cells: 5, steps: 9 });
    const bytes = packStates(data.states);
    expect(bytes.length).toBe(5 * 9 * 4);
    expect(Array.from(unpackStates(data.snapshot, bytes)[0]!)).toEqual(Array.from(data.states[0]!));
    expect(() => unpackStates(data.snapshot, bytes.subarray(4))).toThrow(/176 bytes, the layers need 180/);
  });

  it("pins 3 steps before the padding and context after, bounded by steps and by state bytes", () => {
    expect(snapshotWindow([100, 110], [1, 0], 10_000, 650)).toEqual([96, 110 + 96]);
    expect(snapshotWindow([1, 4], [1, 0], 10, 650)).toEqual([0, 10]);
    expect(snapshotWindow([0, 300], [0, 0], 10_000, 4)).toBeNull();
    const cells = 50_000;
    const budget = Math.floor(SNAPSHOT_MAX_STATE_BYTES / (4 * cells));
    const w = snapshotWindow([100, 110], [1, 0], 10_000, cells)!;
    expect(w[1] - w[0]).toBe(budget);
    expect(budget).toBeLessThan(SNAPSHOT_MAX_STEPS);
    expect(snapshotWindow([100, 100 + budget], [1, 0], 10_000, cells)).toBeNull();
  });
});

describe("svg helpers", () => {
  it("formats numbers deterministically and never writes -0", () => {
    expect(num(-0.001)).toBe("0");
    expect(num(1 / 3)).toBe("0.33");
    expect(num(12)).toBe("12");
  });

  it("makes control characters visible and fits text with an ellipsis", () => {
    expect(displayText("a\u0000b\u007f")).toBe("a␀b␡");
    // 6.02 units per character at size 10: five fit in 31
    expect(fitText("abcdefgh", 31, 10, "mono", approximateMeasure)).toBe("abcd…");
    expect(fitText("ab", 30, 10, "mono", approximateMeasure)).toBe("ab");
    const g = new GlyphSet();
    g.add("ba", "sans");
    g.add("c", "sans", true);
    expect(g.chars("sans-regular")).toBe("ab");
    expect(new GlyphSet().merge(g).chars("sans-bold")).toBe("c");
  });
});
