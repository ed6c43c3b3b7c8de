import { decodeViewState, defaultLayer, type ExplorerViewState } from "./view-state";
import { loadRange, type StepRange } from "./window";

/** What the explorer needs to know of a dataset to place its window. */
export interface DatasetShape {
  steps: number;
  sources: readonly { name: string }[];
  tracks: readonly { name: string }[];
}

/**
 * The view the explorer shows for a (decoded) URL state: the dataset's first source as the only
 * layer when the URL names none, the position clamped to the data. The browser and the page's
 * server side both call this, so they read the same window.
 */
export function resolveView(raw: ExplorerViewState, d: DatasetShape): ExplorerViewState {
  const first = d.sources[0];
  const layers = raw.layers.length || !first ? raw.layers : [defaultLayer(first.name)];
  const pos = Math.max(0, Math.min(raw.pos, d.steps - 1));
  return layers === raw.layers && pos === raw.pos ? raw : { ...raw, layers, pos };
}

/** How many steps of a `total`-step dataset fit from `pos` in `plotWidth` pixels at `zoom` px per step. */
export function stepsThatFit(plotWidth: number, zoom: number, pos: number, total: number): number {
  return Math.max(0, Math.min(total - pos, Math.floor(plotWidth / zoom)));
}

/** The visible steps of a resolved view and the range [from, to) the explorer loads for them. */
export interface ViewWindow {
  /** Steps shown from `state.pos`. */
  visible: number;
  from: number;
  to: number;
}

export function viewWindow(state: ExplorerViewState, total: number, plotWidth: number): ViewWindow {
  const visible = stepsThatFit(plotWidth, state.zoom, state.pos, total);
  const [from, to]: StepRange = loadRange(state.pos, visible, total);
  return { visible, from, to };
}

/** The window a URL opens with, and the sources and tracks of the dataset it reads. */
export interface InitialWindow extends ViewWindow {
  state: ExplorerViewState;
  /** Distinct sources of the view's layers that the dataset has. */
  sources: string[];
  /** Shown tracks that the dataset has. */
  tracks: string[];
}

/** The first window the explorer shows for `query` on a dataset (null when it has nothing to show). */
export function initialWindow(query: string | URLSearchParams, d: DatasetShape, plotWidth: number): InitialWindow | null {
  if (d.sources.length === 0 || d.steps === 0) return null;
  const state = resolveView(decodeViewState(query), d);
  const has = (xs: readonly { name: string }[]) => (name: string) => xs.some((x) => x.name === name);
  return {
    state,
    ...viewWindow(state, d.steps, plotWidth),
    sources: [...new Set(state.layers.map((l) => l.source))].filter(has(d.sources)),
    tracks: state.tracks.filter(has(d.tracks)),
  };
}
