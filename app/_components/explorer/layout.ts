/** Left gutter (axis labels, track names) shared by every row of the Select view, so steps line up. */
export const GUTTER = 64;
/** Right margin for the threshold tag. */
export const RIGHT = 48;
export const TOKEN_H = 26;
export const PLOT_H = 200;
