/**
 * Colour scales of the explorer's heatmaps and tracks, and the text colour that reads on them.
 * Colours are CSS strings: `hsl(h s% l%)` for the sequential scales, `#rrggbb` for the palette.
 */

/** Sequential light → dark teal for scalar values: `v` placed in `range` (clamped); a flat range gives the middle. */
export function scalarColor(v: number, range: readonly [number, number]): string {
  const [lo, hi] = range;
  const f = hi > lo ? Math.max(0, Math.min(1, (v - lo) / (hi - lo))) : 0.5;
  return `hsl(188 55% ${95 - f * 62}%)`;
}

/**
 * `scalarColor` over `range` in `levels` steps of the value (each step's colour made once): a
 * heatmap of ~1,000 real-valued cells then has at most `levels` colours, not one CSS string per
 * cell (made, parsed and filled once each). At the default 256 steps of the 62 % lightness ramp,
 * a colour is off by at most 0.13 % lightness — under half of one 8-bit channel step.
 */
export function scalarScale(range: readonly [number, number], levels = 256): (v: number) => string {
  const [lo, hi] = range;
  if (!(hi > lo)) return (v) => scalarColor(v, range);
  const made: string[] = new Array(levels + 1);
  return (v) => {
    const i = Math.round(Math.max(0, Math.min(1, (v - lo) / (hi - lo))) * levels);
    return (made[i] ??= scalarColor(lo + (i / levels) * (hi - lo), range));
  };
}

/** Sequential light → dark blue for the share `f` ∈ [0, 1] of selected cells on ("match count"). */
export function countColor(f: number): string {
  return `hsl(218 72% ${97 - Math.max(0, Math.min(1, f)) * 55}%)`;
}

/** r, g, b in [0, 1] of `hsl(h s% l%)` or `#rrggbb`; null for anything else. */
export function parseColor(css: string): [number, number, number] | null {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(css);
  if (hex) return [parseInt(hex[1]!, 16) / 255, parseInt(hex[2]!, 16) / 255, parseInt(hex[3]!, 16) / 255];
  const hsl = /^hsl\(\s*([\d.]+)\s+([\d.]+)%\s+([\d.]+)%\s*\)$/.exec(css);
  if (!hsl) return null;
  const h = Number(hsl[1]) % 360;
  const s = Number(hsl[2]) / 100;
  const l = Number(hsl[3]) / 100;
  // CSS Color 4: f(n) = l − a·max(−1, min(k − 3, 9 − k, 1)), k = (n + h/30) mod 12, a = s·min(l, 1 − l)
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [f(0), f(8), f(4)];
}

/** WCAG relative luminance of sRGB r, g, b ∈ [0, 1]. */
export function relativeLuminance([r, g, b]: readonly [number, number, number]): number {
  const lin = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** Text colours for light and dark backgrounds (globals.css `--text` and white). */
export const DARK_TEXT = "#111827";
export const LIGHT_TEXT = "#ffffff";

/** The text colour (dark or white) with the higher WCAG contrast on `background`; dark when it cannot be read. */
export function textColorOn(background: string): string {
  const rgb = parseColor(background);
  if (!rgb) return DARK_TEXT;
  const L = relativeLuminance(rgb);
  const dark = relativeLuminance(parseColor(DARK_TEXT)!);
  // contrast ratio = (L1 + 0.05) / (L2 + 0.05) with L1 the lighter
  return (L + 0.05) / (dark + 0.05) >= 1.05 / (L + 0.05) ? DARK_TEXT : LIGHT_TEXT;
}

/** A short label for a scale end: integers as they are, others with three significant digits. */
let integers: Intl.NumberFormat | undefined;
export function formatScaleValue(v: number): string {
  // one formatter for every label (toLocaleString makes one per call: ~1 ms each in a fresh page)
  if (Number.isInteger(v)) return (integers ??= new Intl.NumberFormat("en-US")).format(v);
  return Math.abs(v) >= 1000 || Math.abs(v) < 0.001 ? v.toExponential(2) : String(Number(v.toPrecision(3)));
}
