import type { ReactNode } from "react";
import type { ExplorerViewState, StateMatrix, Transform } from "@statescope/core";
import type { DatasetInfo, ExplorerData, MatchInput, MatchRow } from "./data-source";

/** Changes the view state (the URL follows). */
export type Update = (f: (s: ExplorerViewState) => ExplorerViewState) => void;

/** What an add-on sees of the current view, and may change through `update`. */
export interface ExplorerView {
  data: ExplorerData;
  info: DatasetInfo;
  state: ExplorerViewState;
  update: Update;
  /** Per layer: the selected cells (rule + manual edits), null while loading. */
  selections: readonly (number[] | null)[];
  /** The layer the Match view runs on (an index into `state.layers` and `selections`). */
  activeLayer: number;
  /** Visible steps [from, to). */
  visible: [number, number];
}

/** Horizontal geometry of the token strip, for lanes drawn in step with it. */
export interface StripGeometry {
  origin: number;
  steps: number;
  zoom: number;
  width: number;
}

/** One line plot's geometry and data, for a layer drawn over it. */
export interface PlotGeometry {
  /** Source of the plot. */
  source: string;
  /** Global step of the first visible step, and how many are visible. */
  from: number;
  steps: number;
  zoom: number;
  width: number;
  height: number;
  /** y range of the plot (after the transform). */
  domain: [number, number];
  transform: Transform;
  /** The visible steps of the source (row 0 = `from`). */
  window: StateMatrix;
}

/** A finished match run, for what is drawn beside its results. */
export interface MatchRun {
  input: MatchInput;
  results: readonly MatchRow[];
}

/**
 * Add-ons rendered inside the explorer. The explorer's own files import none of them: the page
 * that puts the explorer together hands them in (the team's records, the realtime room).
 */
export interface ExplorerSlots {
  /** A side panel beside the views. */
  panel?: (v: ExplorerView) => ReactNode;
  /** A lane right above the token strip, aligned with its steps. */
  stripLane?: (g: StripGeometry) => ReactNode;
  /** A layer over each line plot (drawn above it, pointer-transparent). */
  plotOverlay?: (g: PlotGeometry) => ReactNode;
  /** Told about every change of the view; renders nothing visible (e.g. publishes our presence). */
  publish?: (v: ExplorerView) => ReactNode;
  /** Beside the match results' heatmaps (e.g. evidence for the run), in step with the rows. */
  matchAside?: (r: MatchRun) => ReactNode;
}
