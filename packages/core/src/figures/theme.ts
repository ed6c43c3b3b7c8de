/**
 * Figure themes. Light is the app's palette ({@link VIEW_COLORS}) on white, for papers; dark is
 * for embeds on dark pages. Every encoding stays readable without colour vision: lines differ in
 * weight and opacity as well as hue, the threshold is dashed and labelled, heatmaps are one hue
 * light → dark, and discrete labels use the Okabe–Ito palette with their label written in the box
 * (in black or white, whichever reads: core's textColorOn).
 */
import { countColor, scalarColor } from "../explorer/colors";
import { VIEW_COLORS } from "./layout";

export type ThemeName = "light" | "dark";

export interface FigureTheme {
  name: ThemeName;
  background: string;
  ink: string;
  label: string;
  axis: string;
  zero: string;
  faint: string;
  selected: string;
  hover: string;
  threshold: string;
  /** Text on the threshold tag. */
  onThreshold: string;
  /** Fill of a token under a brushed range outline. */
  brushOutline: string;
  wordvec: string;
  /** "Match count" heatmap colour of fraction f of the selected cells on. */
  heat(f: number): string;
  scalar(v: number, range: readonly [number, number]): string;
  /** A result's matched tokens. */
  matchFill: string;
  matchStroke: string;
  matchText: string;
}

export const LIGHT: FigureTheme = {
  name: "light",
  background: "#ffffff",
  ink: VIEW_COLORS.ink,
  label: VIEW_COLORS.label,
  axis: VIEW_COLORS.axis,
  zero: VIEW_COLORS.zero,
  faint: VIEW_COLORS.faint,
  selected: VIEW_COLORS.selected,
  hover: VIEW_COLORS.hover,
  threshold: VIEW_COLORS.threshold,
  onThreshold: "#ffffff",
  brushOutline: VIEW_COLORS.ink,
  wordvec: VIEW_COLORS.wordvec,
  heat: countColor,
  scalar: scalarColor,
  matchFill: "#e7effc",
  matchStroke: "#9db8e8",
  matchText: "#0f2f6b",
};

export const DARK: FigureTheme = {
  name: "dark",
  background: "#0f1419",
  ink: "#e6edf3",
  label: "#9aa5b1",
  axis: "#3d4652",
  zero: "#6b7683",
  faint: "#c9d4e0",
  selected: "#6ea8ff",
  hover: "#ff9b54",
  threshold: "#ff6b6b",
  onThreshold: "#0f1419",
  brushOutline: "#e6edf3",
  wordvec: "#a98be8",
  heat: (f) => `hsl(218 80% ${Math.round((16 + Math.max(0, Math.min(1, f)) * 50) * 10) / 10}%)`,
  scalar: (v, range) => {
    const f = range[1] > range[0] ? Math.max(0, Math.min(1, (v - range[0]) / (range[1] - range[0]))) : 0.5;
    return `hsl(188 55% ${Math.round((14 + f * 50) * 10) / 10}%)`;
  },
  matchFill: "#1c2a42",
  matchStroke: "#3d5f99",
  matchText: "#cfe0ff",
};

export function themeOf(name: ThemeName): FigureTheme {
  return name === "dark" ? DARK : LIGHT;
}

/**
 * Okabe & Ito's palette (black left out), distinguishable under the common colour-vision
 * deficiencies; then Paul Tol's muted scheme for ids beyond it.
 */
export const FIGURE_CATEGORICAL = [
  "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7",
  "#332288", "#88ccee", "#44aa99", "#117733", "#999933", "#ddcc77", "#cc6677", "#882255", "#aa4499",
] as const;

export function figureCategoricalColor(id: number): string {
  const n = FIGURE_CATEGORICAL.length;
  return FIGURE_CATEGORICAL[((Math.trunc(id) % n) + n) % n]!;
}
