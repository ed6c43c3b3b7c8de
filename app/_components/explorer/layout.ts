import { GUTTER, RIGHT, stepsThatFit } from "@statescope/core";

// The views' geometry is shared with the figure renderer (packages/core/src/figures/layout.ts).
export { GUTTER, PLOT_H, RIGHT, TOKEN_H } from "@statescope/core";

/** The width of a Select view `width` pixels wide left for the steps (core's window helpers take this). */
export function plotWidth(width: number): number {
  return width - GUTTER - RIGHT;
}

/** How many steps of a `total`-step dataset fit from `pos` in a Select view `width` pixels wide at `zoom` px per step. */
export function visibleSteps(width: number, zoom: number, pos: number, total: number): number {
  return stepsThatFit(plotWidth(width), zoom, pos, total);
}
