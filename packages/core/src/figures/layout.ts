/**
 * The Select and Match views' geometry, scales and colours: one definition for the explorer
 * (React, canvas) and the figure renderer (SVG on the server), so a published figure looks like
 * the view it came from. Units are CSS pixels in the app and SVG user units in a figure.
 */

/** Left gutter (axis labels, track names) shared by every row of the Select view, so steps line up. */
export const GUTTER = 64;
/** Right margin for the threshold tag. */
export const RIGHT = 48;
/** Height of the token strip's boxes. */
export const TOKEN_H = 26;
/** Height of one layer's line plot. */
export const PLOT_H = 200;
/** Space above and below the plotted value range inside the line plot. */
export const PLOT_PAD_TOP = 8;
export const PLOT_PAD_BOTTOM = 8;
/** Height of a discrete/scalar meta track row, and of one word of a wordvec track. */
export const TRACK_ROW_H = 18;
export const TRACK_WORD_H = 12;
/** Match view: one result row, one heatmap column, one token of a result. */
export const MATCH_ROW_H = 20;
export const HEATMAP_W = 7;
/** Match view result text: 10.5 px monospace (≈ 6.4 px a character), one column per context step, sized to its longest token. */
export const MATCH_TOKEN_COLUMNS = { charPx: 6.4, padPx: 8, minPx: 16, maxPx: 96 } as const;

/** Colours of the views (light theme: the app and paper figures). */
export const VIEW_COLORS = {
  /** Unselected cells' lines (drawn at {@link faintOpacity}). */
  faint: "#334155",
  /** Selected cells' lines, token shading and the brush. */
  selected: "#2f6fde",
  /** The hovered cell. */
  hover: "#e8590c",
  /** The threshold line and its tag, and the "must be off" padding. */
  threshold: "#c23b3b",
  axis: "#b7bfc9",
  zero: "#8a949f",
  label: "#5d6672",
  ink: "#1b1f24",
  /** Wordvec boxes (shaded by score). */
  wordvec: "#6d4bb3",
} as const;

/** Opacity of one unselected line: ~1/sqrt(D) so 650 faint lines read as a density, bounded to stay visible. */
export function faintOpacity(cells: number): number {
  return Math.min(0.5, Math.max(0.03, 1 / Math.sqrt(Math.max(1, cells))));
}

/** Opacity of the selected lines: many selected cells would hide each other at full strength. */
export function selectedOpacity(selected: number): number {
  return selected > 40 ? 0.55 : 0.9;
}

/**
 * The line plot's y scale: value v (clamped to the domain) → pixel row, with `domain[1]` at
 * PLOT_PAD_TOP and `domain[0]` at height − PLOT_PAD_BOTTOM.
 */
export function plotY(domain: readonly [number, number], height: number): (v: number) => number {
  const [lo, hi] = domain;
  const inner = height - PLOT_PAD_TOP - PLOT_PAD_BOTTOM;
  const span = hi - lo || 1;
  return (v) => PLOT_PAD_TOP + ((hi - Math.max(lo, Math.min(hi, v))) / span) * inner;
}

/** Axis ticks of the line plot: five through zero for a symmetric domain, else 0, max/2, max. */
export function plotTicks(domain: readonly [number, number]): number[] {
  return domain[0] < 0 ? [domain[0], domain[0] / 2, 0, domain[1] / 2, domain[1]] : [0, domain[1] / 2, domain[1]];
}

/** A tick's label: "0", one decimal below 10, none above. */
export function tickLabel(v: number): string {
  return Math.abs(v) < 1e-9 ? "0" : v.toFixed(Math.abs(v) >= 10 ? 0 : 1);
}

/** Token shading by how many selected cells are on (fraction f of them): fill opacity of the `selected` colour. */
export function tokenShade(f: number): number {
  return 0.07 + 0.75 * f;
}

