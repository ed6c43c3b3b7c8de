import { describe, expect, it } from "vitest";
import { categoricalColor } from "./window";
import { countColor, DARK_TEXT, formatScaleValue, LIGHT_TEXT, parseColor, relativeLuminance, scalarColor, scalarScale, textColorOn } from "./colors";

describe("scalarColor", () => {
  it("spreads a track's own range over the scale (parens depth 0–6: seven distinct fills)", () => {
    const fills = new Set([0, 1, 2, 3, 4, 5, 6].map((d) => scalarColor(d, [0, 6])));
    expect(fills.size).toBe(7);
    expect(scalarColor(0, [0, 6])).toBe("hsl(188 55% 95%)");
    expect(scalarColor(6, [0, 6])).toBe("hsl(188 55% 33%)");
  });
  it("clamps outside the range and gives the middle for a flat one", () => {
    expect(scalarColor(-3, [0, 6])).toBe(scalarColor(0, [0, 6]));
    expect(scalarColor(9, [0, 6])).toBe(scalarColor(6, [0, 6]));
    expect(scalarColor(2, [2, 2])).toBe("hsl(188 55% 64%)");
  });
});

describe("scalarScale", () => {
  // a real-valued track (e.g. surprisal): every value its own colour string before
  const values = Array.from({ length: 5000 }, (_, i) => -1.5 + (i * 7.31) / 5000 + Math.sin(i) * 1e-4);
  const range: [number, number] = [-1.5, 5.8];
  it("makes at most levels + 1 colours, each one object per level", () => {
    const color = scalarScale(range);
    const made = values.map(color);
    expect(new Set(made).size).toBeLessThanOrEqual(257);
    expect(new Set(values.map((v) => scalarColor(v, range))).size).toBeGreaterThan(1000);
    expect(color(0.1)).toBe(color(0.1));
  });
  it("draws within half an 8-bit channel step of the exact colour, ends and clamping included", () => {
    const color = scalarScale(range);
    const rgb = (css: string) => parseColor(css)!.map((x) => x * 255);
    for (const v of [...values, -9, 99, range[0], range[1]]) {
      const [a, b] = [rgb(color(v)), rgb(scalarColor(v, range))];
      for (let c = 0; c < 3; c++) expect(Math.abs(a[c]! - b[c]!)).toBeLessThan(0.5);
    }
    expect(color(range[0])).toBe(scalarColor(range[0], range));
    expect(color(range[1])).toBe(scalarColor(range[1], range));
  });
  it("is scalarColor itself on a flat range", () => {
    expect(scalarScale([2, 2])(2)).toBe(scalarColor(2, [2, 2]));
  });
});

describe("parseColor / relativeLuminance", () => {
  it("reads hex and CSS hsl colours", () => {
    expect(parseColor("#ff0000")).toEqual([1, 0, 0]);
    const [r, g, b] = parseColor("hsl(120 100% 50%)")!;
    expect([r, g, b].map((x) => Math.round(x * 255))).toEqual([0, 255, 0]);
    const blue = parseColor("hsl(218 72% 42%)")!.map((x) => Math.round(x * 255));
    expect(blue).toEqual([30, 87, 184]);
    expect(parseColor("rebeccapurple")).toBeNull();
  });
  it("is 0 for black and 1 for white", () => {
    expect(relativeLuminance([0, 0, 0])).toBe(0);
    expect(relativeLuminance([1, 1, 1])).toBeCloseTo(1, 10);
  });
});

describe("textColorOn", () => {
  it("writes white on the dark end of the count scale and dark on the light end", () => {
    expect(textColorOn(countColor(1))).toBe(LIGHT_TEXT);
    expect(textColorOn(countColor(0))).toBe(DARK_TEXT);
    expect(textColorOn(scalarColor(6, [0, 6]))).toBe(LIGHT_TEXT);
    expect(textColorOn(scalarColor(0, [0, 6]))).toBe(DARK_TEXT);
  });
  it("picks the colour with the higher contrast on every palette colour", () => {
    for (let id = 0; id < 20; id++) {
      const bg = categoricalColor(id);
      const L = relativeLuminance(parseColor(bg)!);
      const contrast = (t: string) => {
        const T = relativeLuminance(parseColor(t)!);
        return (Math.max(L, T) + 0.05) / (Math.min(L, T) + 0.05);
      };
      expect(contrast(textColorOn(bg))).toBeGreaterThanOrEqual(Math.max(contrast(DARK_TEXT), contrast(LIGHT_TEXT)) - 1e-9);
    }
  });
});

describe("formatScaleValue", () => {
  it("keeps integers and shortens the rest", () => {
    expect(formatScaleValue(6)).toBe("6");
    expect(formatScaleValue(12000)).toBe("12,000");
    expect(formatScaleValue(3.14159)).toBe("3.14");
    expect(formatScaleValue(0.000012)).toBe("1.20e-5");
  });
});
