import { stepsThatFit } from "@statescope/core";

/** Left gutter (axis labels, track names) shared by every row of the Select view, so steps line up. */
export const GUTTER = 64;
/** Right margin for the threshold tag. */
export const RIGHT = 48;
export const TOKEN_H = 26;
export const PLOT_H = 200;

/** The width of a Select view `width` pixels wide left for the steps (core's window helpers take this). */
export function plotWidth(width: number): number {
  return width - GUTTER - RIGHT;
}

/** How many steps of a `total`-step dataset fit from `pos` in a Select view `width` pixels wide at `zoom` px per step. */
export function visibleSteps(width: number, zoom: number, pos: number, total: number): number {
  return stepsThatFit(plotWidth(width), zoom, pos, total);
}
