/** Left gutter (axis labels, track names) shared by every row of the Select view, so steps line up. */
export const GUTTER = 64;
/** Right margin for the threshold tag. */
export const RIGHT = 48;
export const TOKEN_H = 26;
export const PLOT_H = 200;

/** How many steps of a `total`-step dataset fit from `pos` in a Select view `width` pixels wide at `zoom` px per step. */
export function visibleSteps(width: number, zoom: number, pos: number, total: number): number {
  return Math.max(0, Math.min(total - pos, Math.floor((width - GUTTER - RIGHT) / zoom)));
}
