import { GUTTER, RIGHT } from "@statescope/core";

// The views' geometry is shared with the figure renderer (packages/core/src/figures/layout.ts).
export { GUTTER, PLOT_H, RIGHT, TOKEN_H } from "@statescope/core";

/** How many steps of a `total`-step dataset fit from `pos` in a Select view `width` pixels wide at `zoom` px per step. */
export function visibleSteps(width: number, zoom: number, pos: number, total: number): number {
  return Math.max(0, Math.min(total - pos, Math.floor((width - GUTTER - RIGHT) / zoom)));
}
